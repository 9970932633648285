"""A bootstrap interval for a model's median latency that resamples cases.

Repeats of one case are not independent (the same prompt asks the same work
of the model), so resampling single calls would understate the uncertainty.
Each resample draws cases with replacement, pools every latency of the drawn
cases and takes the median, the same statistic the ranking reports; the
interval is the percentile interval of those medians. A fixed seed makes it
deterministic: the same latencies always give the same interval.

Each resample sorts every pooled latency, so by default the number of
resamples shrinks for very large runs (never under 400, which still places
the 2.5% and 97.5% quantiles within about one percentage point) to keep the
ranking of a large run quick.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from champion._ranking.stats import percentile

__all__ = ["MedianInterval", "bootstrap_medians", "median_interval"]

DEFAULT_RESAMPLES = 2000
MIN_RESAMPLES = 400
DEFAULT_SEED = 20240601
# Latencies sorted over all resamples, at most (when that leaves MIN_RESAMPLES).
_WORK = 200_000


@dataclass(frozen=True, slots=True)
class MedianInterval:
    """A percentile bootstrap interval of the median latency, in milliseconds."""

    low: float
    high: float
    confidence: float
    resamples: int


def bootstrap_medians(per_case: Sequence[Sequence[float]], *,
                      resamples: int = DEFAULT_RESAMPLES,
                      seed: int = DEFAULT_SEED) -> list[float]:
    """The sorted medians of ``resamples`` case-level resamples.

    Args:
        per_case: the latencies of each case (one list per case; empty lists
            are ignored).
        resamples: how many resamples to draw.
        seed: fixes the resamples.
    """
    groups = [list(values) for values in per_case if values]
    if not groups:
        raise ValueError("bootstrap of no latencies")
    rng = random.Random(seed)
    draw = rng.choices
    count = len(groups)
    medians = []
    for _ in range(resamples):
        pooled: list[float] = []
        extend = pooled.extend
        for group in draw(groups, k=count):
            extend(group)
        pooled.sort()
        middle = len(pooled) // 2
        medians.append(pooled[middle] if len(pooled) % 2
                       else (pooled[middle - 1] + pooled[middle]) / 2)
    medians.sort()
    return medians


def median_interval(per_case: Sequence[Sequence[float]], *, confidence: float = 0.95,
                    resamples: int | None = None,
                    seed: int = DEFAULT_SEED) -> MedianInterval | None:
    """The percentile bootstrap interval of the median latency; None with no latencies.

    ``resamples`` defaults to 2000, fewer (at least 400) for very many latencies.
    """
    if not any(per_case):
        return None
    if resamples is None:
        total = sum(len(values) for values in per_case)
        resamples = max(MIN_RESAMPLES, min(DEFAULT_RESAMPLES, _WORK // total))
    medians = bootstrap_medians(per_case, resamples=resamples, seed=seed)
    tail = (1 - confidence) / 2 * 100
    return MedianInterval(percentile(medians, tail), percentile(medians, 100 - tail),
                          confidence, resamples)
