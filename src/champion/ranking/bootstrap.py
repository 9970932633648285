"""A bootstrap interval for a model's median latency that resamples cases.

Repeats of one case are not independent (the same prompt asks the same work
of the model), so resampling single calls would understate the uncertainty.
Each resample draws cases with replacement, pools every latency of the drawn
cases and takes the median, the same statistic the ranking reports; the
interval is the percentile interval of those medians. A fixed seed makes it
deterministic: the same latencies always give the same interval.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from champion.ranking.stats import median, percentile

__all__ = ["MedianInterval", "bootstrap_medians", "median_interval"]

DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20240601


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
    medians = []
    for _ in range(resamples):
        pooled: list[float] = []
        for group in draw(groups, k=len(groups)):
            pooled.extend(group)
        medians.append(median(pooled))
    medians.sort()
    return medians


def median_interval(per_case: Sequence[Sequence[float]], *, confidence: float = 0.95,
                    resamples: int = DEFAULT_RESAMPLES,
                    seed: int = DEFAULT_SEED) -> MedianInterval | None:
    """The percentile bootstrap interval of the median latency; None with no latencies."""
    if not any(per_case):
        return None
    medians = bootstrap_medians(per_case, resamples=resamples, seed=seed)
    tail = (1 - confidence) / 2 * 100
    return MedianInterval(percentile(medians, tail), percentile(medians, 100 - tail),
                          confidence, resamples)
