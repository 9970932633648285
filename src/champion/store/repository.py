"""The store: the only place that talks SQL.

Writes happen between batches (never inside a timed call): one transaction per
batch of trials.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, select, update
from sqlalchemy.exc import SQLAlchemyError

from champion.errors import InputError, StoreError
from champion.ranking import Ranking
from champion.ranking.serialize import model_from_json, model_to_json
from champion.records import ModelRun, Trial
from champion.results import RunResult
from champion.store import schema
from champion.store.migrations import migrate

__all__ = ["DEFAULT_DB", "Store", "database_url"]

DEFAULT_DB = "sqlite:///.champion/champion.db"
_TRIAL_FIELDS = [f for f in Trial.__dataclass_fields__
                 if f != "model" and f in schema.trials.c]


def database_url(url: str | None = None) -> str:
    """``--db`` if given, else ``CHAMPION_DB``, else the default SQLite file."""
    return url or os.environ.get("CHAMPION_DB") or DEFAULT_DB


class Store:
    """Runs, trials and rankings in any SQLAlchemy database."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        if self.url.startswith("sqlite:///") and not self.url.startswith("sqlite:///:memory:"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(self.url)
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_pragmas)
            with self.engine.begin() as connection:
                migrate(connection)
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"cannot open database {_redact(self.url)}: {exc}") from exc

    def close(self) -> None:
        """Release connections."""
        self.engine.dispose()

    # -- writing ---------------------------------------------------------

    def begin_run(self, result: RunResult) -> None:
        """Record a run as started."""
        with self._begin() as connection:
            connection.execute(schema.runs.insert().values(
                id=result.run_id, task=result.task, suite_version=result.suite_version,
                strategy=result.strategy, repeats=result.repeats, cases=result.cases,
                seed=result.seed, status="running", started_at=result.started_at,
                suite_json=result.suite_json, case_info=result.case_info,
            ))

    def add_model(self, run_id: str, model: ModelRun) -> None:
        """Record (or replace) a model's facts in a run."""
        columns = set(schema.run_models.c.keys())
        values = {k: v for k, v in asdict(model).items() if k in columns}
        values["identity"] = values.pop("identity") or {}
        with self._begin() as connection:
            connection.execute(delete(schema.run_models).where(
                schema.run_models.c.run_id == run_id, schema.run_models.c.model == model.model))
            connection.execute(schema.run_models.insert().values(run_id=run_id, **values))

    def add_trials(self, run_id: str, trials: Sequence[Trial]) -> None:
        """Persist a batch of trials in one transaction."""
        if not trials:
            return
        rows = [{"run_id": run_id, "model": t.model,
                 **{name: getattr(t, name) for name in _TRIAL_FIELDS}} for t in trials]
        with self._begin() as connection:
            connection.execute(schema.trials.insert(), rows)

    def finish_run(self, result: RunResult) -> None:
        """Store the ranking, the final status and the finish time."""
        ranking, run_id = result.ranking, result.run_id
        with self._begin() as connection:
            connection.execute(delete(schema.rankings).where(
                schema.rankings.c.run_id == run_id))
            if ranking.models:
                connection.execute(schema.rankings.insert(), [
                    {"run_id": run_id, "model": m.model, "rank": m.rank, "status": m.status,
                     "pass_rate": m.pass_rate,
                     "median_ms": m.latency_ms.median if m.latency_ms else None,
                     "data": model_to_json(m)} for m in ranking.models])
            connection.execute(update(schema.runs).where(schema.runs.c.id == run_id).values(
                status=result.status, finished_at=result.finished_at,
                champion=ranking.champion, runner_up=ranking.runner_up))

    # -- reading ---------------------------------------------------------

    def run_ids(self, task: str | None = None) -> list[str]:
        """Run ids, oldest first, optionally for one task."""
        query = select(schema.runs.c.id).order_by(schema.runs.c.started_at)
        if task is not None:
            query = query.where(schema.runs.c.task == task)
        with self.engine.connect() as connection:
            return list(connection.scalars(query))

    def load_run(self, run_id: str) -> RunResult:
        """Rebuild a run, its trials and its stored ranking from the database alone."""
        with self.engine.connect() as connection:
            run = connection.execute(select(schema.runs).where(
                schema.runs.c.id == run_id)).mappings().first()
            if run is None:
                raise InputError(f"no run {run_id!r} in {_redact(self.url)}")
            models = [ModelRun(**{k: v for k, v in row.items()
                                  if k in ModelRun.__dataclass_fields__})
                      for row in connection.execute(select(schema.run_models).where(
                          schema.run_models.c.run_id == run_id)).mappings()]
            trial_rows = connection.execute(select(schema.trials).where(
                schema.trials.c.run_id == run_id).order_by(schema.trials.c.id)).mappings()
            trials = [Trial(**{k: v for k, v in row.items()
                                if k in Trial.__dataclass_fields__})
                      for row in trial_rows]
            ranking_rows = connection.execute(select(schema.rankings.c.data).where(
                schema.rankings.c.run_id == run_id).order_by(schema.rankings.c.rank))
            ranking = Ranking(tuple(model_from_json(data) for (data,) in ranking_rows))
        order = {m.model: i for i, m in enumerate(models)}
        models.sort(key=lambda m: order[m.model])
        return RunResult(
            run_id=run["id"], task=run["task"], suite_version=run["suite_version"],
            strategy=run["strategy"], repeats=run["repeats"], cases=run["cases"],
            seed=run["seed"], started_at=_utc(run["started_at"]) or datetime.now(UTC),
            finished_at=_utc(run["finished_at"]), status=run["status"], models=models,
            trials=trials, ranking=ranking, case_info=run["case_info"],
            case_order=list(run["case_info"]), suite_json=run["suite_json"],
        )

    def _begin(self) -> Any:
        return self.engine.begin()


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _redact(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL has no password we could show
        return url


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
