"""The Wilcoxon signed-rank test on paired differences, and its effect size.

Latency comparisons are paired by case (the same case asks the same work of
both models) and latency is heavy-tailed, so a rank test on per-case log
differences fits better than a t-test on means. The p-value follows the usual
rules: differences of exactly zero are dropped; with no ties among the
absolute differences and at most 50 of them the exact null distribution of
the positive rank sum is used; with ties and at most 13 differences the exact
distribution of the rank sum over every sign assignment of the tied ranks;
otherwise the normal approximation with the tie-corrected variance and no
continuity correction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from champion._ranking.stats import median, normal_sf

__all__ = ["Alternative", "WilcoxonResult", "hodges_lehmann", "min_one_sided_p", "wilcoxon"]

Alternative = Literal["two-sided", "greater", "less"]

_EXACT_MAX = 50
_TIED_EXACT_MAX = 13


@dataclass(frozen=True, slots=True)
class WilcoxonResult:
    """The positive rank sum, the p-value and how it was computed."""

    statistic: float
    p_value: float
    method: Literal["exact", "approx"]
    n: int


def _average_ranks(values: Sequence[float]) -> tuple[list[float], bool]:
    """Ranks of values (1-based, ties share their average rank) and whether any tie."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    ties = False
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        if end > start:
            ties = True
        shared = (start + end) / 2 + 1
        for position in range(start, end + 1):
            ranks[order[position]] = shared
        start = end + 1
    return ranks, ties


def _rank_sum_counts(doubled_ranks: Sequence[int]) -> list[int]:
    """How many sign assignments give each doubled positive rank sum."""
    counts = [0] * (sum(doubled_ranks) + 1)
    counts[0] = 1
    reach = 0
    for rank in doubled_ranks:
        for total in range(reach, -1, -1):
            if counts[total]:
                counts[total + rank] += counts[total]
        reach += rank
    return counts


def _exact_p(doubled_ranks: Sequence[int], doubled_statistic: int,
             alternative: Alternative) -> float:
    counts = _rank_sum_counts(doubled_ranks)
    total = 1 << len(doubled_ranks)
    upper = sum(counts[doubled_statistic:]) / total
    lower = sum(counts[:doubled_statistic + 1]) / total
    if alternative == "greater":
        return upper
    if alternative == "less":
        return lower
    return min(1.0, 2 * min(upper, lower))


def wilcoxon(differences: Sequence[float],
             alternative: Alternative = "two-sided") -> WilcoxonResult:
    """Wilcoxon signed-rank test that the differences are centred on zero.

    ``alternative="greater"`` asks whether they tend to be positive. Returns a
    p-value of 1 when every difference is zero (nothing to test).
    """
    nonzero = [d for d in differences if d != 0 and not math.isnan(d)]
    n = len(nonzero)
    if n == 0:
        return WilcoxonResult(0.0, 1.0, "exact", 0)
    ranks, ties = _average_ranks([abs(d) for d in nonzero])
    statistic = sum(r for r, d in zip(ranks, nonzero, strict=True) if d > 0)
    had_zeros = n < len(differences)
    if n <= _EXACT_MAX and not ties and not had_zeros:
        doubled = [int(2 * r) for r in ranks]
        return WilcoxonResult(statistic, _exact_p(doubled, int(2 * statistic), alternative),
                              "exact", n)
    if (ties or had_zeros) and len(differences) <= _TIED_EXACT_MAX:
        doubled = [round(2 * r) for r in ranks]
        return WilcoxonResult(statistic, _exact_p(doubled, round(2 * statistic), alternative),
                              "exact", n)
    mean = n * (n + 1) / 4
    tie_sizes: dict[float, int] = {}
    for r in ranks:
        tie_sizes[r] = tie_sizes.get(r, 0) + 1
    tie_term = sum(t ** 3 - t for t in tie_sizes.values())
    variance = (n * (n + 1) * (2 * n + 1) - tie_term / 2) / 24
    z = (statistic - mean) / math.sqrt(variance) if variance > 0 else 0.0
    if alternative == "greater":
        p = normal_sf(z)
    elif alternative == "less":
        p = normal_sf(-z)
    else:
        p = min(1.0, 2 * normal_sf(abs(z)))
    return WilcoxonResult(statistic, p, "approx", n)


def min_one_sided_p(n: int) -> float:
    """The smallest one-sided p-value the test can give with n nonzero differences."""
    return 0.5 ** n if n <= _EXACT_MAX else 0.0


def hodges_lehmann(differences: Sequence[float]) -> float:
    """The Hodges–Lehmann location estimate: the median of the Walsh averages.

    The effect size that goes with the signed-rank test.
    """
    if not differences:
        raise ValueError("Hodges-Lehmann estimate of no values")
    walsh = [(differences[i] + differences[j]) / 2
             for i in range(len(differences)) for j in range(i, len(differences))]
    return median(walsh)
