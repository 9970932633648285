"""Shared fixtures: suite files in a temp folder, a temp database, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A real PostgreSQL server (session-wide) with the SQLite/PostgreSQL ``any_db`` fixture,
# and the two loopback models the router and gateway tests route between.
pytest_plugins = ["tests.store.postgres", "tests.router.servers"]

TRIAGE = """\
task: mini-triage
prompt:
  system: Answer with one word.
  user: "Ticket: {ticket}"
output: {kind: label, labels: [billing, technical]}
check: {type: label}
repeats: 2
params: {max_tokens: 4, timeout_s: 5}
cases:
  - id: C1
    vars: {ticket: "charged twice"}
    expected: billing
  - id: C2
    vars: {ticket: "error 500"}
    expected: technical
  - id: C3
    vars: {ticket: "refund please"}
    expected: billing
"""


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a dedented file into the test's temp folder."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def triage_suite(write: Callable[[str, str], Path]) -> Path:
    """A small label suite with three cases."""
    return write("triage.yaml", TRIAGE)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite database for the test."""
    return f"sqlite:///{tmp_path / 'champion.db'}"


def run_cli(*args: str, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``champion`` command in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "champion", *args], capture_output=True, text=True,
        cwd=cwd or ROOT, env={**os.environ, **(env or {})}, timeout=600, check=False,
    )
