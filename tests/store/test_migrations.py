"""The schema under Alembic: fresh databases, release 0.1 databases upgraded in place."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text

from champion._report import render_markdown, run_to_json
from champion._store import Store, schema
from champion._store.engine import open_engine
from champion._store.migrations import BASELINE, current_revision, head_revision, upgrade
from champion._suite import load_suite
from champion._suite.fingerprint import suite_fingerprint

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RELEASE_DB = FIXTURES / "release-0.1.db"
RELEASE_RUNS = ("f2f0a42d6061", "871b2b83d1d6")
revision_0002 = importlib.import_module(
    "champion._store.alembic.versions.r0002_keys_history_registry")


def test_a_fresh_database_is_built_to_exactly_the_tables_the_code_queries(any_db: str) -> None:
    Store(any_db).close()
    engine = create_engine(any_db)
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        differences = compare_metadata(MigrationContext.configure(connection), schema.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert differences == []
    assert tables == {"alembic_version", "runs", "run_models", "trials", "rankings",
                      "promotions", "production_samples", "workflow_promotions",
                      "workflow_routes", "workflow_verifications", "judge_calls", "canaries",
                      "canary_tallies", "shadow_outcomes", "checks"}


def test_opening_an_up_to_date_database_applies_nothing(any_db: str) -> None:
    engine = open_engine(any_db)
    try:
        assert upgrade(engine) == [head_revision()]  # empty: built at the newest revision
        assert upgrade(engine) == []
    finally:
        engine.dispose()


def test_replaying_every_revision_builds_exactly_the_current_tables(any_db: str) -> None:
    engine = open_engine(any_db)
    try:
        assert upgrade(engine, replay=True) == ["0001", "0002", "0003", "0004", "0005",
                                                "0006", "0007"]
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision()
            differences = compare_metadata(MigrationContext.configure(connection),
                                           schema.metadata)
    finally:
        engine.dispose()
    assert differences == []


def _score(model: dict[str, Any]) -> float | None:
    """The speed score as redefined: 1000 / median latency in seconds."""
    latency = model.get("latency_ms")
    return round(1e6 / latency["median"], 1) if latency and latency["median"] else None


#: Fields of the run JSON redefined on purpose since release 0.1, with their definition.
REDEFINED = {"speed_score": _score}


def _old_keys_equal(old: Any, new: Any, where: str = "") -> None:
    """Every key the old JSON had has the same value in the new one (or, for a
    redefined field, the value of its new definition)."""
    if isinstance(old, dict):
        assert isinstance(new, dict), where
        for key, value in old.items():
            assert key in new, f"{where}.{key} missing"
            if key in REDEFINED:
                assert new[key] == REDEFINED[key](new), f"{where}.{key}"
                continue
            _old_keys_equal(value, new[key], f"{where}.{key}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), where
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _old_keys_equal(a, b, f"{where}[{index}]")
    else:
        assert new == old, where


def _redefined_lines(old: str, run: dict[str, Any]) -> str:
    """The old report with the lines redefined on purpose since release 0.1 written as
    they are now: the speed score is 1000 / median (not mean) latency in seconds, and a
    model that did not qualify shows its median and p90, not its mean."""
    by_rank = {m["rank"]: m for m in run["models"]}
    by_name = {m["model"]: m for m in run["models"]}
    lines, model = [], None
    for line in old.splitlines():
        if row := re.match(r"\| (\d+) \| ", line):  # a row of Top results
            cells = line.split(" | ")
            cells[6] = f"{by_rank[int(row[1])]['speed_score']:.0f}"
            line = " | ".join(cells)
        elif line == "Speed score = 1000 / average latency in seconds.":
            line = "Speed score = 1000 / median latency in seconds."
        elif heading := re.match(r"### (\S+): ", line):
            model = by_name[heading[1]]
        elif line.startswith("Average latency ") and model is not None:
            latency = model["latency_ms"]
            line = (f"Median latency {_ms(latency['median'])}, p90 {_ms(latency['p90'])}"
                    " (not ranked: it did not qualify).")
        lines.append(line)
    return "\n".join(lines)


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _old_lines_kept(old: str, new: str) -> None:
    """Every line of the old report is in the new one, in the same order (the new
    format may add lines and sections, never change or drop one)."""
    remaining = iter(new.splitlines())
    for old_line in old.splitlines():
        assert any(line == old_line for line in remaining), f"line changed or lost: {old_line}"


def _assert_release_reports(url: str) -> None:
    with Store(url) as store:
        assert store.run_ids() == list(RELEASE_RUNS)
        for run_id in RELEASE_RUNS:
            loaded = store.load_run(run_id)
            expected = json.loads((FIXTURES / "release-0.1" / f"{run_id}.json").read_text())
            document = run_to_json(loaded)
            _old_keys_equal(expected, document)
            markdown = (FIXTURES / "release-0.1" / f"{run_id}.md").read_text()
            _old_lines_kept(_redefined_lines(markdown, document), render_markdown(loaded))
        assert store.count_trials("f2f0a42d6061") == 24
        assert store.count_trials("871b2b83d1d6") == 18


def test_a_release_0_1_database_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copy(RELEASE_DB, path)
    url = f"sqlite:///{path}"
    _assert_release_reports(url)
    with Store(url) as store:
        run = store.load_run("f2f0a42d6061")
        fingerprint = suite_fingerprint(load_suite(FIXTURES / "release-0.1" / "suite.yaml"))
        assert run.suite_fingerprint == fingerprint
        assert run.format_version == 1
        assert [m.key for m in run.models] == [
            "test/quick@test", "test/careful@test", "test/lazy@test", "test/broken@test"]
        kinds = {t.error.split(":")[0]: t.error_kind for t in run.trials if t.error}
        assert kinds == {"timeout": "timeout", "skipped": "skipped"}
        assert [s.calls for s in store.run_summaries("mini-triage")] == [24, 18]
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        assert "champion_migrations" not in tables
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (head_revision(),)]


def test_a_release_0_1_database_on_postgresql_is_upgraded_in_place(
        postgres_server: Any) -> None:
    url = postgres_server.new_database()
    engine = open_engine(url)
    source = create_engine(f"sqlite:///{RELEASE_DB}")
    try:
        upgrade(engine, BASELINE)
        with source.connect() as old, engine.begin() as new:
            for table in ("runs", "run_models", "trials", "rankings"):
                rows = [dict(row) for row in old.execute(
                    select(schema.metadata.tables[table].c[*_baseline_columns(table)]))
                    .mappings()]
                new.execute(schema.metadata.tables[table].insert(), rows)
            new.execute(text("SELECT setval('trials_id_seq', (SELECT max(id) FROM trials))"))
            new.execute(text("CREATE TABLE champion_migrations (name VARCHAR(100) PRIMARY KEY,"
                             " applied_at TIMESTAMP WITH TIME ZONE NOT NULL)"))
            new.execute(text("DROP TABLE alembic_version"))
    finally:
        engine.dispose()
        source.dispose()
    _assert_release_reports(url)


def _baseline_columns(table: str) -> list[str]:
    with sqlite3.connect(RELEASE_DB) as db:
        return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def _release_0_1_tables(path: Path, with_warmup_error: bool) -> None:
    """The tables 0.1 made, empty, from its own schema as written in the fixture."""
    with sqlite3.connect(RELEASE_DB) as source, sqlite3.connect(path) as db:
        for (sql,) in source.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"):
            db.execute(sql)
        if not with_warmup_error:
            db.execute("ALTER TABLE run_models DROP COLUMN warmup_error")


def test_the_first_release_0_1_databases_gain_the_warmup_error_column(tmp_path: Path) -> None:
    path = tmp_path / "oldest.db"
    _release_0_1_tables(path, with_warmup_error=False)
    Store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(run_models)")}
    assert {"warmup_error", "key", "candidate"} <= columns


def test_repeated_trial_keys_of_old_databases_keep_their_first_row(tmp_path: Path) -> None:
    path = tmp_path / "dup.db"
    shutil.copy(RELEASE_DB, path)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO trials (run_id, model, case_id, batch, position, correct,"
                   " output, got, parsed_ok, tokens_estimated) SELECT run_id, model, case_id,"
                   " batch, 99, correct, 'again', got, parsed_ok, tokens_estimated FROM trials"
                   " WHERE run_id = '871b2b83d1d6'")
        assert db.execute("SELECT count(*) FROM trials").fetchone() == (60,)
    with Store(f"sqlite:///{path}") as store:
        assert store.count_trials("871b2b83d1d6") == 18
        assert all(t.output != "again" for t in store.iter_trials("871b2b83d1d6"))


@pytest.mark.parametrize("suite_file", ["suite.yaml", "no-check.yaml"])
def test_old_runs_get_the_fingerprint_the_suite_has_today(tmp_path: Path,
                                                          suite_file: str) -> None:
    source = FIXTURES / "release-0.1" / "suite.yaml"
    if suite_file == "no-check.yaml":
        text_ = source.read_text().replace("check: {type: label}\n", "")
        (tmp_path / suite_file).write_text(text_)
        source = tmp_path / suite_file
    suite = load_suite(source)
    dumped = suite.model_dump(mode="json", by_alias=True)
    assert revision_0002._fingerprint(dumped) == suite_fingerprint(suite)
    assert revision_0002._fingerprint(json.dumps(dumped)) == suite_fingerprint(suite)


def test_the_written_out_head_is_the_newest_revision_script() -> None:
    from champion._store.migrations import HEAD, head_revision

    assert head_revision() == HEAD


def test_opening_a_fresh_or_up_to_date_database_does_not_load_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path}/fresh.db"
    code = ("import sys; from champion._store import Store; Store(sys.argv[1]).close();"
            " print('alembic' in sys.modules)")
    first = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True,
                           check=True)
    again = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True,
                           check=True)
    assert first.stdout.strip() == "False"  # built from the current tables, stamped
    assert again.stdout.strip() == "False"  # one row read
