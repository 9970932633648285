"""Read queries across runs: summaries, ranking lines, model sightings, leaderboards.

Each is one or two statements whatever the number of trials: summaries read
the ``runs`` row (its ``calls`` is counted once, when the run finishes), and
ranking lines come from ``rankings``, never from the trials.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Select, case, func, select

from champion._errors import InputError
from champion._ranking import ModelRanking
from champion._ranking.serialize import model_from_json
from champion._store import schema
from champion._store.rows import LeaderboardRow, ModelSighting, RunSummary, utc

__all__ = ["RunQueries"]

_runs, _trials, _models, _rankings = schema.runs, schema.trials, schema.run_models, \
    schema.rankings


def _summary_query() -> Select[Any]:
    counted = (select(func.count()).select_from(_trials)
               .where(_trials.c.run_id == _runs.c.id).scalar_subquery())
    return select(_runs.c.id, _runs.c.task, _runs.c.suite_version, _runs.c.status,
                  _runs.c.started_at, _runs.c.finished_at, _runs.c.suite_fingerprint,
                  _runs.c.champion, _runs.c.runner_up, _runs.c.config,
                  func.coalesce(_runs.c.calls, counted).label("calls"))


def _summary(row: Any) -> RunSummary:
    return RunSummary(
        run_id=row.id, task=row.task, suite_version=row.suite_version, status=row.status,
        started_at=utc(row.started_at) or datetime.now(UTC), finished_at=utc(row.finished_at),
        suite_fingerprint=row.suite_fingerprint or "", champion=row.champion,
        runner_up=row.runner_up, calls=int(row.calls or 0),
        purpose=str((row.config or {}).get("purpose") or "benchmark"))


class RunQueries:
    """Queries over many runs; mixed into :class:`champion._store.Store`."""

    engine: Engine
    url: str

    def tasks(self) -> list[str]:
        """Every task with at least one run, sorted."""
        with self.engine.connect() as connection:
            return list(connection.scalars(
                select(_runs.c.task).distinct().order_by(_runs.c.task)))

    def run_summary(self, run_id: str) -> RunSummary:
        """One run's summary; InputError when there is no such run."""
        with self.engine.connect() as connection:
            row = connection.execute(_summary_query().where(_runs.c.id == run_id)).first()
        if row is None:
            raise InputError(f"no run {run_id!r} in the database")
        return _summary(row)

    def run_summaries(self, task: str) -> list[RunSummary]:
        """Every run of a task, oldest first."""
        query = (_summary_query().where(_runs.c.task == task)
                 .order_by(_runs.c.started_at, _runs.c.id))
        with self.engine.connect() as connection:
            return [_summary(row) for row in connection.execute(query)]

    def latest_run(self, task: str, status: str | None = None) -> RunSummary | None:
        """The task's newest run (with that status, if given)."""
        query = (_summary_query().where(_runs.c.task == task)
                 .order_by(_runs.c.started_at.desc(), _runs.c.id.desc()).limit(1))
        if status is not None:
            query = query.where(_runs.c.status == status)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else _summary(row)

    def ranking_lines(self, task: str, *, statuses: Sequence[str] | None = None,
                      model: str | None = None) -> dict[str, list[ModelRanking]]:
        """run id → its stored ranking lines (only those statuses / that model), by rank."""
        query = (select(_rankings.c.run_id, _rankings.c.data)
                 .join(_runs, _runs.c.id == _rankings.c.run_id)
                 .where(_runs.c.task == task)
                 .order_by(_rankings.c.run_id, _rankings.c.rank))
        if statuses is not None:
            query = query.where(_rankings.c.status.in_(list(statuses)))
        if model is not None:
            query = query.where(_rankings.c.model == model)
        lines: dict[str, list[ModelRanking]] = defaultdict(list)
        with self.engine.connect() as connection:
            for run_id, data in connection.execute(query):
                lines[run_id].append(model_from_json(data))
        return dict(lines)

    def model_sightings(self, task: str, fingerprint: str | None = None
                        ) -> list[ModelSighting]:
        """Every model of every run of a task (on one suite fingerprint, if given),
        in run order."""
        query = (select(_models.c.run_id, _models.c.model, _models.c["key"],
                        _models.c.provider, _models.c.model_name, _models.c.base_url,
                        _models.c.digest)
                 .join(_runs, _runs.c.id == _models.c.run_id)
                 .where(_runs.c.task == task)
                 .order_by(_runs.c.started_at, _runs.c.id, _models.c.model))
        if fingerprint is not None:
            query = query.where(_runs.c.suite_fingerprint == fingerprint)
        with self.engine.connect() as connection:
            return [ModelSighting(run_id=row.run_id, model=row.model, key=row.key or "",
                                  provider=row.provider, model_name=row.model_name,
                                  base_url=row.base_url, digest=row.digest)
                    for row in connection.execute(query)]

    def leaderboard(self, run_id: str) -> list[LeaderboardRow]:
        """A run's models by rank, with trial counts and mean latency from its trials."""
        counts = (select(_trials.c.model,
                         func.count().label("trials"),
                         func.sum(case((_trials.c.correct, 1), else_=0)).label("passes"),
                         func.sum(case((_trials.c.error.is_not(None), 1), else_=0))
                         .label("errors"),
                         func.avg(_trials.c.latency_ms).label("mean_latency_ms"))
                  .where(_trials.c.run_id == run_id)
                  .group_by(_trials.c.model).subquery())
        query = (select(_rankings.c.model, _models.c["key"], _rankings.c.rank,
                        _rankings.c.status, _rankings.c.pass_rate, _rankings.c.median_ms,
                        counts.c.trials, counts.c.passes, counts.c.errors,
                        counts.c.mean_latency_ms)
                 .outerjoin(_models, (_models.c.run_id == _rankings.c.run_id)
                            & (_models.c.model == _rankings.c.model))
                 .outerjoin(counts, counts.c.model == _rankings.c.model)
                 .where(_rankings.c.run_id == run_id)
                 .order_by(_rankings.c.rank))
        with self.engine.connect() as connection:
            return [LeaderboardRow(
                model=row.model, key=row.key or "", rank=row.rank, status=row.status,
                pass_rate=row.pass_rate, median_ms=row.median_ms, trials=int(row.trials or 0),
                passes=int(row.passes or 0), errors=int(row.errors or 0),
                mean_latency_ms=None if row.mean_latency_ms is None
                else float(row.mean_latency_ms))
                for row in connection.execute(query)]
