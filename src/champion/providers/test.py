"""A deterministic in-package provider for tests, demos and overhead benchmarks.

Options (``-m test/NAME`` or a models file)::

    options:
      reply: "billing"                 # the default answer
      rules: [["charged", "billing"]]  # first regex matching the prompt wins
      delay_ms: 5                      # simulated model time
      error: unavailable               # every call fails with this error kind
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import ClassVar

from champion.errors import (
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from champion.providers.base import Completion, GenerateRequest, Provider
from champion.providers.candidate import Candidate

__all__ = ["TestProvider"]

_ERRORS: dict[str, type[ProviderError]] = {
    "timeout": ProviderTimeout,
    "unavailable": ProviderUnavailable,
    "rate_limited": RateLimited,
    "rejected": ProviderRejected,
    "protocol": ProviderProtocolError,
}


class TestProvider(Provider):
    """Answers from rules; optionally sleeps or fails."""

    name: ClassVar[str] = "test"
    __test__ = False  # not a pytest class

    def __init__(self, candidate: Candidate) -> None:
        super().__init__(candidate)
        options = candidate.options
        self._reply = str(options.get("reply", ""))
        self._rules = [(re.compile(str(p), re.IGNORECASE), str(r))
                       for p, r in options.get("rules", [])]
        self._delay_s = float(options.get("delay_ms", 0)) / 1000
        self._error = _ERRORS.get(str(options.get("error", "")))
        self.calls = 0

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
