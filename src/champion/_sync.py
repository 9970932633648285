"""Running a coroutine from synchronous code, also where an event loop already runs.

``asyncio.run`` refuses to start inside a running loop (a notebook, an async
web framework calling sync code). There the coroutine runs on a worker thread
with a loop of its own, and the caller blocks until it finishes.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion and return its result (or raise its error)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    result: list[T] = []
    error: list[BaseException] = []
    context = contextvars.copy_context()

    def worker() -> None:
        try:
            result.append(context.run(asyncio.run, coroutine))
        except BaseException as exc:  # handed to the caller's thread
            error.append(exc)

    thread = threading.Thread(target=worker, name="champion-sync", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]
