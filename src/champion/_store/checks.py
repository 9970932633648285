"""Check verdicts: ``champion check`` re-ran a stage's promoted pair (the stage gates read them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from champion._store import schema
from champion._store.engine import run_write
from champion._store.rows import utc

__all__ = ["CheckQueries", "CheckRow"]

_table = schema.checks


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One check: which promoted run of a stage it re-ran, in which run, and its verdict."""

    id: int
    task: str
    stage: str
    promoted_run: str
    check_run: str
    champion: str
    #: The champion's status in the check run.
    status: str
    #: It still qualifies and is not significantly slower.
    ok: bool
    ratio: float | None
    p_value: float | None
    checked_at: datetime


def _row(row: Any) -> CheckRow:
    values = dict(row._mapping)
    values["checked_at"] = utc(values["checked_at"])
    return CheckRow(**values)


class CheckQueries:
    """Check verdicts; mixed into :class:`champion._store.Store`."""

    engine: Engine

    def add_check(self, *, task: str, stage: str, promoted_run: str, check_run: str,
                  champion: str, status: str, ok: bool, ratio: float | None,
                  p_value: float | None) -> CheckRow:
        """Record a check's verdict (checked now)."""
        def work(connection: Connection) -> CheckRow:
            key = connection.execute(_table.insert().values(
                task=task, stage=stage, promoted_run=promoted_run, check_run=check_run,
                champion=champion, status=status, ok=ok, ratio=ratio, p_value=p_value,
                checked_at=datetime.now(UTC))).inserted_primary_key
            assert key is not None
            return _row(connection.execute(select(_table).where(_table.c.id == key[0])).one())

        return run_write(self.engine, work)

    def checks_of(self, task: str, stage: str, promoted_run: str | None = None
                  ) -> list[CheckRow]:
        """The checks of ``task`` on ``stage`` (of one promoted run), newest first."""
        query = (select(_table).where(_table.c.task == task, _table.c.stage == stage)
                 .order_by(_table.c.id.desc()))
        if promoted_run is not None:
            query = query.where(_table.c.promoted_run == promoted_run)
        with self.engine.connect() as connection:
            return [_row(row) for row in connection.execute(query)]
