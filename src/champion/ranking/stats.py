"""Small, dependency-free statistics used by the ranking."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["clopper_pearson_lower", "percentile"]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default) of sorted values."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    position = (len(sorted_values) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def _binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    total = 0.0
    for i in range(k, n + 1):
        total += math.comb(n, i) * p**i * (1 - p) ** (n - i)
    return total


def clopper_pearson_lower(passes: int, trials: int, alpha: float = 0.05) -> float:
    """One-sided (1 - alpha) Clopper–Pearson lower bound on a pass rate.

    For n passes of n trials this is ``alpha ** (1 / n)``.
    """
    if trials <= 0 or passes <= 0:
        return 0.0
    if passes == trials:
        return float(alpha ** (1 / trials))
    low, high = 0.0, passes / trials
    for _ in range(60):  # bisection: P(X >= passes | p) = alpha
        middle = (low + high) / 2
        if _binomial_tail(passes, trials, middle) < alpha:
            low = middle
        else:
            high = middle
    return low
