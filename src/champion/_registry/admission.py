"""Backpressure per model: a bound on calls in flight and a bounded queue, per event loop.

A call either starts at once (fewer than ``limit`` in flight), waits in the
queue (at most ``queue`` calls wait), or is refused at once with
:class:`OverCapacity`. A queued call that cannot start before its own
deadline is refused too, when that deadline comes, never left to time out
later. Waiting is first come, first served.

An admission belongs to one event loop (a gateway worker has one); it takes
no locks.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from champion._registry.answers import OverCapacity

__all__ = ["Admission", "OverCapacity"]


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class Admission:
    """Calls in flight on one model, and the calls waiting for a turn.

    Args:
        model: the model's id (named in refusals).
        limit: calls in flight at most.
        queue: calls waiting at most; one more is refused at once.
        on_change: told the model and the number of calls waiting whenever it changes.
    """

    __slots__ = ("_on_change", "_waiters", "limit", "model", "queue", "running", "waiting")

    def __init__(self, model: str, limit: int, queue: int,
                 on_change: Callable[[str, int], None] | None = None) -> None:
        self.model = model
        self._on_change = on_change
        self.limit = max(1, limit)
        self.queue = max(0, queue)
        self.running = 0
        #: Calls waiting now.
        self.waiting = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self, wait_s: float) -> int:
        """Take a turn, waiting at most ``wait_s``; returns the ns spent waiting.

        Raises:
            OverCapacity: the queue is full (``reason`` ``queue_full``), or no
                turn came within ``wait_s`` (``queue_timeout``).
        """
        if self.running < self.limit and not self.waiting:
            self.running += 1
            return 0
        if self.waiting >= self.queue:
            raise OverCapacity(self.model, "queue_full", self.limit, self.queue)
        if wait_s <= 0:
            raise OverCapacity(self.model, "queue_timeout", self.limit, self.queue)
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(wait_s, _expire, waiter)
        self._waiters.append(waiter)
        self._count(1)
        start = time.perf_counter_ns()
        try:
            await waiter
        except TimeoutError:
            raise OverCapacity(self.model, "queue_timeout", self.limit, self.queue) from None
        except asyncio.CancelledError:
            # A turn handed over just before the caller went away is passed on.
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release()
            raise
        finally:
            timer.cancel()
            self._count(-1)
        return time.perf_counter_ns() - start

    def _count(self, change: int) -> None:
        self.waiting += change
        if self._on_change is not None:
            self._on_change(self.model, self.waiting)

    def release(self) -> None:
        """End a call: its turn goes to the first caller still waiting."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the turn passes on: ``running`` is unchanged
                return
        self.running -= 1
