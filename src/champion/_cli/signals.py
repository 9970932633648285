"""Ctrl-C and SIGTERM end a command cleanly: exit 130 or 143, never a crash.

In synchronous code a signal becomes :class:`Stopped`. While an event loop
runs, the first SIGINT or SIGTERM cancels the command's task, so every
``finally`` runs: measured trials are written, models are released (an
embedded model only once its generation has stopped), the run is stored as
interrupted; then :class:`Stopped` carries the signal out. A second signal
only says that champion is stopping; a third exits at once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

__all__ = ["Stopped", "cancel_on_signals", "stop_on_signals"]

T = TypeVar("T")
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(Exception):
    """A signal asked the command to stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """128 + the signal's number: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Stopped` in synchronous code."""

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise Stopped(signum)

    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    for sig in _SIGNALS:
        signal.signal(sig, on_signal)
    try:
        yield
    except KeyboardInterrupt:
        raise Stopped(signal.SIGINT) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


async def cancel_on_signals(coroutine: Coroutine[Any, Any, T]) -> T:
    """Await ``coroutine``; the first SIGINT or SIGTERM cancels it and raises
    :class:`Stopped` once it has unwound."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        if len(received) == 1:
            task.cancel()
        elif len(received) == 2:
            print("stopping: writing what was measured and releasing the models"
                  " (a third signal exits at once)", file=sys.stderr, flush=True)
        else:
            os._exit(128 + received[0])

    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    for sig in _SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        return await coroutine
    except asyncio.CancelledError:
        if received:
            raise Stopped(received[0]) from None
        raise
    finally:
        for sig, handler in previous.items():
            loop.remove_signal_handler(sig)
            signal.signal(sig, handler)
