"""Small, dependency-free statistics used by the ranking."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "clopper_pearson_lower",
    "clopper_pearson_upper",
    "geometric_mean",
    "median",
    "normal_sf",
    "percentile",
    "regularized_beta",
]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default) of sorted values."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    position = (len(sorted_values) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                          -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            step = d * c
            h *= step
        if abs(step - 1.0) < 1e-15:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def clopper_pearson_lower(passes: int, trials: int, alpha: float = 0.05) -> float:
    """One-sided (1 - alpha) Clopper–Pearson lower bound on a pass rate.

    For n passes of n trials this is ``alpha ** (1 / n)``.
    """
    if trials <= 0 or passes <= 0:
        return 0.0
    if passes == trials:
        return float(alpha ** (1 / trials))
    # P(X >= k | p) = I_p(k, n - k + 1); bisect for the p where it equals alpha.
    low, high = 0.0, passes / trials
    for _ in range(60):
        middle = (low + high) / 2
        if regularized_beta(passes, trials - passes + 1, middle) < alpha:
            low = middle
        else:
            high = middle
    return low


def clopper_pearson_upper(passes: int, trials: int, alpha: float = 0.05) -> float:
    """One-sided (1 - alpha) Clopper–Pearson upper bound on a pass rate.

    The p at which seeing ``passes`` or fewer has probability ``alpha``; for 0
    passes of n trials this is ``1 - alpha ** (1 / n)``. With no trials nothing
    is known and the bound is 1.
    """
    if trials <= 0 or passes >= trials:
        return 1.0
    if passes <= 0:
        return float(1 - alpha ** (1 / trials))
    # P(X <= k | p) = 1 - I_p(k + 1, n - k) falls as p grows; bisect for alpha.
    low, high = passes / trials, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        if 1.0 - regularized_beta(passes + 1, trials - passes, middle) > alpha:
            low = middle
        else:
            high = middle
    return high


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def median(values: Sequence[float]) -> float:
    """The median of values (the mean of the two middle ones for an even count)."""
    return percentile(sorted(values), 50)


def geometric_mean(values: Sequence[float]) -> float:
    """The geometric mean of positive values."""
    if not values:
        raise ValueError("geometric mean of no values")
    return math.exp(sum(math.log(v) for v in values) / len(values))
