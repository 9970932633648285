"""The result of one run: what the runner returns and the store rebuilds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from champion._ranking import Ranking
from champion._records import ModelRun, Trial

__all__ = ["FORMAT_VERSION", "RunResult", "TrialSource"]

#: The version of the run JSON and of what a run records.
FORMAT_VERSION = 2


class TrialSource(Protocol):
    """A run's trials, read again on every iteration (a list, or the store streaming them)."""

    def __iter__(self) -> Iterator[Trial]:
        """Every trial, in the order they were stored."""

    def __len__(self) -> int:
        """How many trials there are."""


@dataclass(slots=True)
class RunResult:
    """One execution of one suite against a set of candidates.

    ``trials`` may be a list or a source that streams them from the store, so
    a run of any size can be reported without holding every trial in memory.
    """

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
    trials: TrialSource
    ranking: Ranking
    #: case id → {expected, type, difficulty} for reports.
    case_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    case_order: list[str] = field(default_factory=list)
    suite_json: dict[str, Any] = field(default_factory=dict)
    #: sha256 of the canonical JSON of prompt, output, check, qualify and cases.
    suite_fingerprint: str = ""
    #: Lanes that ran side by side: each a list of model ids that ran one after another.
    lanes: list[list[str]] = field(default_factory=list)
    #: Strategy options recorded for resume (confirm batches, concurrency).
    config: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

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
