"""The Pareto frontier over reliability, speed and cost.

Each model is a point (pass-rate lower bound, higher is better; median
latency, lower is better; cost per case, lower is better). A model is
dominated when another is at least as good on every axis and strictly better
on one; the frontier is every model no other dominates. A cost that is not
known (no price) cannot be compared, so cost only counts between two models
that both have one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ParetoPoint", "dominates", "pareto_frontier"]


@dataclass(frozen=True, slots=True)
class ParetoPoint:
    """One model on the three axes."""

    model: str
    pass_rate_lower95: float
    median_latency_ms: float
    cost_per_case: float | None = None


def dominates(a: ParetoPoint, b: ParetoPoint) -> bool:
    """Whether ``a`` is at least as good as ``b`` on every axis and better on one."""
    better = a.pass_rate_lower95 > b.pass_rate_lower95 or \
        a.median_latency_ms < b.median_latency_ms
    if a.pass_rate_lower95 < b.pass_rate_lower95 or a.median_latency_ms > b.median_latency_ms:
        return False
    if a.cost_per_case is not None and b.cost_per_case is not None:
        if a.cost_per_case > b.cost_per_case:
            return False
        better = better or a.cost_per_case < b.cost_per_case
    return better


def pareto_frontier(points: Sequence[ParetoPoint]) -> list[ParetoPoint]:
    """The points no other point dominates, fastest first."""
    frontier = [p for p in points if not any(dominates(q, p) for q in points if q is not p)]
    return sorted(frontier, key=lambda p: (p.median_latency_ms, -p.pass_rate_lower95, p.model))
