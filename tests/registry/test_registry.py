"""Promotion, rollback and history on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from champion._errors import InputError
from champion._providers.candidate import Candidate
from champion._records import ModelRun
from champion._registry import Registry
from champion._registry.history import model_trend, task_history
from champion._store import Store
from tests.store.factories import line, model, result, trial


@pytest.fixture
def store(any_db: str) -> Iterator[Store]:
    with Store(any_db) as opened:
        yield opened


def _run(store: Store, run_id: str, minutes: int, champion: str, runner_up: str | None,
         *, status: str = "complete", fingerprint: str = "fp1",
         digests: dict[str, str] | None = None, medians: dict[str, float] | None = None,
         extra: tuple[str, ...] = ()) -> None:
    medians = medians or {}
    lines = [line(champion, 1, "champion", medians.get(champion, 10.0))]
    if runner_up:
        lines.append(line(runner_up, 2, "runner-up", medians.get(runner_up, 20.0)))
    for name in extra:
        lines.append(line(name, len(lines) + 1, "disqualified", 5.0, pass_rate=0.5))
    run = result(run_id, status=status, lines=tuple(lines) if status == "complete" else (),
                 minutes=minutes, fingerprint=fingerprint)
    store.begin_run(run)
    for m in lines:
        store.add_model(run_id, model(m.model, digest=(digests or {}).get(m.model)))
    store.add_trials(run_id, [trial(m.model, "C1", 0) for m in lines])
    store.finish_run(run)


def test_promote_defaults_to_the_latest_complete_run(store: Store) -> None:
    _run(store, "r1", 0, "a", "b")
    _run(store, "r2", 10, "b", "a", medians={"b": 7.0, "a": 9.0})
    _run(store, "r3", 20, "a", None, status="interrupted")
    registry = Registry(store)
    assert registry.entry("mini") is None and registry.version() == 0
    entry = registry.promote("mini")
    assert (entry.task, entry.stage, entry.run_id) == ("mini", "prod", "r2")
    assert (entry.champion.id, entry.champion.key, entry.champion.median_ms) == (
        "b", "test/b", 7.0)
    assert entry.champion.p90_ms == pytest.approx(8.4)
    assert entry.champion.candidate == Candidate(id="b", provider="test", model="b",
                                                 options={"reply": "billing"})
    assert entry.runner_up is not None and entry.runner_up.id == "a"
    assert entry.suite.task == "mini" and [c.id for c in entry.suite.cases] == ["C1", "C2"]
    assert registry.entry("mini") == entry
    assert registry.version() > 0


def test_promotions_are_kept_and_rollback_walks_back(store: Store) -> None:
    _run(store, "r1", 0, "a", "b")
    _run(store, "r2", 10, "b", None)
    _run(store, "r3", 20, "c", "b", extra=("d",))
    registry = Registry(store)
    versions = [registry.version()]
    for run_id in ("r1", "r2", "r3"):
        registry.promote("mini", run_id)
        versions.append(registry.version())
    registry.promote("mini", "r1", stage="dev")
    assert [e.run_id for e in registry.entries()] == ["r1", "r3"]
    assert [e.run_id for e in registry.entries("prod")] == ["r3"]
    assert registry.rollback("mini").run_id == "r2"
    versions.append(registry.version())
    assert registry.entry("mini") is not None and registry.entry("mini").runner_up is None  # type: ignore[union-attr]
    assert registry.rollback("mini").run_id == "r1"
    with pytest.raises(InputError, match="no earlier promotion"):
        registry.rollback("mini")
    assert registry.entry("mini", "dev").run_id == "r1"  # type: ignore[union-attr]
    assert len(set(versions)) == len(versions)
    history = registry.promotions("mini", "prod")
    assert [(p.run_id, p.action) for p in history] == [
        ("r1", "promote"), ("r2", "promote"), ("r3", "promote"), ("r2", "rollback"),
        ("r1", "rollback")]


@pytest.mark.parametrize(("run_id", "message"), [
    ("r-none", "has no champion"),
    ("r-running", "is running, not complete"),
    ("r-old", "older suite"),
    ("other", "is a run of 'other'"),
    ("missing", "no run 'missing'"),
])
def test_promote_refuses_with_a_clear_message(store: Store, run_id: str, message: str) -> None:
    _run(store, "r-old", 0, "a", "b", fingerprint="fp0")
    none = result("r-none", minutes=5, fingerprint="fp1")
    store.begin_run(none)
    store.finish_run(none)
    store.begin_run(result("r-running", minutes=6, fingerprint="fp1"))
    store.begin_run(result("other", task="other"))
    with pytest.raises(InputError, match=message):
        Registry(store).promote("mini", run_id)


def test_unknown_stage_and_empty_task_are_refused(store: Store) -> None:
    registry = Registry(store)
    with pytest.raises(InputError, match="unknown stage 'qa'"):
        registry.promote("mini", stage="qa")
    with pytest.raises(InputError, match="no complete run"):
        registry.promote("mini")
    with pytest.raises(InputError, match="nothing is promoted"):
        registry.rollback("mini")


def test_a_run_without_stored_candidates_rebuilds_them(store: Store) -> None:
    run = result("r1", lines=(line("a", 1, "champion"),))
    store.begin_run(run)
    store.add_model("r1", ModelRun(model="a", provider="openai", model_name="m1",
                                   base_url="http://127.0.0.1:9/v1", key="openai/m1@x"))
    store.finish_run(run)
    entry = Registry(store).promote("mini")
    assert entry.champion.candidate == Candidate(id="a", provider="openai", model="m1",
                                                 base_url="http://127.0.0.1:9/v1")


def test_history_marks_champion_suite_and_identity_changes(store: Store) -> None:
    _run(store, "r1", 0, "a", "b", digests={"a": "d1", "b": "x"})
    _run(store, "r2", 10, "a", "b", digests={"a": "d1", "b": "x"})
    _run(store, "r3", 20, "b", "a", digests={"a": "d2", "b": "x"})
    _run(store, "r4", 30, "a", None, fingerprint="fp2")
    _run(store, "r5", 40, "a", None, fingerprint="fp2", status="failed")
    history = task_history(store, "mini")
    rows = [(r.run_id, r.champion.id if r.champion else None, r.champion_changed,
             r.previous_champion, r.suite_changed) for r in history.runs]
    assert rows == [("r1", "a", False, None, False), ("r2", "a", False, None, False),
                    ("r3", "b", True, "a", False), ("r4", "a", False, None, True),
                    ("r5", None, False, None, False)]
    assert [(c.model, c.before, c.after) for c in history.runs[2].identity_changes] == [
        ("a", "d1", "d2")]
    assert history.runs[0].calls == 2 and history.runs[0].runner_up is not None
    with pytest.raises(InputError, match="no runs of task 'nope'"):
        task_history(store, "nope")


def test_a_models_trend_compares_only_runs_of_the_same_suite(store: Store) -> None:
    _run(store, "r1", 0, "a", "b", medians={"a": 10.0})
    _run(store, "r2", 10, "a", "b", medians={"a": 15.0})
    _run(store, "r3", 20, "b", "a", medians={"a": 30.0}, fingerprint="fp2")
    trend = model_trend(store, "mini", "a")
    assert trend.key == "test/a"
    assert [(p.run_id, p.median_ms, p.median_change_pct, p.suite_changed, p.status)
            for p in trend.points] == [
        ("r1", 10.0, None, False, "champion"), ("r2", 15.0, pytest.approx(50.0), False,
                                                "champion"),
        ("r3", 30.0, None, True, "runner-up")]
    assert model_trend(store, "mini", "test/a").points == trend.points
    with pytest.raises(InputError, match="never ran"):
        model_trend(store, "mini", "zzz")
