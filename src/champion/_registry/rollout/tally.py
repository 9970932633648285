"""Counting a canary's calls in a gateway worker, until they are written to the store.

Latencies are counted in buckets whose bounds grow by :data:`RATIO` (1/16 of
an octave, about 4.4%), so the counts of every worker of every replica add up
exactly, and a quantile read from them is the upper bound of its bucket: at
most 4.4% above the true value, never below it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping

from champion._store.canaries import CohortTally

__all__ = ["RATIO", "CanaryTally", "bucket", "quantile"]

#: Each latency bucket's upper bound is this factor above the one before.
RATIO = 2 ** (1 / 16)
_LOG_RATIO = math.log(RATIO)
#: Latencies at or below this (ms) share the lowest bucket.
_FLOOR_MS = 0.001


def bucket(ms: float) -> int:
    """The bucket of a latency in ms: its upper bound is ``RATIO ** bucket``."""
    return math.ceil(math.log(max(ms, _FLOOR_MS)) / _LOG_RATIO - 1e-9)


def quantile(latency: Mapping[int, int], q: float) -> float | None:
    """The ``q`` quantile (0–1) of bucketed latencies, as its bucket's upper bound (ms);
    None without any."""
    total = sum(latency.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for index in sorted(latency):
        seen += latency[index]
        if seen >= rank:
            return float(RATIO ** index)
    return float(RATIO ** max(latency))


class CanaryTally:
    """A worker's counts of canary calls by (canary, interval, cohort) since the last
    :meth:`take`. ``count`` runs on the event loop; ``take`` on the writer thread."""

    def __init__(self) -> None:
        self._counts: dict[tuple[int, int, str], CohortTally] = {}
        self._lock = threading.Lock()

    def count(self, canary_id: int, interval_no: int, cohort: str, *, error: bool,
              fallback: bool, latency_ms: float | None) -> None:
        """One call of ``cohort`` (``canary`` or ``baseline``): failed, or served
        (after a fallback, maybe) in ``latency_ms``."""
        with self._lock:
            tally = self._counts.get((canary_id, interval_no, cohort))
            if tally is None:
                tally = self._counts[(canary_id, interval_no, cohort)] = CohortTally()
            tally.calls += 1
            if error:
                tally.errors += 1
                return
            tally.fallbacks += fallback
            if latency_ms is not None:
                index = bucket(latency_ms)
                tally.latency[index] = tally.latency.get(index, 0) + 1

    def take(self) -> list[tuple[int, int, str, CohortTally]]:
        """Everything counted since the last call, and start again from zero."""
        with self._lock:
            counts, self._counts = self._counts, {}
        return [(canary_id, interval_no, cohort, tally)
                for (canary_id, interval_no, cohort), tally in counts.items()]

    def put_back(self, items: list[tuple[int, int, str, CohortTally]]) -> None:
        """Counts that could not be written: keep them for the next write."""
        with self._lock:
            for canary_id, interval_no, cohort, tally in items:
                self._counts.setdefault((canary_id, interval_no, cohort), CohortTally()).add(tally)
