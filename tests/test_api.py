"""The Python API's defaults: where results go without ``db``, and choosing candidates."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from champion import (
    Candidate,
    CandidateFilter,
    MemorySink,
    NoCandidateSelected,
    Store,
    run_suite,
    select_candidates,
)
from tests.conftest import run_cli

RULES = [["charged|refund", "billing"], [".", "technical"]]


def _clerk() -> Candidate:
    return Candidate(id="clerk", provider="test", model="clerk", options={"rules": RULES})


def test_without_db_a_run_stays_in_memory_and_says_so(
        triage_suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAMPION_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning, match="kept in memory only; pass db=") as said:
        result = run_suite(triage_suite, [_clerk()], repeats=1)
    assert len([w for w in said if "memory only" in str(w.message)]) == 1
    assert result.champion == "clerk" and result.status == "complete"
    assert not (tmp_path / ".champion").exists()


def test_an_explicit_memory_sink_is_silent(triage_suite: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAMPION_DB", raising=False)
    sink = MemorySink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run_suite(triage_suite, [_clerk()], repeats=1, db=sink)
    assert sink.load_run(result.run_id).champion == "clerk"


def test_without_db_a_run_goes_to_champion_db_when_set(
        triage_suite: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAMPION_DB", db_url)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run_suite(triage_suite, [_clerk()], repeats=1)
    with Store(db_url) as store:
        assert store.run_summary(result.run_id).champion == "clerk"


def test_the_cli_keeps_its_default_database(triage_suite: Path, tmp_path: Path) -> None:
    env = {"CHAMPION_DB": ""}
    run = run_cli("run", str(triage_suite), "-m", "test/clerk", "--repeats", "1",
                  cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / ".champion" / "champion.db").is_file()
    assert "memory only" not in run.stderr


def test_select_candidates_takes_specs_candidates_and_a_models_file(tmp_path: Path) -> None:
    models = tmp_path / "models.yaml"
    models.write_text("models:\n  - {id: filed, provider: test, model: filed}\n")
    chosen = select_candidates(["test/spec", _clerk()], models_file=models)
    assert [c.id for c in chosen] == ["filed", "spec", "clerk"]
    assert [c.id for c in select_candidates()] == ["smollm2-135m", "gemma3-270m"]


def test_a_filter_that_leaves_nothing_names_its_parameters() -> None:
    with pytest.raises(NoCandidateSelected) as caught:
        select_candidates(["test/a", "test/b"], where=CandidateFilter(exclude=("*",)))
    assert str(caught.value) == "no candidate left after the filter (exclude=('*',))"
    assert caught.value.where.exclude == ("*",)
    kept = select_candidates(["test/a", "test/b"], where=CandidateFilter(exclude=("a",)))
    assert [c.id for c in kept] == ["b"]
