"""Opening a database: the engine, SQLite's settings, write transactions that wait.

SQLite lets one writer in at a time. Every write transaction here starts with
``BEGIN IMMEDIATE``, so a second writer waits on the busy timeout at the
start instead of failing half-way when its read lock cannot be upgraded, and
a write that still finds the database locked is retried with a growing pause.
The journal is WAL, so readers never wait for writers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

__all__ = ["BUSY_TIMEOUT_S", "open_engine", "redact", "run_write", "write_transaction"]

T = TypeVar("T")

#: How long a SQLite connection waits for another writer before giving up once.
BUSY_TIMEOUT_S = 30.0
#: Attempts of one write transaction when SQLite still says it is locked.
_ATTEMPTS = 8
_WRITE = "champion_write"


def open_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder, WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is switched off: _sqlite_begin says
    # which kind of transaction each one is.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _retry_locked(lambda: cursor.execute("PRAGMA journal_mode=WAL"))
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the write lock from its start.

    On SQLite that is ``BEGIN IMMEDIATE``; other databases lock row by row.
    """
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection = connection.execution_options(**{_WRITE: True})
        with connection.begin():
            yield connection


def run_write(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in a write transaction; retried while SQLite is locked."""
    def attempt() -> T:
        with write_transaction(engine) as connection:
            return work(connection)

    if engine.dialect.name != "sqlite":
        return attempt()
    return _retry_locked(attempt)


def _retry_locked(work: Callable[[], T]) -> T:
    pause = 0.05
    for attempt in range(_ATTEMPTS):
        try:
            return work()
        except Exception as exc:
            if attempt == _ATTEMPTS - 1 or not _is_locked(exc):
                raise
        time.sleep(pause * (1 + random.random()))
        pause = min(pause * 2, 2.0)
    raise AssertionError("unreachable")


def _is_locked(exc: BaseException) -> bool:
    original = exc.orig if isinstance(exc, OperationalError) else exc
    text = str(original).lower()
    return "database is locked" in text or "database table is locked" in text \
        or "database is busy" in text


def redact(url: str) -> str:
    """A database URL without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL has no password we could show
        return url
