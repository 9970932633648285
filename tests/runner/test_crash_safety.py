"""Killed at random moments with SIGKILL and resumed: every trial stored exactly once.

A deterministic scripted server (fixed delays, fixed answers per model and
case) makes an uninterrupted run and a run killed again and again comparable:
the resumed run must end with the same plan, the run's own seed, no trial
twice, and the same ranking.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from champion._store import Store
from champion.testing.scripted import ScriptedModel, ScriptedServerProcess
from tests.conftest import ROOT

SUITE = "task: crash\nprompt: {user: 'Item {n}: is it even?'}\n" \
        "output: {kind: label, labels: [even, odd]}\nparams: {max_tokens: 4, timeout_s: 30}\n" \
        "cases:\n" + "".join(f"  - {{id: c{n}, vars: {{n: {n}}}, expected:"
                             f" {'even' if n % 2 == 0 else 'odd'}}}\n" for n in range(8))

MODELS = {
    # Always right, fastest.
    "quick": ScriptedModel(rules=[(r"Item \d*[02468]:", "even")], reply="odd", delay_ms=20),
    # Always right, slower.
    "steady": ScriptedModel(rules=[(r"Item \d*[02468]:", "even")], reply="odd", delay_ms=45),
    # Wrong on item 5.
    "sloppy": ScriptedModel(rules=[(r"Item 5:", "even"), (r"Item \d*[02468]:", "even")],
                            reply="odd", delay_ms=30),
}


def _command(suite: Path, db: str, server: ScriptedServerProcess, strategy: str,
             resume: str | None) -> list[str]:
    command = [sys.executable, "-m", "champion", "run", str(suite), "--db", db]
    if resume:
        return [*command, "--resume", resume]
    for name in MODELS:
        command += ["-m", f"openai/{name}@{server.openai_url}"]
    return [*command, "--strategy", strategy, "--repeats", "3", "--seed", "7"]


def _latest_run(db: str) -> tuple[str | None, int]:
    """The run in ``db`` (None before the first kill landed after it began) and its trials."""
    store = Store(db)
    try:
        ids = store.run_ids("crash")
        return (ids[-1], store.count_trials(ids[-1])) if ids else (None, 0)
    finally:
        store.close()


def _run_to_end(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def _killed_run(suite: Path, db: str, server: ScriptedServerProcess, strategy: str,
                rng: random.Random) -> tuple[int, int]:
    """Run to the end, SIGKILLed at random moments and resumed each time.

    Returns the kills, and how many of them landed while trials were being stored.
    """
    kills = mid_run = 0
    stored_before = 0
    while True:
        run_id, stored = _latest_run(db)
        mid_run += int(kills > 0 and stored > stored_before)
        stored_before = stored
        process = subprocess.Popen(_command(suite, db, server, strategy, run_id), cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + rng.uniform(0.3, 2.2)
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            kills += 1
            continue
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors[-2000:]
        return kills, mid_run


def _same_run(reference_db: str, db: str, strategy: str) -> None:
    reference, killed = Store(reference_db), Store(db)
    try:
        [reference_id] = reference.run_ids("crash")
        [killed_id] = killed.run_ids("crash")
        expected, got = reference.load_run(reference_id), killed.load_run(killed_id)
        stored = Counter(t.key for t in got.trials)
        assert stored, "the resumed run stored no trial"
        assert set(stored.values()) == {1}, "a trial was stored twice"
        assert got.status == "complete" and got.seed == expected.seed == 7
        assert got.strategy == strategy
        if strategy == "full":
            assert set(stored) == {t.key for t in expected.trials}
            assert len(stored) == 3 * 8 * 3
        assert [(m.model, m.status, m.passes, m.trials) for m in got.ranking.models] == \
            [(m.model, m.status, m.passes, m.trials) for m in expected.ranking.models]
        assert got.champion == "quick" and got.runner_up == "steady"
    finally:
        reference.close()
        killed.close()


@pytest.mark.parametrize("strategy", ["full", "race"])
def test_sigkill_and_resume_store_every_trial_once(tmp_path: Path, strategy: str) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    rng = random.Random(f"crash-{strategy}")
    kills = mid_run = 0
    with ScriptedServerProcess(MODELS) as server:
        reference_db = f"sqlite:///{tmp_path}/reference.db"
        _run_to_end(_command(suite, reference_db, server, strategy, None))
        attempt = 0
        while kills < 10:  # several killed runs until enough kills landed
            attempt += 1
            assert attempt <= 8, f"only {kills} kills landed in {attempt - 1} runs"
            db = f"sqlite:///{tmp_path}/killed-{attempt}.db"
            landed, during = _killed_run(suite, db, server, strategy, rng)
            kills, mid_run = kills + landed, mid_run + during
            _same_run(reference_db, db, strategy)
    assert kills >= 10
    assert mid_run >= 3  # kills that cut a run while it was storing trials
