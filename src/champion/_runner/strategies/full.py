"""The full grid, and the full grid that stops a model once it cannot qualify."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import ClassVar

from champion._runner.strategies.base import Outcome, RunPlan, Strategy, StrategyOptions

__all__ = ["FailFastStrategy", "FullStrategy"]


class FullStrategy(Strategy):
    """Every model, every case, every batch: one wave, model-major."""

    name: ClassVar[str] = "full"

    def __init__(self, plan: RunPlan, options: StrategyOptions | None = None) -> None:
        super().__init__(plan, options)
        self._waves = 0

    def next_wave(self) -> list[str]:
        """All models once; nothing after that."""
        self._waves += 1
        return [m for m in self.plan.models if self.keep_running(m)] if self._waves == 1 else []

    def trials_for(self, model: str) -> Iterator[tuple[str, int]]:
        """Every batch in turn, each in its shuffled case order."""
        for batch in range(self.plan.repeats):
            for case in self.plan.batch_order(batch):
                yield case, batch

    def observe(self, outcome: Outcome) -> None:
        """The full grid stops nothing."""


class FailFastStrategy(FullStrategy):
    """The full grid, but a model stops as soon as it can no longer qualify.

    With ``min_pass_rate: 1.0`` that is its first failure.
    """

    name: ClassVar[str] = "failfast"

    def __init__(self, plan: RunPlan, options: StrategyOptions | None = None) -> None:
        super().__init__(plan, options)
        self._failures: Counter[str] = Counter()

    def observe(self, outcome: Outcome) -> None:
        """Count failures; stop the model past what qualification allows."""
        if outcome.correct or outcome.unjudged:
            return
        self._failures[outcome.model] += 1
        if self._failures[outcome.model] > self.plan.allowed_failures:
            self.stop(outcome.model, f"failed {outcome.case_id} in batch {outcome.batch + 1}")
