"""Judge verdicts in the store (SQLite and PostgreSQL) and in memory: written, read back,
found again as the cache, and trials judged again updated in place."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from champion._records import JudgeCall, Trial
from champion._runner import MemorySink
from champion._runner.config import TrialSink
from champion._store import Store
from tests.store.factories import result

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _call(case: str, verdict: str | None, *, key: str = "k", cached: bool = False,
          judge_key: str = "openai/judge@http://h/v1") -> JudgeCall:
    return JudgeCall(model="m", case_id=case, batch=0, judge="judge", judge_key=judge_key,
                     role="judge", cache_key=key + case, verdict=verdict,
                     reason=None if verdict is None else f"{verdict} because", output="…",
                     cached=cached, latency_ms=None if cached else 12.5, prompt_tokens=30,
                     completion_tokens=4, cost_usd=None, error=None if verdict else "no verdict",
                     error_kind=None if verdict else "protocol", started_at=NOW)


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> TrialSink:
    if request.param == "memory":
        return MemorySink()
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'champion.db'}"
    else:
        url = request.getfixturevalue("postgres_server").new_database()
    store = Store(url)
    request.addfinalizer(store.close)
    return store


def test_judge_calls_round_trip_and_make_the_cache(sink: TrialSink) -> None:
    sink.begin_run(result("r1"))
    calls = [_call("C1", "PASS"), _call("C2", None), _call("C1", "PASS", cached=True),
             _call("C3", "FAIL", judge_key="ollama/other")]
    sink.add_judge_calls("r1", calls)
    assert sink.judge_calls("r1") == calls
    assert sink.cached_verdicts(["openai/judge@http://h/v1"]) == {
        "kC1": ("PASS", "PASS because")}  # no verdict and cache hits are no cache entries
    assert sink.cached_verdicts(["ollama/other", "openai/judge@http://h/v1"]) == {
        "kC1": ("PASS", "PASS because"), "kC3": ("FAIL", "FAIL because")}
    assert sink.cached_verdicts([]) == {}


def test_a_trial_judged_again_is_updated_in_place(sink: TrialSink) -> None:
    sink.begin_run(result("r1"))
    waiting = Trial(model="m", case_id="C1", batch=0, position=3, correct=False, output="Rome",
                    got="Rome", parsed_ok=True, reason="unjudged: no verdict", latency_ms=9.0,
                    unjudged=True)
    other = replace(waiting, case_id="C2", position=4)
    sink.add_trials("r1", [waiting, other])
    judged = replace(waiting, correct=True, reason="it names the capital", unjudged=False)
    sink.update_trial_verdicts("r1", [judged])
    stored = {t.case_id: t for t in sink.iter_trials("r1")}
    assert (stored["C1"].correct, stored["C1"].unjudged, stored["C1"].reason) == (
        True, False, "it names the capital")
    assert stored["C1"].position == 3 and stored["C1"].latency_ms == 9.0
    assert stored["C2"].unjudged and not stored["C2"].correct
