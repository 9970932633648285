"""Is one model really faster than another? Paired latency comparisons and ties.

Two models are compared case by case: each case's latency is the median over
that model's repeats of it, and the test is the one-sided Wilcoxon signed-rank
test on the per-case log ratios (the same case asks the same work of both
models, and logs turn "30% slower" into the same shift at any speed). A model
is called faster only when the test gives p < alpha *and* the typical per-case
ratio (the Hodges–Lehmann estimate, back on the ratio scale) exceeds the
margin; otherwise the two are a tie, and ties are broken by p90 latency, then
by cost per case.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from champion._ranking.wilcoxon import hodges_lehmann, wilcoxon

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_MARGIN",
    "LatencyProfile",
    "PairComparison",
    "SlowerTest",
    "compare_pair",
    "order_by_speed",
    "slower_by_margin",
]

DEFAULT_MARGIN = 1.10
DEFAULT_ALPHA = 0.05

# Latencies are floored here before taking logs, so a 0 ms reading stays finite.
_FLOOR_MS = 1e-3

DecidedBy = Literal["latency", "p90", "cost", "median"]


@dataclass(frozen=True, slots=True)
class LatencyProfile:
    """What the ordering needs of one qualified model.

    Attributes:
        model: the model id.
        median: median latency over all its trials (ms).
        p90: 90th percentile latency (ms).
        cost_per_case: USD per trial, None when unknown.
        per_case: case id → the median latency over its repeats of that case.
    """

    model: str
    median: float
    p90: float
    cost_per_case: float | None
    per_case: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class PairComparison:
    """Two models next to each other in the order.

    Attributes:
        ahead: the model placed first.
        behind: the model placed right after it.
        ratio: typical per-case latency of ``behind`` over ``ahead`` (>1: behind is slower).
        p_value: one-sided p that ``behind`` is slower; None with no case in common.
        cases: cases both models answered.
        tie: not significantly slower, or by less than the margin.
        decided_by: what put ``ahead`` first: ``latency`` when it is really
            faster, else the tie-breaker that decided (``p90``, ``cost``) or
            ``median`` when those are equal too.
    """

    ahead: str
    behind: str
    ratio: float
    p_value: float | None
    cases: int
    tie: bool
    decided_by: DecidedBy


@dataclass(frozen=True, slots=True)
class SlowerTest:
    """Whether a model is slower than a reference by more than a margin."""

    ratio: float
    p_value: float
    cases: int

    def significant(self, alpha: float = DEFAULT_ALPHA) -> bool:
        """p below alpha."""
        return self.p_value < alpha


def _log_ratios(slow: Mapping[str, float], fast: Mapping[str, float]) -> list[float]:
    return [math.log(max(slow[case], _FLOOR_MS)) - math.log(max(fast[case], _FLOOR_MS))
            for case in slow if case in fast]


def slower_by_margin(candidate: Mapping[str, float], reference: Mapping[str, float],
                     margin: float = DEFAULT_MARGIN) -> SlowerTest | None:
    """Test whether ``candidate`` is slower than ``reference`` by more than ``margin``.

    One-sided paired Wilcoxon signed-rank test on
    ``log(candidate) - log(reference) - log(margin)`` over the cases both
    answered (per-case latencies in ms). None when they share no case.
    """
    logs = _log_ratios(candidate, reference)
    if not logs:
        return None
    shift = math.log(margin)
    result = wilcoxon([d - shift for d in logs], alternative="greater")
    return SlowerTest(math.exp(hodges_lehmann(logs)), result.p_value, len(logs))


def compare_pair(ahead: LatencyProfile, behind: LatencyProfile, *,
                 margin: float = DEFAULT_MARGIN,
                 alpha: float = DEFAULT_ALPHA) -> PairComparison:
    """Compare two models placed next to each other; see the module docstring."""
    logs = _log_ratios(behind.per_case, ahead.per_case)
    if not logs:
        ratio = behind.median / ahead.median if ahead.median > 0 else 1.0
        return PairComparison(ahead.model, behind.model, ratio, None, 0, True,
                              _tie_breaker(ahead, behind))
    ratio = math.exp(hodges_lehmann(logs))
    p_value = wilcoxon(logs, alternative="greater").p_value
    tie = p_value >= alpha or ratio <= margin
    return PairComparison(ahead.model, behind.model, ratio, p_value, len(logs), tie,
                          _tie_breaker(ahead, behind) if tie else "latency")


def _tie_key(profile: LatencyProfile) -> tuple[float, float]:
    cost = profile.cost_per_case
    return (profile.p90, math.inf if cost is None else cost)


def _tie_breaker(ahead: LatencyProfile, behind: LatencyProfile) -> DecidedBy:
    if ahead.p90 != behind.p90:
        return "p90"
    if ahead.cost_per_case is not None and behind.cost_per_case is not None \
            and ahead.cost_per_case != behind.cost_per_case:
        return "cost"
    return "median"


def order_by_speed(profiles: Sequence[LatencyProfile], *, margin: float = DEFAULT_MARGIN,
                   alpha: float = DEFAULT_ALPHA,
                   ) -> tuple[list[LatencyProfile], list[PairComparison]]:
    """Order qualified models by speed, ties broken by p90 then cost.

    Models start in order of median latency; two neighbours that are a tie
    swap when the one behind has the lower p90 (or the same p90 and a lower
    cost). Each swap removes one inversion of that tie-break order, so this
    ends. Returns the order and the comparison of each adjacent pair in it.
    """
    order = sorted(profiles, key=lambda p: (p.median, p.model))
    swapped = True
    while swapped:
        swapped = False
        for i in range(len(order) - 1):
            ahead, behind = order[i], order[i + 1]
            if _tie_key(behind) < _tie_key(ahead) and \
                    compare_pair(ahead, behind, margin=margin, alpha=alpha).tie:
                order[i], order[i + 1] = behind, ahead
                swapped = True
    comparisons = [compare_pair(order[i], order[i + 1], margin=margin, alpha=alpha)
                   for i in range(len(order) - 1)]
    return order, comparisons
