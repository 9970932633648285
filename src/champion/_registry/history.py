"""A task's history: its runs and their champions, and one model's trend over runs.

Two runs compare only when they measured the same suite (the same suite
fingerprint): a champion "changes" only against the previous complete run of
the same suite, and a trend's change is against the previous point of the
same suite. Where the suite changed is marked instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from champion._errors import InputError
from champion._ranking import ModelRanking
from champion._store import ModelSighting, RunSummary, Store

__all__ = ["IdentityChange", "ModelFigures", "ModelTrend", "RunHistory", "TaskHistory",
           "TrendPoint", "model_trend", "task_history"]


@dataclass(frozen=True)
class ModelFigures:
    """A model's figures in one run."""

    id: str
    key: str
    median_ms: float | None
    p90_ms: float | None
    pass_rate: float
    trials: int


@dataclass(frozen=True)
class IdentityChange:
    """A model whose identity digest changed under the same key since its previous run."""

    model: str
    key: str
    before: str
    after: str


@dataclass(frozen=True)
class RunHistory:
    """One run in a task's history."""

    run_id: str
    started_at: datetime
    status: str
    suite_fingerprint: str
    calls: int
    champion: ModelFigures | None
    runner_up: ModelFigures | None
    #: The champion differs from the previous complete run's on the same suite.
    champion_changed: bool
    #: The champion of that previous run, when it changed.
    previous_champion: str | None
    #: The suite differs from the previous run's.
    suite_changed: bool
    identity_changes: tuple[IdentityChange, ...]
    #: Why the run was made: ``benchmark``, or ``check`` (``champion check`` re-running
    #: the registered pair).
    purpose: str = "benchmark"


@dataclass(frozen=True)
class TaskHistory:
    """Every run of a task, oldest first."""

    task: str
    runs: tuple[RunHistory, ...]


@dataclass(frozen=True)
class TrendPoint:
    """One model in one run."""

    run_id: str
    started_at: datetime
    suite_fingerprint: str
    status: str
    rank: int
    median_ms: float | None
    p90_ms: float | None
    pass_rate: float
    trials: int
    #: Median latency change against the previous point on the same suite, in percent.
    median_change_pct: float | None
    #: The suite differs from the previous point's.
    suite_changed: bool
    digest: str | None


@dataclass(frozen=True)
class ModelTrend:
    """One model's latency and pass rate over the runs of a task, oldest first."""

    task: str
    model: str
    key: str
    points: tuple[TrendPoint, ...]


def task_history(store: Store, task: str) -> TaskHistory:
    """Every run of ``task`` with its champion and runner-up and what changed."""
    summaries = store.run_summaries(task)
    if not summaries:
        raise InputError(f"no runs of task {task!r}")
    lines = store.ranking_lines(task, statuses=("champion", "runner-up"))
    sightings = store.model_sightings(task)
    keys = {(s.run_id, s.model): s.key for s in sightings}
    changes = _identity_changes(sightings)
    runs: list[RunHistory] = []
    last_champion: dict[str, str | None] = {}  # fingerprint → champion key of its last run
    previous: RunSummary | None = None
    for summary in summaries:
        by_status = {line.status: line for line in lines.get(summary.run_id, [])}
        champion = _figures(by_status.get("champion"), keys, summary.run_id)
        runner_up = _figures(by_status.get("runner-up"), keys, summary.run_id)
        changed, before = False, None
        if summary.status == "complete":
            fingerprint = summary.suite_fingerprint
            if fingerprint in last_champion:
                before = last_champion[fingerprint]
                now = champion.key if champion else None
                changed = before != now
            last_champion[fingerprint] = champion.key if champion else None
        runs.append(RunHistory(
            run_id=summary.run_id, started_at=summary.started_at, status=summary.status,
            suite_fingerprint=summary.suite_fingerprint, calls=summary.calls,
            champion=champion, runner_up=runner_up, champion_changed=changed,
            previous_champion=_name_of(before, sightings) if changed else None,
            suite_changed=previous is not None
            and previous.suite_fingerprint != summary.suite_fingerprint,
            identity_changes=tuple(changes.get(summary.run_id, ())),
            purpose=summary.purpose,
        ))
        previous = summary
    return TaskHistory(task=task, runs=tuple(runs))


def model_trend(store: Store, task: str, model: str) -> ModelTrend:
    """One model's figures in every run of ``task`` it ran in.

    ``model`` is the model's id in those runs or its key (``provider/model@endpoint``).
    """
    sightings = [s for s in store.model_sightings(task) if model in (s.model, s.key)]
    if not sightings:
        raise InputError(f"model {model!r} never ran on task {task!r}")
    by_run = {s.run_id: s for s in sightings}
    summaries = {s.run_id: s for s in store.run_summaries(task)}
    ids = {s.model for s in sightings}
    lines: dict[str, ModelRanking] = {}
    for model_id in ids:
        for run_id, found in store.ranking_lines(task, model=model_id).items():
            if run_id in by_run and by_run[run_id].model == model_id:
                lines[run_id] = found[0]
    points: list[TrendPoint] = []
    last_median: dict[str, float | None] = {}
    last_fingerprint: str | None = None
    for sighting in sightings:
        summary, line = summaries[sighting.run_id], lines.get(sighting.run_id)
        if line is None:  # the run stopped before it was ranked
            continue
        fingerprint = summary.suite_fingerprint
        median = line.latency_ms.median if line.latency_ms else None
        before = last_median.get(fingerprint)
        change = None if median is None or not before else (median / before - 1) * 100
        points.append(TrendPoint(
            run_id=summary.run_id, started_at=summary.started_at, suite_fingerprint=fingerprint,
            status=line.status, rank=line.rank, median_ms=median,
            p90_ms=line.latency_ms.p90 if line.latency_ms else None, pass_rate=line.pass_rate,
            trials=line.trials, median_change_pct=change,
            suite_changed=last_fingerprint is not None and last_fingerprint != fingerprint,
            digest=sighting.digest))
        if median is not None:
            last_median[fingerprint] = median
        last_fingerprint = fingerprint
    return ModelTrend(task=task, model=model, key=sightings[-1].key, points=tuple(points))


def _figures(line: ModelRanking | None, keys: dict[tuple[str, str], str],
             run_id: str) -> ModelFigures | None:
    if line is None:
        return None
    latency = line.latency_ms
    return ModelFigures(
        id=line.model, key=keys.get((run_id, line.model)) or line.model,
        median_ms=latency.median if latency else None,
        p90_ms=latency.p90 if latency else None, pass_rate=line.pass_rate, trials=line.trials)


def _identity_changes(sightings: list[ModelSighting]) -> dict[str, list[IdentityChange]]:
    """run id → models whose digest differs from the one they had in their previous run."""
    last: dict[str, str] = {}
    changes: dict[str, list[IdentityChange]] = {}
    for sighting in sightings:
        if not sighting.digest:
            continue
        name = sighting.key or sighting.model
        before = last.get(name)
        if before is not None and before != sighting.digest:
            changes.setdefault(sighting.run_id, []).append(IdentityChange(
                model=sighting.model, key=sighting.key, before=before, after=sighting.digest))
        last[name] = sighting.digest
    return changes


def _name_of(key: str | None, sightings: list[ModelSighting]) -> str | None:
    if key is None:
        return None
    return next((s.model for s in reversed(sightings) if s.key == key), key)
