"""Service-level ceilings: limits a model must stay within to qualify.

A suite may cap p90 latency, the share of calls that errored, the cost per
case and the memory the model took, and require a share of outputs that parse
as valid JSON. A model
over any of them is disqualified, and each limit it broke is given as a
reason. A limit that cannot be checked because the figure is unknown (cost
without a price) is not held against the model.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Ceilings", "ceiling_reasons", "memory_reasons"]


@dataclass(frozen=True, slots=True)
class Ceilings:
    """The optional limits; None means no limit."""

    max_p90_latency_ms: float | None = None
    max_error_rate: float | None = None
    max_cost_per_case_usd: float | None = None
    min_json_valid_rate: float | None = None
    max_memory_mb: float | None = None

    @classmethod
    def of(cls, spec: object) -> Ceilings:
        """The ceilings of a suite's ``qualify`` section (attributes of the same names)."""
        return cls(**{name: getattr(spec, name, None) for name in (
            "max_p90_latency_ms", "max_error_rate", "max_cost_per_case_usd",
            "min_json_valid_rate", "max_memory_mb")})

    @property
    def any(self) -> bool:
        """Whether any limit is set."""
        return any(v is not None for v in (self.max_p90_latency_ms, self.max_error_rate,
                                           self.max_cost_per_case_usd,
                                           self.min_json_valid_rate, self.max_memory_mb))


def ceiling_reasons(ceilings: Ceilings, *, p90_latency_ms: float | None,
                    error_rate: float | None, cost_per_case_usd: float | None,
                    json_valid_rate: float | None) -> list[str]:
    """Why a model breaks the ceilings (empty when it stays within them)."""
    reasons = []
    if ceilings.max_p90_latency_ms is not None and p90_latency_ms is not None \
            and p90_latency_ms > ceilings.max_p90_latency_ms:
        reasons.append(f"p90 latency {p90_latency_ms:.0f} ms over the"
                       f" {ceilings.max_p90_latency_ms:g} ms limit")
    if ceilings.max_error_rate is not None and error_rate is not None \
            and error_rate > ceilings.max_error_rate:
        reasons.append(f"error rate {error_rate:.1%} over the"
                       f" {ceilings.max_error_rate:.1%} limit")
    if ceilings.max_cost_per_case_usd is not None and cost_per_case_usd is not None \
            and cost_per_case_usd > ceilings.max_cost_per_case_usd:
        reasons.append(f"cost per case ${cost_per_case_usd:.6g} over the"
                       f" ${ceilings.max_cost_per_case_usd:g} limit")
    if ceilings.min_json_valid_rate is not None and json_valid_rate is not None \
            and json_valid_rate < ceilings.min_json_valid_rate:
        reasons.append(f"valid JSON {json_valid_rate:.1%} under the"
                       f" {ceilings.min_json_valid_rate:.1%} minimum")
    return reasons


def memory_reasons(ceilings: Ceilings, memory_mb: float | None) -> list[str]:
    """Why a model breaks the memory ceiling (empty within it, or when unknown)."""
    if ceilings.max_memory_mb is None or memory_mb is None \
            or memory_mb <= ceilings.max_memory_mb:
        return []
    return [f"memory {memory_mb:.0f} MB over the {ceilings.max_memory_mb:g} MB limit"]
