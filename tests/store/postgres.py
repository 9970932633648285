"""A real PostgreSQL server for the tests: initdb into a temp folder, loopback only,
a free port, stopped at the end of the session.

PostgreSQL refuses to run as root; as root the server runs as the ``postgres``
account if there is one, else ``nobody`` (or ``CHAMPION_TEST_PG_USER``).
When ``CI`` is set a server that cannot start fails the tests; elsewhere the
PostgreSQL half of each test is skipped.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_BIN_DIRS = ["/usr/local/bin", *sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin"))]


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in _BIN_DIRS:
        candidate = Path(folder) / name
        if candidate.is_file():
            return str(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("CHAMPION_TEST_PG_USER"), "postgres", "nobody"):
        if not name:
            continue
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no account to run PostgreSQL as")


class PostgresServer:
    """One server; :meth:`new_database` gives each test an empty database."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="champion-pg-"))
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count()
        self.user = _server_user()

    def _as_server_user(self) -> Callable[[], None] | None:
        user = self.user
        if user is None:
            return None

        def drop() -> None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

        return drop

    def start(self) -> None:
        initdb, postgres = _binary("initdb"), _binary("postgres")
        if not initdb or not postgres:
            raise RuntimeError("initdb/postgres not found")
        data = self.folder / "data"
        if self.user is not None:
            os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        env = {**os.environ, "LC_ALL": "C"}
        subprocess.run([initdb, "-D", str(data), "-U", "champion", "--auth=trust",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True,
                       preexec_fn=self._as_server_user(), env=env, cwd=self.folder)
        self.log = open(self.folder / "server.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [postgres, "-D", str(data), "-p", str(self.port), "-h", "127.0.0.1",
             "-k", str(self.folder), "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=60"],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=self._as_server_user(),
            env=env, cwd=self.folder)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("postgres exited: "
                                   + (self.folder / "server.log").read_text(errors="replace"))
            try:
                self._admin("SELECT 1")
                return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError("postgres did not accept connections within 30 s")

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="champion",
                             dbname="postgres", autocommit=True, connect_timeout=2) as conn:
            conn.execute(sql)

    def new_database(self) -> str:
        """A fresh, empty database's SQLAlchemy URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://champion@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown: ends open sessions
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if hasattr(self, "log"):
            self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A running PostgreSQL server for the whole session."""
    server = PostgresServer()
    try:
        server.start()
    except Exception as exc:
        server.stop()
        message = f"cannot start PostgreSQL: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL, once SQLite and once PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'champion.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()
