"""One model call under its deadline, retried on transient errors while time remains.

The one call-with-retries of champion: the runner's trials and the Router's
production calls both go through :func:`call`. The deadline covers the whole
call, retries and waits included: a retry (after the server's ``Retry-After``,
else an exponential backoff) is made only when the wait and another attempt
still fit, where "another attempt" takes as long as the last one did, or
``expected_s`` when that is longer (the Router passes the model's median).
A call that has already handed answer text to a ``sink`` is never retried.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from champion._errors import ProviderError, ProviderTimeout
from champion._providers.base import Completion, GenerateRequest, PieceSink, Provider

__all__ = ["LOCAL_GRACE_S", "RetryPolicy", "call"]

# An in-process model enforces its deadline inside llama.cpp; this grace lets
# it report the timeout itself instead of being abandoned in its thread.
LOCAL_GRACE_S = 5.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Extra attempts on transient errors, with exponential backoff."""

    retries: int = 2
    backoff_s: float = 0.5

    def wait_s(self, error: ProviderError, attempt: int) -> float:
        """How long to wait before attempt ``attempt + 1``: what the server asked, else backoff."""
        if error.retry_after_s is not None:
            return max(0.0, error.retry_after_s)
        return float(self.backoff_s * 2 ** (attempt - 1))


class _Watched:
    """A sink that remembers whether it was handed anything (then no retry)."""

    __slots__ = ("sink", "used")

    def __init__(self, sink: PieceSink) -> None:
        self.sink = sink
        self.used = False

    def __call__(self, piece: str) -> None:
        self.used = True
        self.sink(piece)


async def call(provider: Provider, request: GenerateRequest, policy: RetryPolicy, *,
               timeout_s: float | None = None, expected_s: float = 0.0,
               sink: PieceSink | None = None) -> Completion:
    """Run ``request`` on ``provider`` within ``timeout_s`` (default ``request.timeout_s``).

    Args:
        timeout_s: the whole call's deadline, from now.
        expected_s: how long an attempt is expected to take, at least; a retry
            is made only when it fits.
        sink: receives answer text as it arrives (:meth:`Provider.generate_streaming`).

    Raises:
        ProviderError: the last failure (a subclass carrying its kind).
    """
    budget = request.timeout_s if timeout_s is None else timeout_s
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget + (LOCAL_GRACE_S if provider.local else 0.0)
    retries = 0 if provider.local else policy.retries
    watched = None if sink is None else _Watched(sink)
    attempt = 0
    while True:
        started = time.perf_counter()
        try:
            async with asyncio.timeout_at(deadline):
                if watched is None:
                    return await provider.generate(request)
                return await provider.generate_streaming(request, watched)
        except TimeoutError:
            error: ProviderError = ProviderTimeout(f"no answer within {budget:g} s")
        except ProviderError as exc:
            error = exc
        attempt += 1
        if not error.retryable or attempt > retries or (watched is not None and watched.used):
            raise error
        wait = policy.wait_s(error, attempt)
        took = max(expected_s, time.perf_counter() - started)
        if loop.time() + wait + took >= deadline:
            raise error  # another attempt would not fit in the deadline
        await asyncio.sleep(wait)
