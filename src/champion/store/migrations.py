"""Numbered migrations, each applied once and recorded by name.

Append a new ``mNNN_*`` function to change the schema; never edit an applied one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, inspect, select, text

from champion.store import schema

__all__ = ["MIGRATIONS", "migrate"]

Migration = Callable[[Connection], None]
MIGRATIONS: list[Migration] = []
migration = MIGRATIONS.append


@migration
def m001_initial(connection: Connection) -> None:
    """Runs, the models in each run, trials and rankings."""
    for table in (schema.runs, schema.run_models, schema.trials, schema.rankings):
        table.create(connection, checkfirst=True)


@migration
def m002_warmup_error(connection: Connection) -> None:
    """Why a model's warm-up call failed (its trials may still have run)."""
    _add_column(connection, "run_models", "warmup_error", "TEXT")


def _add_column(connection: Connection, table: str, column: str, sql_type: str) -> None:
    # m001 builds tables from the current schema, so a fresh database already
    # has every column; older databases get it here.
    if column not in {c["name"] for c in inspect(connection).get_columns(table)}:
        connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))


def migrate(connection: Connection) -> list[str]:
    """Apply every migration not yet recorded; returns the names applied."""
    schema.migrations_table.create(connection, checkfirst=True)
    applied = set(connection.scalars(select(schema.migrations_table.c.name)))
    done = []
    for step in MIGRATIONS:
        if step.__name__ in applied:
            continue
        step(connection)
        connection.execute(schema.migrations_table.insert().values(
            name=step.__name__, applied_at=datetime.now(UTC)))
        done.append(step.__name__)
    return done


def table_names(connection: Connection) -> list[str]:
    """Tables present in the database (for tests and diagnostics)."""
    return sorted(inspect(connection).get_table_names())
