"""The store: the only place that talks SQL.

Writes happen between batches (never inside a timed call), one transaction
per batch of trials. A trial is stored at most once per (model, case, batch):
writing it again is a no-op, so a resumed or repeated batch never doubles it.
Reading a run streams its trials in chunks, so a run of any size is reported
in bounded memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from champion._errors import InputError, StoreError
from champion._ranking import Ranking
from champion._ranking.serialize import model_from_json, model_to_json
from champion._records import ModelRun, Trial, TrialKey
from champion._results import RunResult
from champion._secrets import redact as redact_secrets
from champion._store import schema
from champion._store.canaries import CanaryQueries
from champion._store.checks import CheckQueries
from champion._store.engine import open_engine, redact, run_write
from champion._store.judging import JudgeQueries
from champion._store.migrations import upgrade
from champion._store.production import ProductionQueries
from champion._store.promotions import PromotionQueries
from champion._store.queries import RunQueries
from champion._store.rows import model_from_row, model_to_row, trial_to_row, utc
from champion._store.shadows import ShadowQueries
from champion._store.workflows import WorkflowQueries

__all__ = ["DEFAULT_DB", "Store", "StoredTrials", "database_url"]

DEFAULT_DB = "sqlite:///.champion/champion.db"
#: Trials read or written per statement.
CHUNK = 1000
_TRIAL_COLUMNS = frozenset(schema.trials.c.keys())
_MODEL_COLUMNS = frozenset(schema.run_models.c.keys())
_TRIAL_KEY = ("run_id", "model", "case_id", "batch")
#: The trials columns in the order of Trial's fields, so a row builds a Trial positionally.
_TRIAL_SELECT = [schema.trials.c[name] for name in Trial.__dataclass_fields__]


def database_url(url: str | None = None) -> str:
    """``--db`` if given, else ``CHAMPION_DB``, else the default SQLite file."""
    return url or os.environ.get("CHAMPION_DB") or DEFAULT_DB


class StoredTrials:
    """A run's trials as stored: streamed on every iteration, counted by the database."""

    __slots__ = ("_run_id", "_store")

    def __init__(self, store: Store, run_id: str) -> None:
        self._store = store
        self._run_id = run_id

    def __iter__(self) -> Iterator[Trial]:
        return self._store.iter_trials(self._run_id)

    def __len__(self) -> int:
        return self._store.count_trials(self._run_id)

    def __repr__(self) -> str:
        return f"StoredTrials(run_id={self._run_id!r})"


class Store(RunQueries, PromotionQueries, WorkflowQueries, ProductionQueries, JudgeQueries,
            CanaryQueries, ShadowQueries, CheckQueries):
    """Runs, trials, rankings, promotions, workflows, production samples, judge verdicts,
    canaries, shadow outcomes and check verdicts in any SQLAlchemy database.

    Opening a database brings its schema to the newest revision first.
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        try:
            self.engine: Engine = open_engine(self.url)
            upgrade(self.engine)
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"cannot open database {redact(self.url)}: {exc}") from exc

    def close(self) -> None:
        """Release connections (the store opens new ones if used again)."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------

    def begin_run(self, result: RunResult) -> None:
        """Record a run as started, with its models, in one transaction (a process
        killed in between leaves no run that a resume would find without candidates)."""
        models = [_model_row(result.run_id, model) for model in result.models]

        def work(connection: Connection) -> None:
            connection.execute(schema.runs.insert().values(
                id=result.run_id, task=result.task, suite_version=result.suite_version,
                strategy=result.strategy, repeats=result.repeats, cases=result.cases,
                seed=result.seed, status="running", started_at=result.started_at,
                suite_json=result.suite_json, case_info=result.case_info,
                suite_fingerprint=result.suite_fingerprint, lanes=result.lanes,
                config=result.config, format_version=result.format_version,
            ))
            if models:
                connection.execute(schema.run_models.insert(), models)

        self._write(work)

    def add_model(self, run_id: str, model: ModelRun) -> None:
        """Record (or replace) a model's facts in a run."""
        row = _model_row(run_id, model)
        table = schema.run_models

        def work(connection: Connection) -> None:
            connection.execute(delete(table).where(
                table.c.run_id == run_id, table.c.model == model.model))
            connection.execute(table.insert().values(**row))

        self._write(work)

    def add_trials(self, run_id: str, trials: Iterable[Trial]) -> None:
        """Persist trials in one transaction; a trial whose key is stored already is skipped."""
        rows = [trial_to_row(run_id, trial, _TRIAL_COLUMNS) for trial in trials]
        for row in rows:
            if row.get("error"):
                row["error"] = redact_secrets(row["error"])
        if not rows:
            return

        def work(connection: Connection) -> None:
            statement = self._insert_trials()
            pending = rows
            if statement is None:  # no ON CONFLICT here: leave out the keys already stored
                table = schema.trials
                stored = {(model, case_id, batch) for model, case_id, batch in
                          connection.execute(select(table.c.model, table.c.case_id,
                                                    table.c.batch)
                                             .where(table.c.run_id == run_id))}
                pending, seen = [], set()
                for row in rows:
                    key = (row["model"], row["case_id"], row["batch"])
                    if key not in stored and key not in seen:
                        seen.add(key)
                        pending.append(row)
                statement = schema.trials.insert()
            for start in range(0, len(pending), CHUNK):
                connection.execute(statement, pending[start:start + CHUNK])

        self._write(work)

    def finish_run(self, result: RunResult) -> None:
        """Store the ranking, the final status, the finish time and the call count."""
        ranking, run_id = result.ranking, result.run_id

        def work(connection: Connection) -> None:
            connection.execute(delete(schema.rankings).where(
                schema.rankings.c.run_id == run_id))
            if ranking.models:
                connection.execute(schema.rankings.insert(), [
                    {"run_id": run_id, "model": m.model, "rank": m.rank, "status": m.status,
                     "pass_rate": m.pass_rate,
                     "median_ms": m.latency_ms.median if m.latency_ms else None,
                     "data": model_to_json(m)} for m in ranking.models])
            calls = connection.scalar(select(func.count()).select_from(schema.trials).where(
                schema.trials.c.run_id == run_id))
            values: dict[str, Any] = {
                "status": result.status, "finished_at": result.finished_at,
                "champion": ranking.champion, "runner_up": ranking.runner_up,
                "calls": calls, "lanes": result.lanes, "config": result.config,
            }
            if result.suite_fingerprint:
                values["suite_fingerprint"] = result.suite_fingerprint
            connection.execute(update(schema.runs).where(schema.runs.c.id == run_id)
                               .values(**values))

        self._write(work)

    # -- reading ---------------------------------------------------------

    def run_ids(self, task: str | None = None) -> list[str]:
        """Run ids, oldest first, optionally for one task."""
        query = select(schema.runs.c.id).order_by(schema.runs.c.started_at, schema.runs.c.id)
        if task is not None:
            query = query.where(schema.runs.c.task == task)
        with self.engine.connect() as connection:
            return list(connection.scalars(query))

    def load_run(self, run_id: str) -> RunResult:
        """Rebuild a run and its stored ranking; its trials stream from the database."""
        with self.engine.connect() as connection:
            run = connection.execute(select(schema.runs).where(
                schema.runs.c.id == run_id)).mappings().first()
            if run is None:
                raise InputError(f"no run {run_id!r} in {redact(self.url)}")
            models = self._models(connection, run_id)
            ranking_rows = connection.execute(select(schema.rankings.c.data).where(
                schema.rankings.c.run_id == run_id).order_by(schema.rankings.c.rank))
            ranking = Ranking(tuple(model_from_json(data) for (data,) in ranking_rows))
        return RunResult(
            run_id=run["id"], task=run["task"], suite_version=run["suite_version"],
            strategy=run["strategy"], repeats=run["repeats"], cases=run["cases"],
            seed=run["seed"], started_at=utc(run["started_at"]) or datetime.now(UTC),
            finished_at=utc(run["finished_at"]), status=run["status"], models=models,
            trials=StoredTrials(self, run_id), ranking=ranking, case_info=run["case_info"],
            case_order=list(run["case_info"]), suite_json=run["suite_json"],
            suite_fingerprint=run["suite_fingerprint"] or "", lanes=run["lanes"] or [],
            config=run["config"] or {}, format_version=run["format_version"],
        )

    def models(self, run_id: str) -> list[ModelRun]:
        """The models of a run, in the order they were first recorded."""
        with self.engine.connect() as connection:
            return self._models(connection, run_id)

    def iter_trials(self, run_id: str, model: str | None = None) -> Iterator[Trial]:
        """A run's trials in the order they were stored, read ``CHUNK`` at a time.

        Each chunk is its own short read, so no connection is held between them.
        """
        table = schema.trials
        last = -1
        while True:
            query = (select(table.c.id, *_TRIAL_SELECT)
                     .where(table.c.run_id == run_id, table.c.id > last)
                     .order_by(table.c.id).limit(CHUNK))
            if model is not None:
                query = query.where(table.c.model == model)
            with self.engine.connect() as connection:
                rows = connection.execute(query).all()
            for row in rows:
                found = Trial(*row[1:])
                if found.started_at is not None and found.started_at.tzinfo is None:
                    found.started_at = found.started_at.replace(tzinfo=UTC)
                yield found
            if len(rows) < CHUNK:
                return
            last = rows[-1][0]

    def count_trials(self, run_id: str) -> int:
        """How many trials a run has stored."""
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(schema.trials)
                                         .where(schema.trials.c.run_id == run_id)) or 0)

    def trial_keys(self, run_id: str) -> set[TrialKey]:
        """(model, case id, batch) of every stored trial of a run."""
        table = schema.trials
        with self.engine.connect() as connection:
            return {(model, case_id, batch) for model, case_id, batch in connection.execute(
                select(table.c.model, table.c.case_id, table.c.batch)
                .where(table.c.run_id == run_id))}

    # -- internals -------------------------------------------------------

    def _write(self, work: Any) -> None:
        try:
            run_write(self.engine, work)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot write to {redact(self.url)}: {exc}") from exc

    def _insert_trials(self) -> Any:
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            return sqlite.insert(schema.trials).on_conflict_do_nothing(
                index_elements=list(_TRIAL_KEY))
        if dialect == "postgresql":
            return postgresql.insert(schema.trials).on_conflict_do_nothing(
                index_elements=list(_TRIAL_KEY))
        return None

    @staticmethod
    def _models(connection: Connection, run_id: str) -> list[ModelRun]:
        # Ranked models first, in rank order; a database keeps no insertion order.
        table, rankings = schema.run_models, schema.rankings
        rows = connection.execute(
            select(table).outerjoin(rankings, (rankings.c.run_id == table.c.run_id)
                                    & (rankings.c.model == table.c.model))
            .where(table.c.run_id == run_id)
            .order_by(rankings.c.rank.is_(None), rankings.c.rank, table.c.model)
        ).mappings().all()
        return [model_from_row(row) for row in rows]


def _model_row(run_id: str, model: ModelRun) -> dict[str, Any]:
    """A model's row in a run, without secrets."""
    return _without_secrets(model_to_row(run_id, model, _MODEL_COLUMNS))


def _without_secrets(row: dict[str, Any]) -> dict[str, Any]:
    """A model row with registered secrets and URL credentials masked everywhere."""
    return {name: _mask(value) for name, value in row.items()}


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return redact_secrets(value)
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(item) for item in value]
    return value
