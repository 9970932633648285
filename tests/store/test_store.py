"""Store round trip and migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import create_engine

from champion import Candidate, RunConfig, load_suite
from champion.report import render_markdown, run_to_json
from champion.runner import SuiteRunner
from champion.store import Store
from champion.store.migrations import MIGRATIONS, migrate, table_names


def test_run_round_trips_through_the_database(triage_suite: Path, db_url: str) -> None:
    suite = load_suite(triage_suite)
    store = Store(db_url)
    candidates = [
        Candidate(id="good", provider="test", model="good",
                  options={"rules": [["charged|refund", "billing"], ["error", "technical"]]}),
        Candidate(id="lazy", provider="test", model="lazy", options={"reply": "billing"}),
    ]
    result = asyncio.run(SuiteRunner(suite, candidates, RunConfig(repeats=2, seed=5),
                                     sink=store).run())
    store.close()
    loaded = Store(db_url).load_run(result.run_id)
    assert run_to_json(loaded) == run_to_json(result)
    assert render_markdown(loaded) == render_markdown(result)
    assert len(loaded.trials) == 12
    original = {(t.model, t.case_id, t.batch): t for t in result.trials}
    for trial in loaded.trials:
        twin = original[(trial.model, trial.case_id, trial.batch)]
        assert (trial.output, trial.correct, trial.latency_ms) == (
            twin.output, twin.correct, twin.latency_ms)
    assert loaded.ranking.champion == "good"


def test_migrations_are_recorded_and_applied_once(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as connection:
        assert migrate(connection) == [m.__name__ for m in MIGRATIONS]
        assert migrate(connection) == []
        assert {"runs", "trials", "rankings", "run_models",
                "champion_migrations"} <= set(table_names(connection))


def test_an_old_database_is_migrated_forward(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # the shape m001 created before m002 existed
        old.execute("CREATE TABLE champion_migrations (name VARCHAR(100) PRIMARY KEY,"
                    " applied_at DATETIME NOT NULL)")
        old.execute("INSERT INTO champion_migrations VALUES ('m001_initial', '2026-01-01')")
        old.execute("CREATE TABLE runs (id VARCHAR(40) PRIMARY KEY)")
        old.execute("CREATE TABLE run_models (run_id VARCHAR(40), model VARCHAR(300),"
                    " error TEXT)")
    Store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as migrated:
        columns = {row[1] for row in migrated.execute("PRAGMA table_info(run_models)")}
        names = {row[0] for row in migrated.execute("SELECT name FROM champion_migrations")}
    assert "warmup_error" in columns
    assert names == {m.__name__ for m in MIGRATIONS}


def test_default_database_is_created_under_dot_champion(tmp_path: Path,
                                                        monkeypatch: object) -> None:
    import pytest

    mp = pytest.MonkeyPatch()
    mp.chdir(tmp_path)
    mp.delenv("CHAMPION_DB", raising=False)
    try:
        Store().close()
        assert (tmp_path / ".champion" / "champion.db").is_file()
    finally:
        mp.undo()
