"""What the store's queries return besides runs and trials, and row ⇄ record conversion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from champion._records import ModelRun, Trial

__all__ = ["SERVING_ACTIONS", "LeaderboardRow", "ModelSighting", "PromotionRow", "RunSummary",
           "utc"]

#: The promotion history's actions that change what a stage serves.
SERVING_ACTIONS = ("promote", "rollback")
_MODEL_FIELDS = frozenset(ModelRun.__dataclass_fields__)
_TRIAL_FIELDS = frozenset(Trial.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run without its models and trials."""

    run_id: str
    task: str
    suite_version: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    suite_fingerprint: str
    champion: str | None
    runner_up: str | None
    #: Measured calls stored for the run.
    calls: int
    #: Why the run was made: ``benchmark``, or ``check`` (a re-run of a registered pair).
    purpose: str = "benchmark"


@dataclass(frozen=True, slots=True)
class ModelSighting:
    """A model as it appeared in one run: what identifies it there."""

    run_id: str
    model: str
    key: str
    provider: str
    model_name: str
    base_url: str | None
    digest: str | None


@dataclass(frozen=True, slots=True)
class PromotionRow:
    """One promotion or rollback of a task on a stage."""

    id: int
    task: str
    stage: str
    run_id: str
    champion: str
    champion_key: str
    runner_up: str | None
    runner_up_key: str | None
    promoted_at: datetime
    #: The entry this one replaced on the stage; None for the first.
    previous_id: int | None
    #: ``promote`` or ``rollback``; a canary's events: ``canary`` (started),
    #: ``canary-step``, ``canary-pass``, ``canary-hold``, ``canary-fail``,
    #: ``canary-rollback``, ``canary-abort`` (its full promotion is a ``promote``).
    action: str
    #: The canary this row belongs to (None: no canary).
    canary_id: int | None = None
    #: The canary's share of calls (%) after this row.
    share: float | None = None
    #: A canary event's figures; a gated promotion's check or forced reason.
    details: dict[str, Any] | None = None

    @property
    def serving(self) -> bool:
        """Whether this row changed what the stage serves (a promotion or rollback)."""
        return self.action in SERVING_ACTIONS


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    """One model of one run: its ranking line beside counts taken from its trials."""

    model: str
    key: str
    rank: int
    status: str
    pass_rate: float
    median_ms: float | None
    trials: int
    passes: int
    errors: int
    mean_latency_ms: float | None


def utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives them back naive)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def trial_to_row(run_id: str, trial: Trial, columns: frozenset[str]) -> dict[str, Any]:
    """A ``trials`` row from a Trial."""
    row = {name: getattr(trial, name) for name in _TRIAL_FIELDS if name in columns}
    row["run_id"] = run_id
    return row


def model_from_row(row: Mapping[Any, Any]) -> ModelRun:
    """A ModelRun from a ``run_models`` row; lists and dicts never come back None."""
    values = {name: row[name] for name in row if name in _MODEL_FIELDS}
    values["identity"] = values.get("identity") or {}
    values["candidate"] = values.get("candidate") or {}
    values["notes"] = list(values.get("notes") or [])
    values["key"] = values.get("key") or ""
    return ModelRun(**values)


def model_to_row(run_id: str, model: ModelRun, columns: frozenset[str]) -> dict[str, Any]:
    """A ``run_models`` row from a ModelRun."""
    row = {name: getattr(model, name) for name in _MODEL_FIELDS if name in columns}
    row["identity"] = row.get("identity") or {}
    row["run_id"] = run_id
    return row
