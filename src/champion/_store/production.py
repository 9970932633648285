"""Production samples: calls the gateway served, written in batches (``--record``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from champion._store import schema
from champion._store.engine import run_write
from champion._store.rows import utc

__all__ = ["ProductionQueries", "ProductionSummary"]

_table = schema.production_samples


@dataclass(frozen=True, slots=True)
class ProductionSummary:
    """A task's recorded production calls, summed up.

    Attributes:
        calls: samples read (the newest, at most ``limit``).
        served: calls answered 200 by some model.
        errors: calls no model answered (any status but 200, or an error kind).
        fallbacks: served calls the champion did not serve.
        p50_ms, p95_ms: latency of served calls (None without any).
        first, last: when the oldest and newest sample arrived.
        by_model: served calls per model id.
    """

    calls: int
    served: int
    errors: int
    fallbacks: int
    p50_ms: float | None
    p95_ms: float | None
    first: datetime | None
    last: datetime | None
    by_model: Mapping[str, int]

    @property
    def error_rate(self) -> float | None:
        """Errors among all calls."""
        return self.errors / self.calls if self.calls else None

    @property
    def fallback_rate(self) -> float | None:
        """Fallbacks among served calls."""
        return self.fallbacks / self.served if self.served else None


def _quantile(ordered: Sequence[float], q: float) -> float | None:
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class ProductionQueries:
    """Production samples; mixed into :class:`champion._store.Store`."""

    engine: Engine

    def add_production_samples(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert samples (column → value), in one transaction."""
        if not rows:
            return

        def work(connection: Connection) -> None:
            connection.execute(_table.insert(), [dict(row) for row in rows])

        run_write(self.engine, work)

    def production_samples(self, task: str, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest samples of ``task``, newest first, as column → value."""
        query = (select(_table).where(_table.c.task == task)
                 .order_by(_table.c.id.desc()).limit(limit))
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def production_summary(self, task: str, limit: int = 10_000) -> ProductionSummary:
        """Latency and error and fallback rates of ``task``'s newest ``limit`` samples."""
        columns = (_table.c.at, _table.c.status, _table.c.error_kind, _table.c.fallback,
                   _table.c.served_by, _table.c.latency_ms)
        query = (select(*columns).where(_table.c.task == task)
                 .order_by(_table.c.id.desc()).limit(limit))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        latencies: list[float] = []
        by_model: dict[str, int] = {}
        errors = fallbacks = 0
        for row in rows:
            if row.status != 200 or row.error_kind or not row.served_by:
                errors += 1
                continue
            latencies.append(row.latency_ms)
            by_model[row.served_by] = by_model.get(row.served_by, 0) + 1
            fallbacks += bool(row.fallback)
        latencies.sort()
        times = [when for when in (utc(row.at) for row in rows) if when is not None]
        return ProductionSummary(
            calls=len(rows), served=len(latencies), errors=errors, fallbacks=fallbacks,
            p50_ms=_quantile(latencies, 0.5), p95_ms=_quantile(latencies, 0.95),
            first=min(times) if times else None, last=max(times) if times else None,
            by_model=by_model)
