"""Resume continues the run: nothing done twice, nothing else run, other candidates refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import create_engine, text

from champion import Candidate, RunConfig, run_suite
from champion._store import Store
from champion.testing.scripted import ScriptedModel, ScriptedServerProcess
from tests.conftest import run_cli

RULES = [("charged|refund", "billing"), ("error", "technical")]


def test_a_completed_run_resumed_calls_no_model(triage_suite: Path, db_url: str) -> None:
    models = {"good": ScriptedModel(rules=RULES, reply="account"),
              "lazy": ScriptedModel(reply="billing")}
    with ScriptedServerProcess(models) as server:
        candidates = [Candidate(id=name, provider="openai", model=name,
                                base_url=server.openai_url) for name in models]
        first = run_suite(str(triage_suite), candidates, repeats=2, db=db_url,
                          config=RunConfig(strategy="full"))
        before = server.stats()
        again = run_suite(str(triage_suite), None, db=db_url, resume=first.run_id)
        after = server.stats()
    assert before == {"good": 7, "lazy": 7}  # a warm-up and six trials each
    assert after == before  # nothing was called again
    assert again.run_id == first.run_id and again.calls == first.calls == 12
    assert again.champion == first.champion == "good"


def test_failfast_resume_does_not_run_a_stopped_model_again(triage_suite: Path,
                                                            db_url: str) -> None:
    models = {"good": ScriptedModel(rules=RULES, reply="account"),
              "lazy": ScriptedModel(reply="billing")}
    with ScriptedServerProcess(models) as server:
        candidates = [Candidate(id=name, provider="openai", model=name,
                                base_url=server.openai_url) for name in models]
        first = run_suite(str(triage_suite), candidates, db=db_url,
                          config=RunConfig(repeats=3, strategy="failfast", seed=2))
        stopped = {m.model: m.stopped for m in first.ranking.models}
        before = server.stats()
        run_suite(str(triage_suite), candidates, db=db_url, resume=first.run_id)
        assert server.stats() == before
    assert stopped["lazy"] is not None and stopped["good"] is None


def test_resume_with_other_candidates_is_refused(triage_suite: Path, db_url: str,
                                                 tmp_path: Path) -> None:
    models = tmp_path / "models.yaml"
    models.write_text("models:\n  - {id: good, provider: test, model: good,"
                      " options: {rules: [[charged|refund, billing], [error, technical]]}}\n"
                      "  - {id: lazy, provider: test, model: lazy, options: {reply: billing}}\n")
    first = run_cli("run", str(triage_suite), "--models", str(models), "--db", db_url,
                    "--repeats", "1")
    assert first.returncode == 0, first.stderr
    run_id = first.stdout.split("run id: ")[1].split()[0]
    other = run_cli("run", str(triage_suite), "-m", "test/other", "--db", db_url,
                    "--resume", run_id)
    assert other.returncode == 2
    assert "resume with the same candidates" in other.stderr and "Traceback" not in other.stderr
    same = run_cli("run", str(triage_suite), "--db", db_url, "--resume", run_id)
    assert same.returncode == 0, same.stderr


def test_a_run_stopped_before_its_candidates_were_stored_is_not_resumed_with_none(
        triage_suite: Path, db_url: str) -> None:
    first = run_cli("run", str(triage_suite), "-m", "test/good", "--db", db_url,
                    "--repeats", "1")
    assert first.returncode == 0, first.stderr
    run_id = first.stdout.split("run id: ")[1].split()[0]
    engine = create_engine(db_url)
    with engine.begin() as connection:  # what a database written by an older release may hold
        for table in ("trials", "rankings", "run_models"):
            connection.execute(text(f"DELETE FROM {table} WHERE run_id = :id"), {"id": run_id})
        connection.execute(text("UPDATE runs SET status = 'interrupted' WHERE id = :id"),
                           {"id": run_id})
    engine.dispose()
    bare = run_cli("run", str(triage_suite), "--db", db_url, "--resume", run_id)
    assert bare.returncode == 2, bare.stdout
    assert "that run recorded no candidate" in bare.stderr and "Traceback" not in bare.stderr
    given = run_cli("run", str(triage_suite), "-m", "test/good", "--db", db_url,
                    "--resume", run_id)
    assert given.returncode == 0, given.stderr
    assert f"run id: {run_id}" in given.stdout
    with Store(db_url) as store:
        resumed = store.load_run(run_id)
        assert resumed.status == "complete" and [m.model for m in resumed.models] == ["good"]
        assert store.count_trials(run_id) > 0


def test_run_suite_works_inside_a_running_event_loop(triage_suite: Path, db_url: str) -> None:
    async def notebook_cell() -> str | None:
        result = run_suite(str(triage_suite), [Candidate(
            id="good", provider="test", model="good",
            options={"rules": [list(rule) for rule in RULES]})], repeats=1, db=db_url)
        return result.champion

    assert asyncio.run(notebook_cell()) == "good"
