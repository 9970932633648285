"""Bringing a database to the newest schema with the revisions under ``store/alembic``.

No ``alembic.ini`` or ``env.py`` is involved: the revisions are found next to
this module and applied on the caller's connection. Opening a database
applies what is missing, once, whatever number of processes open it at the
same moment: the work happens under an exclusive lock (SQLite's write lock
taken by ``BEGIN IMMEDIATE``, PostgreSQL's advisory lock) and the version is
read again once the lock is held.

A database written by release 0.1 has no ``alembic_version`` but a
``champion_migrations`` table; it is stamped at the baseline revision, which
describes exactly the tables 0.1 made, and upgraded from there in place.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Connection, Engine, Text, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from champion._store.engine import run_write

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

__all__ = ["BASELINE", "HEAD", "current_revision", "head_revision", "upgrade"]

#: The revision that equals release 0.1's schema.
BASELINE = "0001"
#: The newest revision, written out so that opening an up-to-date database
#: reads one row and never loads Alembic (a test keeps it equal to the scripts' head).
HEAD = "0007"
_ALEMBIC_DIR = Path(__file__).with_name("alembic")
#: Any constant shared by every champion process; names the advisory lock.
_PG_LOCK_ID = 0x63_68_61_6D_70  # "champ"


@cache
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(_ALEMBIC_DIR),
                           version_locations=[str(_ALEMBIC_DIR / "versions")])


def head_revision() -> str:
    """The newest revision this code knows."""
    head = _scripts().get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The database's revision; None for an empty database or one from release 0.1."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _stamped(connection: Connection) -> str | None:
    """The recorded revision, read with one query (None when there is none yet)."""
    try:
        with connection.begin_nested() if connection.in_transaction() else connection.begin():
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


def upgrade(engine: Engine, target: str = "head", *, replay: bool = False) -> list[str]:
    """Apply every revision the database lacks up to ``target`` (default: the newest);
    returns those applied, oldest first.

    An empty database is built from the current tables and stamped at the
    newest revision, which is what replaying every revision gives (a test
    keeps the two equal) without loading Alembic; ``replay`` replays them anyway.
    """
    wanted = HEAD if target == "head" else target
    with engine.connect() as connection:
        if _stamped(connection) == wanted:
            return []
    return run_write(engine, lambda connection: _upgrade_locked(connection, wanted, replay))


def _upgrade_locked(connection: Connection, target: str, replay: bool) -> list[str]:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
    if not replay and target == HEAD and not inspect(connection).get_table_names():
        from champion._store import schema

        schema.metadata.create_all(connection)
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
                                " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"),
                           {"head": HEAD})
        return [HEAD]
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection)
    scripts = _scripts()
    current = context.get_current_revision()
    if current is None and inspect(connection).has_table("champion_migrations"):
        _complete_release_0_1(connection)
        context.stamp(scripts, BASELINE)
        current = BASELINE
    pending = list(reversed(list(scripts.iterate_revisions(target, current))))
    applied = []
    with Operations.context(context):
        for script in pending:
            script.module.upgrade()
            context.stamp(scripts, script.revision)
            applied.append(script.revision)
    return applied


def _complete_release_0_1(connection: Connection) -> None:
    # The first 0.1 databases predate its second migration, which added this column.
    columns = {column["name"] for column in inspect(connection).get_columns("run_models")}
    if "warmup_error" not in columns:
        from alembic.operations import Operations
        from alembic.runtime.migration import MigrationContext

        Operations(MigrationContext.configure(connection)).add_column(
            "run_models", Column("warmup_error", Text))
