"""The result of one run: what the runner returns and the store rebuilds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from champion.ranking import Ranking
from champion.records import ModelRun, Trial

__all__ = ["RunResult"]


@dataclass(slots=True)
class RunResult:
    """One execution of one suite against a set of candidates."""

    run_id: str
    task: str
    suite_version: str
    strategy: str
    repeats: int
    cases: int
    seed: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    models: list[ModelRun]
    trials: list[Trial]
    ranking: Ranking
    #: case id → (expected, polarity) for reports.
    case_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    case_order: list[str] = field(default_factory=list)
    suite_json: dict[str, Any] = field(default_factory=dict)

    @property
    def champion(self) -> str | None:
        """The fastest model that qualified."""
        return self.ranking.champion

    @property
    def runner_up(self) -> str | None:
        """The next fastest model that qualified."""
        return self.ranking.runner_up

    @property
    def calls(self) -> int:
        """Measured calls made (warm-ups excluded)."""
        return len(self.trials)
