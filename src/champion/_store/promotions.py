"""The promotions table: every promotion and rollback, kept forever.

What a (task, stage) serves is its newest promotion or rollback. A promotion
points at the entry it replaced; a rollback copies the entry before the current
one and points where that entry pointed, so repeated rollbacks walk further
back. A canary's events are rows of the same history (see
:mod:`champion._store.canaries`) that never change what the stage serves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text

from champion._errors import InputError
from champion._store import schema
from champion._store.engine import run_write
from champion._store.rows import SERVING_ACTIONS, PromotionRow, utc

__all__ = ["PromotionQueries", "current_row", "insert_row", "lock_promotions", "promotion_row"]

_table = schema.promotions
#: Names the advisory lock that orders promotions on PostgreSQL.
_PG_LOCK_ID = 0x70_72_6F_6D_6F  # "promo"


def promotion_row(row: Any) -> PromotionRow:
    """A :class:`PromotionRow` from a ``promotions`` row."""
    return PromotionRow(
        id=row.id, task=row.task, stage=row.stage, run_id=row.run_id, champion=row.champion,
        champion_key=row.champion_key, runner_up=row.runner_up,
        runner_up_key=row.runner_up_key,
        promoted_at=utc(row.promoted_at) or datetime.now(UTC),
        previous_id=row.previous_id, action=row.action, canary_id=row.canary_id,
        share=row.share, details=row.details)


_SERVING = _table.c.action.in_(SERVING_ACTIONS)


def current_row(connection: Connection, task: str, stage: str) -> Any:
    """The promotion or rollback a (task, stage) serves now (None: nothing)."""
    return connection.execute(
        select(_table).where(_table.c.task == task, _table.c.stage == stage, _SERVING)
        .order_by(_table.c.id.desc()).limit(1)).first()


def _inserted_id(connection: Connection, statement: Any) -> int:
    key = connection.execute(statement).inserted_primary_key
    assert key is not None
    return int(key[0])


def insert_row(connection: Connection, **values: Any) -> PromotionRow:
    """Add a row to the history (``promoted_at`` now) and give it back."""
    new_id = _inserted_id(connection, _table.insert().values(
        promoted_at=datetime.now(UTC), **values))
    return promotion_row(connection.execute(select(_table).where(_table.c.id == new_id)).one())


def lock_promotions(connection: Connection) -> None:
    """Order this transaction after every other write of the history (PostgreSQL's
    advisory lock; SQLite's write transactions are serial already)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})


class PromotionQueries:
    """Promotion rows; mixed into :class:`champion._store.Store`."""

    engine: Engine

    def add_promotion(self, *, task: str, stage: str, run_id: str, champion: str,
                      champion_key: str, runner_up: str | None,
                      runner_up_key: str | None,
                      details: dict[str, Any] | None = None) -> PromotionRow:
        """Make this run's pair what the stage serves; the current entry becomes its previous.

        ``details`` are kept with the row (a gated promotion's check or reason)."""
        def work(connection: Connection) -> PromotionRow:
            lock_promotions(connection)
            current = current_row(connection, task, stage)
            return insert_row(
                connection, task=task, stage=stage, run_id=run_id, champion=champion,
                champion_key=champion_key, runner_up=runner_up, runner_up_key=runner_up_key,
                previous_id=None if current is None else current.id, action="promote",
                details=details)

        return run_write(self.engine, work)

    def roll_back_promotion(self, task: str, stage: str) -> PromotionRow:
        """Serve again the entry before the current one; InputError when there is none."""
        def work(connection: Connection) -> PromotionRow:
            lock_promotions(connection)
            current = current_row(connection, task, stage)
            if current is None:
                raise InputError(f"nothing is promoted for {task!r} on {stage}")
            if current.previous_id is None:
                raise InputError(f"{task!r} on {stage} has no earlier promotion to roll back to")
            previous = connection.execute(
                select(_table).where(_table.c.id == current.previous_id)).one()
            return insert_row(
                connection, task=task, stage=stage, run_id=previous.run_id,
                champion=previous.champion, champion_key=previous.champion_key,
                runner_up=previous.runner_up, runner_up_key=previous.runner_up_key,
                previous_id=previous.previous_id, action="rollback")

        return run_write(self.engine, work)

    def promotion(self, task: str, stage: str) -> PromotionRow | None:
        """What the stage serves for the task now."""
        with self.engine.connect() as connection:
            row = current_row(connection, task, stage)
        return None if row is None else promotion_row(row)

    def current_promotions(self, stage: str | None = None) -> list[PromotionRow]:
        """The current entry of every (task, stage), by task then stage."""
        newest = select(func.max(_table.c.id)).where(_SERVING).group_by(_table.c.task,
                                                                        _table.c.stage)
        if stage is not None:
            newest = newest.where(_table.c.stage == stage)
        query = (select(_table).where(_table.c.id.in_(newest.scalar_subquery()))
                 .order_by(_table.c.task, _table.c.stage))
        with self.engine.connect() as connection:
            return [promotion_row(row) for row in connection.execute(query)]

    def promotion_history(self, task: str, stage: str | None = None) -> list[PromotionRow]:
        """Every promotion and rollback of a task, and its canaries' events, oldest first."""
        query = select(_table).where(_table.c.task == task).order_by(_table.c.id)
        if stage is not None:
            query = query.where(_table.c.stage == stage)
        with self.engine.connect() as connection:
            return [promotion_row(row) for row in connection.execute(query)]

    def registry_version(self) -> int:
        """A number that grows with every promotion and rollback, of a task or of a
        workflow, and every canary event (0 before the first)."""
        workflows = schema.workflow_promotions
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.max(_table.c.id))) or 0) + int(
                connection.scalar(select(func.max(workflows.c.id))) or 0)
