"""One model call under its deadline, retried on transient errors while time remains.

The deadline covers the whole call, retries and waits included: a server's
``Retry-After`` is honoured only when the wait and another attempt still fit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from champion.errors import ProviderError, ProviderTimeout
from champion.providers.base import Completion, GenerateRequest, Provider

__all__ = ["RetryPolicy", "call"]

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


async def call(provider: Provider, request: GenerateRequest, policy: RetryPolicy) -> Completion:
    """Run ``request`` on ``provider`` within ``request.timeout_s``.

    Raises:
        ProviderError: the last failure (a subclass carrying its kind).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + request.timeout_s + (LOCAL_GRACE_S if provider.local else 0.0)
    retries = 0 if provider.local else policy.retries
    attempt = 0
    while True:
        try:
            async with asyncio.timeout_at(deadline):
                return await provider.generate(request)
        except TimeoutError:
            error: ProviderError = ProviderTimeout(f"no answer within {request.timeout_s:g} s")
        except ProviderError as exc:
            error = exc
        attempt += 1
        if not error.retryable or attempt > retries:
            raise error
        wait = policy.wait_s(error, attempt)
        if loop.time() + wait >= deadline:
            raise error  # another attempt would not fit in the deadline
        await asyncio.sleep(wait)
