"""A deterministic in-package provider for tests, demos and overhead benchmarks.

Options (``-m test/NAME`` or a models file)::

    options:
      reply: "billing"                 # the default answer
      rules: [["charged", "billing"]]  # first regex matching the prompt wins
      delay_ms: 5                      # simulated model time
      local: true                      # an in-process model (one call at a time; under
                                       # the ray executor it runs in an actor on a worker)
      load_ms: 200                     # simulated weight loading (part of the cold start)
      error: unavailable               # every call fails with this error kind:
                                       # timeout | unavailable | rate_limited | rejected
                                       # | protocol | internal

Unknown keys are named by ``unapplied_settings``; a value of the wrong type is
a ``CandidateError``.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import ClassVar, Literal

from pydantic import Field

from champion._errors import (
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from champion._providers.base import (
    Completion,
    GenerateRequest,
    Provider,
    ProviderOptions,
    parse_options,
)
from champion._providers.candidate import Candidate

__all__ = ["TestOptions", "TestProvider"]


class TestOptions(ProviderOptions):
    """Options of the test provider."""

    __test__ = False  # not a pytest class

    reply: str = ""
    rules: list[tuple[str, str]] = Field(default_factory=list)
    delay_ms: float = Field(default=0.0, ge=0)
    local: bool = False
    load_ms: float = Field(default=0.0, ge=0)
    error: Literal["timeout", "unavailable", "rate_limited", "rejected", "protocol",
                   "internal"] | None = None


_ERRORS: dict[str, type[ProviderError]] = {
    "internal": ProviderError,
    "timeout": ProviderTimeout,
    "unavailable": ProviderUnavailable,
    "rate_limited": RateLimited,
    "rejected": ProviderRejected,
    "protocol": ProviderProtocolError,
}


class TestProvider(Provider):
    """Answers from rules; optionally sleeps, loads slowly, fails, or runs in process."""

    name: ClassVar[str] = "test"
    __test__ = False  # not a pytest class

    def __init__(self, candidate: Candidate) -> None:
        super().__init__(candidate)
        options, self.unknown_options = parse_options(TestOptions, candidate)
        self._reply = options.reply
        self._rules = [(re.compile(p, re.IGNORECASE), r) for p, r in options.rules]
        self._delay_s = options.delay_ms / 1000
        self._error = _ERRORS[options.error] if options.error else None
        self._load_s = options.load_ms / 1000
        self.local = options.local
        self.calls = 0

    async def load(self) -> None:
        """Sleep ``load_ms`` (an in-process model reading its weights)."""
        if self._load_s:
            await asyncio.sleep(self._load_s)

    async def generate(self, request: GenerateRequest) -> Completion:
        """Answer the last message by the first matching rule."""
        start = time.perf_counter_ns()
        self.calls += 1
        if self._delay_s:
            await asyncio.sleep(self._delay_s)
        if self._error is not None:
            raise self._error(f"test provider configured to fail ({self._error.__name__})")
        prompt = request.messages[-1].content if request.messages else ""
        text = next((reply for pattern, reply in self._rules if pattern.search(prompt)),
                    self._reply)
        latency = time.perf_counter_ns() - start
        return Completion(text=text, latency_ns=latency, ttft_ns=latency, ttfot_ns=latency,
                          completion_tokens=max(1, len(text.split())), tokens_estimated=True)
