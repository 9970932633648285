"""Shadow outcomes: a shadow model's answers to served calls, compared (``--shadow``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from champion._store import schema
from champion._store.engine import run_write
from champion._store.rows import utc

__all__ = ["ShadowQueries"]

_table = schema.shadow_outcomes
#: Results that compared two answers (``skipped`` rows compared nothing).
COMPARED = ("agree", "disagree")


class ShadowQueries:
    """Shadow outcomes; mixed into :class:`champion._store.Store`."""

    engine: Engine

    def add_shadow_outcomes(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert outcomes (column → value), in one transaction."""
        if not rows:
            return

        def work(connection: Connection) -> None:
            connection.execute(_table.insert(), [dict(row) for row in rows])

        run_write(self.engine, work)

    def shadow_counts(self, task: str, since: datetime | None = None
                      ) -> dict[str, dict[tuple[str, str | None], int]]:
        """Outcomes of ``task``'s shadows (since ``since``): per shadow model,
        (result, kind) → calls."""
        query = (select(_table.c.shadow_model, _table.c.result, _table.c.kind,
                        func.sum(_table.c.count))
                 .where(_table.c.task == task)
                 .group_by(_table.c.shadow_model, _table.c.result, _table.c.kind))
        if since is not None:
            query = query.where(_table.c.at >= since)
        counts: dict[str, dict[tuple[str, str | None], int]] = {}
        with self.engine.connect() as connection:
            for model, result, kind, total in connection.execute(query):
                counts.setdefault(model, {})[(result, kind)] = int(total or 0)
        return counts

    def shadow_outcomes(self, task: str, since: datetime | None = None, *,
                        results: Sequence[str] = COMPARED, limit: int = 1000,
                        with_text: bool = False, model: str | None = None
                        ) -> list[dict[str, Any]]:
        """The newest outcomes of ``task`` with these results, newest first, as
        column → value; ``with_text``: only those whose texts were recorded."""
        query = (select(_table).where(_table.c.task == task, _table.c.result.in_(results))
                 .order_by(_table.c.id.desc()).limit(limit))
        if since is not None:
            query = query.where(_table.c.at >= since)
        if with_text:
            query = query.where(_table.c.prompt_text.is_not(None))
        if model is not None:
            query = query.where(_table.c.shadow_model == model)
        with self.engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(query)]
        for row in rows:
            row["at"] = utc(row["at"])
        return rows
