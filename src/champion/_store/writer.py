"""Rows written to the store in the background: batched, bounded, never waited for.

:meth:`BatchWriter.put` appends a row to a bounded buffer and returns at once;
a writer thread hands the buffer to ``write`` in batches (every ``interval_s``,
or as soon as ``batch`` rows wait), one transaction each. When the buffer is
full a row is dropped and counted (``dropped``): a slow database never slows
the caller. A write that fails loses its rows (counted in ``failed``) and is
logged. :meth:`stop` writes what is left.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from champion._secrets import redact

__all__ = ["BatchWriter"]

T = TypeVar("T")
log = logging.getLogger("champion.gateway")


class BatchWriter(Generic[T]):
    """Writes rows with ``write`` from a thread of its own.

    Args:
        write: stores one batch (in one transaction).
        what: what a row is, for log messages (``production samples``).
        capacity: rows waiting at most; more are dropped and counted.
        batch: rows per write.
        interval_s: how long a row waits at most before it is written.
        extra: called before each write; its rows are written too (e.g. counters
            turned into rows).
    """

    def __init__(self, write: Callable[[Sequence[T]], None], what: str, *,
                 capacity: int = 10_000, batch: int = 500, interval_s: float = 1.0,
                 extra: Callable[[], list[T]] | None = None) -> None:
        self._write = write
        self.what = what
        self.capacity = capacity
        self.batch = batch
        self.interval_s = interval_s
        self._extra = extra
        self.dropped = 0
        self.written = 0
        self.failed = 0
        self._buffer: deque[T] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._flushing = threading.Lock()

    def start(self) -> None:
        """Start the writer thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"champion-{self.what}",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Write what is left and stop the writer thread."""
        thread, self._thread = self._thread, None
        self._stop.set()
        self._wake.set()
        if thread is not None:
            thread.join(30)
        self.flush()

    def put(self, row: T) -> bool:
        """Keep ``row`` for the next write; False (and counted) when the buffer is full."""
        return self.put_made(lambda: row)

    def put_made(self, make: Callable[[], T]) -> bool:
        """Like :meth:`put`, for a row ``make`` builds only when there is room for it."""
        if len(self._buffer) >= self.capacity:
            self.dropped += 1
            return False
        self._buffer.append(make())
        if len(self._buffer) >= self.batch:
            self._wake.set()
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        """Write everything waiting now."""
        with self._flushing:
            buffer = self._buffer
            if self._extra is not None:
                buffer.extend(self._extra())
            while buffer:
                rows = [buffer.popleft() for _ in range(min(self.batch, len(buffer)))]
                try:
                    self._write(rows)
                except Exception as exc:  # a database that fails loses rows, never a call
                    self.failed += len(rows)
                    log.warning("could not write %d %s: %s", len(rows), self.what,
                                redact(str(exc))[:500])
                    return
                self.written += len(rows)
