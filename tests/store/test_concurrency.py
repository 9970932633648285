"""Several processes on one database at once: the schema is applied once, no
trial is lost or doubled, and no writer sees "database is locked"."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from champion._store import Store
from champion._store.migrations import head_revision
from tests.conftest import ROOT
from tests.store.factories import result


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.store.workers", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    assert "locked" not in err
    return out


def test_processes_opening_a_fresh_database_together_apply_the_schema_once(
        any_db: str) -> None:
    start = str(time.time() + 2.5)  # after every interpreter has started
    processes = [_start("open", any_db, start) for _ in range(3)]
    applied = sorted(json.loads(_finish(p).strip().splitlines()[-1]) for p in processes)
    assert applied == [[], [], [head_revision()]]  # built once, at the newest revision
    with Store(any_db) as store:
        assert store.run_ids() == []


def test_two_processes_writing_trials_together_lose_none(any_db: str) -> None:
    batches = 40
    with Store(any_db) as store:
        store.begin_run(result("shared"))
    start = str(time.time() + 2.5)
    processes = [_start("write", any_db, start, name, str(batches)) for name in ("a", "b")]
    for process in processes:
        _finish(process)
    with Store(any_db) as store:
        assert store.count_trials("own-a") == store.count_trials("own-b") == batches * 10
        assert store.trial_keys("own-a") == {
            ("a", f"C{i}", b) for i in range(10) for b in range(batches)}
        assert store.count_trials("shared") == batches * 5
