"""Per-case reliability: the share of a case's repeats that passed, and flakiness.

A model that passes a case in some repeats and fails it in others is flaky on
that case: its answer depends on luck, which a single clean batch can hide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["CaseReliability", "case_reliability", "flaky_cases"]


@dataclass(frozen=True, slots=True)
class CaseReliability:
    """How one model did on one case over its repeats.

    Attributes:
        id: the case id.
        trials: repeats run (k).
        passes: repeats that were correct.
        pass_share: passes / trials, the per-case pass^k share.
        all_passed: every one of the k repeats was correct (pass^k held).
        flaky: the case both passed and failed.
    """

    id: str
    trials: int
    passes: int

    @property
    def pass_share(self) -> float:
        """passes / trials (0 with no trials)."""
        return self.passes / self.trials if self.trials else 0.0

    @property
    def all_passed(self) -> bool:
        """Every repeat passed."""
        return self.trials > 0 and self.passes == self.trials

    @property
    def flaky(self) -> bool:
        """The case both passed and failed."""
        return 0 < self.passes < self.trials


def case_reliability(counts: Mapping[str, tuple[int, int]],
                     order: Iterable[str] | None = None) -> tuple[CaseReliability, ...]:
    """Per-case reliability from case id → (passes, trials).

    Cases come in ``order`` when given (cases missing from ``counts`` are
    left out), else in the mapping's order.
    """
    ids = list(order) if order is not None else list(counts)
    return tuple(CaseReliability(case, counts[case][1], counts[case][0])
                 for case in ids if case in counts)


def flaky_cases(cases: Iterable[CaseReliability]) -> list[str]:
    """Ids of the cases that both passed and failed."""
    return [case.id for case in cases if case.flaky]
