"""One long-lived event loop on a background thread, for a client's synchronous calls.

A fresh loop per synchronous call (``asyncio.run``) would cost a loop start
every call and throw away the keep-alive connections, which belong to the loop
that opened them. The portal keeps one loop for the life of its owner; a call
blocks the calling thread only, so it also works inside a running event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["Portal"]

T = TypeVar("T")


class Portal:
    """Runs coroutines on a private loop thread, started on first use."""

    def __init__(self, name: str = "champion-portal") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is not None:
                return self._loop
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
            thread.start()
            self._loop, self._thread = loop, thread
            return loop

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the portal's loop and return its result (or raise its error)."""
        loop = self._loop or self._start()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            coroutine.close()
            raise RuntimeError("a synchronous call from inside its own portal loop would"
                               " wait forever; await the async form instead")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    @property
    def started(self) -> bool:
        """Whether the loop thread runs."""
        return self._loop is not None

    def stop(self) -> None:
        """Stop the loop and join its thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
