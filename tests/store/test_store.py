"""The store on SQLite and PostgreSQL: round trips, streaming, idempotent trials, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, text

from champion import Candidate, RunConfig, load_suite, run_suite
from champion._errors import InputError
from champion._records import ModelRun, Trial
from champion._report import render_markdown, run_to_json
from champion._results import RunResult
from champion._secrets import register_secret
from champion._store import Store, StoredTrials, repository, schema
from tests.store.factories import line, model, result, trial


def test_a_run_round_trips_through_the_database(triage_suite: Path, any_db: str) -> None:
    candidates = [
        Candidate(id="good", provider="test", model="good",
                  options={"rules": [["charged|refund", "billing"], ["error", "technical"]]}),
        Candidate(id="lazy", provider="test", model="lazy", options={"reply": "billing"}),
    ]
    with Store(any_db) as store:
        ran = run_suite(load_suite(triage_suite), candidates, repeats=2, db=store,
                        config=RunConfig(strategy="full"))
    with Store(any_db) as store:
        loaded = store.load_run(ran.run_id)
        assert isinstance(loaded.trials, StoredTrials)
        assert run_to_json(loaded) == run_to_json(ran)
        assert render_markdown(loaded) == render_markdown(ran)
        assert len(loaded.trials) == 12 == store.count_trials(ran.run_id)
        original = {t.key: t for t in ran.trials}
        stored = list(loaded.trials)
        assert {t.key for t in stored} == set(original) == store.trial_keys(ran.run_id)
        for t in stored:
            twin = original[t.key]
            assert (t.output, t.correct, t.latency_ms, t.error_kind) == (
                twin.output, twin.correct, twin.latency_ms, twin.error_kind)
        assert loaded.ranking.champion == "good"
        assert [m.model for m in loaded.models] == ["good", "lazy"]


def _stored_run(store: Store, run_id: str = "r1", **kwargs: object) -> RunResult:
    run = result(run_id, **kwargs)  # type: ignore[arg-type]
    store.begin_run(run)
    return run


def test_every_field_of_a_run_and_its_models_survives(any_db: str) -> None:
    with Store(any_db) as store:
        run = _stored_run(store, lines=(line("a", 1, "champion"), line("b", 2, "runner-up")))
        models = [model("a", digest="sha256:1", base_url="http://h:1/v1"), model("b")]
        models[0].stopped, models[0].memory_mb, models[0].cold_start_ms = "slow", 512.0, 3.5
        for m in models:
            store.add_model("r1", m)
        on_worker = trial("a", "C1", 0)
        on_worker.where = {"node": "5e1f", "ip": "10.0.0.7", "gpus": ["0"], "threads": 8}
        store.add_trials("r1", [on_worker, trial("b", "C2", 1, correct=False,
                                                 error="timeout: slow")])
        store.finish_run(run)
        loaded = store.load_run("r1")
    assert loaded.models == models
    assert (loaded.suite_fingerprint, loaded.lanes, loaded.config, loaded.format_version) == (
        "fp1", [["a", "b"]], {"concurrency": 1}, run.format_version)
    assert (loaded.started_at, loaded.finished_at, loaded.status) == (
        run.started_at, run.finished_at, "complete")
    assert list(loaded.trials) == [on_worker, trial("b", "C2", 1, correct=False,
                                                    error="timeout: slow")]
    assert (loaded.champion, loaded.runner_up) == ("a", "b")


def test_a_run_begins_with_its_models_in_the_same_write(any_db: str) -> None:
    """A process killed right after the run is begun leaves a run that a resume can
    finish: its candidates are there (a resume without them would run nothing)."""
    from champion._runner.memory import MemorySink

    begun = result("r1")
    begun.models = [model("a", base_url="http://h:1/v1"), model("b")]
    with Store(any_db) as store:
        store.begin_run(begun)
    with Store(any_db) as store:
        assert [m.model for m in store.load_run("r1").models] == ["a", "b"]
    sink = MemorySink()
    sink.begin_run(begun)
    assert [m.model for m in sink.load_run("r1").models] == ["a", "b"]


def test_add_trials_never_stores_a_trial_twice(any_db: str) -> None:
    with Store(any_db) as store:
        _stored_run(store)
        first = [trial("a", "C1", 0), trial("a", "C2", 0)]
        store.add_trials("r1", first)
        again = [trial("a", "C1", 0, latency_ms=99.0), trial("a", "C1", 1)]
        store.add_trials("r1", again)
        store.add_trials("r1", first)
        stored = list(store.iter_trials("r1"))
    assert store.count_trials("r1") == 3
    assert [(t.key, t.latency_ms) for t in stored] == [
        (("a", "C1", 0), 10.0), (("a", "C2", 0), 10.0), (("a", "C1", 1), 10.0)]


def test_trials_are_read_in_chunks_and_counted_live(any_db: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repository, "CHUNK", 3)
    with Store(any_db) as store:
        _stored_run(store)
        _stored_run(store, "other")
        store.add_trials("other", [trial("z", "C1", b) for b in range(5)])
        store.add_trials("r1", [trial("a", "C1", b) for b in range(10)])
        loaded = store.load_run("r1")
        selects: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "FROM trials" in statement:
                selects.append(statement)

        event.listen(store.engine, "before_cursor_execute", count)
        batches = [t.batch for t in loaded.trials]
        event.remove(store.engine, "before_cursor_execute", count)
        assert batches == list(range(10))
        assert len(selects) == 4  # 3 + 3 + 3 + 1
        store.add_trials("r1", [trial("a", "C2", 0)])
        assert len(loaded.trials) == 11
        assert len(list(store.iter_trials("r1", model="a"))) == 11
        assert store.trial_keys("other") == {("z", "C1", b) for b in range(5)}


def test_a_replaced_model_is_stored_once(any_db: str) -> None:
    with Store(any_db) as store:
        _stored_run(store)
        store.add_model("r1", model("a"))
        newer = model("a", digest="sha256:2")
        store.add_model("r1", newer)
        assert store.models("r1") == [newer]


def test_secrets_never_reach_the_database(any_db: str) -> None:
    register_secret("sk-test-4f8a9b2c")
    with Store(any_db) as store:
        _stored_run(store)
        store.add_model("r1", ModelRun(
            model="a", provider="openai", model_name="m",
            base_url="https://user:hunter2pass@example.com/v1", key="openai/m@x",
            candidate={"id": "a", "provider": "openai", "model": "m",
                       "headers": {"Authorization": "Bearer sk-test-4f8a9b2c"}},
            error="HTTP 401: bad key sk-test-4f8a9b2c"))
        store.add_trials("r1", [Trial(model="a", case_id="C1", batch=0, position=0,
                                      correct=False, error="rejected: sk-test-4f8a9b2c")])
        with store.engine.connect() as connection:
            dumped = " ".join(
                str(row) for table in ("run_models", "trials")
                for row in connection.execute(text(f"SELECT * FROM {table}")))
    assert "sk-test-4f8a9b2c" not in dumped
    assert "hunter2pass" not in dumped


def test_an_unknown_run_is_input_error(any_db: str) -> None:
    with Store(any_db) as store, pytest.raises(InputError, match="no run 'nope'"):
        store.load_run("nope")


def test_every_column_holds_the_record_field_of_its_name() -> None:
    from champion._records import ModelRun as ModelFields
    from champion._records import Trial as TrialFields

    trial_fields = set(TrialFields.__dataclass_fields__)
    model_fields = set(ModelFields.__dataclass_fields__)
    assert set(schema.trials.c.keys()) - {"id", "run_id"} == trial_fields
    assert set(schema.run_models.c.keys()) - {"run_id"} == model_fields
    run_fields = set(RunResult.__dataclass_fields__) | {"champion", "runner_up", "calls"}
    assert set(schema.runs.c.keys()) - {"id"} <= run_fields


def test_leaderboard_counts_trials_beside_the_ranking(any_db: str) -> None:
    with Store(any_db) as store:
        run = _stored_run(store, lines=(line("a", 1, "champion", 10.0),
                                        line("b", 2, "disqualified", 5.0, pass_rate=0.5)))
        store.add_model("r1", model("a"))
        store.add_model("r1", model("b"))
        store.add_trials("r1", [trial("a", "C1", 0, latency_ms=10), trial("a", "C2", 0,
                                                                          latency_ms=20),
                                trial("b", "C1", 0, correct=False, error="timeout: x")])
        store.finish_run(run)
        board = store.leaderboard("r1")
    assert [(r.model, r.key, r.rank, r.trials, r.passes, r.errors) for r in board] == [
        ("a", "test/a", 1, 2, 2, 0), ("b", "test/b", 2, 1, 0, 1)]
    assert board[0].mean_latency_ms == pytest.approx(15.0)


def test_the_default_database_is_created_under_dot_champion(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHAMPION_DB", raising=False)
    Store().close()
    assert (tmp_path / ".champion" / "champion.db").is_file()


def test_an_unreachable_database_is_a_store_error_without_its_password() -> None:
    from champion._errors import StoreError

    with pytest.raises(StoreError) as caught:
        Store("postgresql+psycopg://user:s3cretpw@127.0.0.1:1/none?connect_timeout=2")
    assert "s3cretpw" not in str(caught.value) and "cannot open database" in str(caught.value)


def test_databases_without_on_conflict_also_skip_stored_keys(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Store, "_insert_trials", lambda self: None)
    with Store(f"sqlite:///{tmp_path / 'plain.db'}") as store:
        _stored_run(store)
        store.add_trials("r1", [trial("a", "C1", 0)])
        store.add_trials("r1", [trial("a", "C1", 0), trial("a", "C2", 0), trial("a", "C2", 0)])
        assert store.trial_keys("r1") == {("a", "C1", 0), ("a", "C2", 0)}
