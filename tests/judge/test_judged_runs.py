"""Judged runs against scripted servers: the judge's verdicts rank the candidates,
its verdicts are cached, its calls are apart from the candidates' figures, and
a judge that cannot be trusted is refused before any candidate is called."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from champion._errors import InputError
from champion._report import render_markdown, run_to_json
from champion._report.html import render_html
from champion._store import Store
from champion.testing.scripted import ScriptedModel
from tests.judge.scripted import (
    GOOD,
    KNOWING,
    WRONG_ON_FRANCE,
    answering,
    bench,
    capital_suite,
    delta,
)

TASK_JUDGE = "{task: capital-grading}"


def _models(judge: ScriptedModel = KNOWING) -> dict[str, ScriptedModel]:
    return {"judge-a": judge, "judge-b": judge, "good": answering(GOOD, delay_ms=5),
            "lyon": answering(WRONG_ON_FRANCE, delay_ms=1)}


def test_the_registered_grader_judges_and_the_ranking_follows_its_verdicts(
        tmp_path: Path) -> None:
    with bench(tmp_path, _models()) as b:
        grading = b.grading_run(("judge-a", "judge-b"))
        assert grading.champion is not None and grading.runner_up is not None
        suite = capital_suite(tmp_path, TASK_JUDGE)
        before = b.server.stats()
        result = b.run(suite, "good", "lyon")
        calls = delta(b.server.stats(), before)
    data = run_to_json(result)
    lines = {m["model"]: m for m in data["models"]}
    assert data["champion"] == "good"
    assert lines["good"]["passes"] == lines["good"]["trials"] == 6
    assert lines["lyon"]["status"] == "disqualified" and lines["lyon"]["passes"] == 4
    failed = lines["lyon"]["failed_cases"]
    assert [(f["id"], f["got"], f["reason"], f["expected"]) for f in failed] == [
        ("FR", "Lyon", "that is not the capital", "Paris")]
    judge = data["judge"]
    champion = grading.champion
    assert judge["kind"] == "task" and judge["task"] == "capital-grading"
    assert judge["model"] == champion and judge["fallback"] == grading.runner_up
    assert judge["agreement_lower95"] == pytest.approx(0.05 ** (1 / 30), abs=1e-4)
    assert judge["promoted_run"] == grading.run_id
    # Distinct answers: Paris, Berlin, Rome and Lyon for FR; each judged once by the
    # champion (after one warm-up), every repeat and the other model's equal answers cached.
    assert calls == {champion: 4 + 1, "good": 7, "lyon": 7}
    assert judge["calls"] == 4 and judge["cache_hits"] == 12 - 4
    assert data["models"][0]["unjudged"] == 0
    with Store(b.db) as store:
        stored = store.judge_calls(result.run_id)
    assert len(stored) == 12 and {c.judge for c in stored} == {champion}
    assert {(c.model, c.case_id, c.batch) for c in stored} == {
        (t.model, t.case_id, t.batch) for t in result.trials}


def test_a_second_run_meeting_the_same_answers_calls_no_judge(tmp_path: Path) -> None:
    with bench(tmp_path, _models()) as b:
        grading = b.grading_run(("judge-a", "judge-b"))
        suite = capital_suite(tmp_path, TASK_JUDGE)
        first = b.run(suite, "good", "lyon")
        before = b.server.stats()
        second = b.run(suite, "good", "lyon")
        calls = delta(b.server.stats(), before)
    # The candidates run again; the judge is neither called nor warmed up.
    assert calls == {"good": 7, "lyon": 7}
    assert grading.champion not in calls
    judge = run_to_json(second)["judge"]
    assert judge["calls"] == 0 and judge["cache_hits"] == 12 and judge["cold_start_ms"] == {}
    assert second.champion == first.champion == "good"
    assert [m.passes for m in second.ranking.models] == [m.passes for m in first.ranking.models]


def test_a_changed_rubric_is_a_new_cache_key(tmp_path: Path) -> None:
    with bench(tmp_path, _models()) as b:
        b.grading_run(("judge-a", "judge-b"))
        b.run(capital_suite(tmp_path, TASK_JUDGE), "good")
        changed = capital_suite(tmp_path, TASK_JUDGE, name="changed.yaml")
        changed.write_text(changed.read_text().replace("FAIL otherwise", "FAIL when it is not"))
        before = b.server.stats()
        result = b.run(changed, "good")
        calls = delta(b.server.stats(), before)
    judge = run_to_json(result)["judge"]
    assert judge["calls"] == 3 and judge["cache_hits"] == 3
    assert calls[judge["model"]] == 3 + 1  # asked again, warmed up first


def test_judge_latency_is_in_no_candidate_latency(tmp_path: Path) -> None:
    slow_judge = ScriptedModel(reply=KNOWING.reply, rules=KNOWING.rules, delay_ms=300)
    with bench(tmp_path, _models(slow_judge)) as b:
        b.grading_run(("judge-a", "judge-b"), repeats=3)
        result = b.run(capital_suite(tmp_path, TASK_JUDGE), "good")
    data = run_to_json(result)
    good = data["models"][0]
    assert good["model"] == "good"
    assert good["latency_ms"]["max"] < 150  # the candidate answers in ~5 ms
    assert data["judge"]["latency_ms"]["median"] >= 300
    assert data["judge"]["cold_start_ms"][data["judge"]["model"]] >= 300
    trials = list(result.trials)
    assert all(t.latency_ms is not None and t.latency_ms < 150 for t in trials)


def test_a_judge_under_the_agreement_floor_is_refused_before_any_candidate_call(
        tmp_path: Path) -> None:
    with bench(tmp_path, _models()) as b:
        grading = b.grading_run(("judge-a", "judge-b"), repeats=1)  # 10/10: bound 74%
        suite = capital_suite(tmp_path, TASK_JUDGE)
        before = b.server.stats()
        with pytest.raises(InputError) as refused:
            b.run(suite, "good", "lyon")
        assert b.server.stats() == before
        with Store(b.db) as store:
            assert store.run_summaries("capital") == []
    message = str(refused.value)
    assert "capital-grading" in message and "74.1%" in message
    assert f"run {grading.run_id}" in message and "min_judge_agreement 90%" in message


def test_a_lower_floor_takes_that_judge(tmp_path: Path) -> None:
    with bench(tmp_path, _models()) as b:
        b.grading_run(("judge-a", "judge-b"), repeats=1)
        suite = capital_suite(tmp_path, "{task: capital-grading}\n  min_judge_agreement: 0.7")
        result = b.run(suite, "good")
    assert result.champion == "good"
    assert run_to_json(result)["judge"]["min_judge_agreement"] == 0.7


def test_an_unknown_or_unpromoted_judge_task_is_refused_naming_it(tmp_path: Path) -> None:
    with bench(tmp_path, _models()) as b:
        suite = capital_suite(tmp_path, "{task: capital-gradin}")
        with pytest.raises(InputError, match=r"judge task 'capital-gradin'.*never benchmarked"):
            b.run(suite, "good")
        assert b.server.stats() == {}
        grading = capital_suite(tmp_path, TASK_JUDGE)
        b.grading_run(("judge-a", "judge-b"))
        staged = capital_suite(tmp_path, "{task: capital-grading, stage: dev}", name="dev.yaml")
        with pytest.raises(InputError, match=r"no champion promoted at stage dev.*champion"
                                             r" promote capital-grading --run"):
            b.run(staged, "good")
        assert b.run(grading, "good").champion == "good"


def test_an_unparseable_verdict_leaves_the_trial_unjudged_and_the_model_no_champion(
        tmp_path: Path) -> None:
    unsure = ScriptedModel(reply=KNOWING.reply, rules=[
        (r"Answer to grade:\s*Rome", "Hard to say."), *KNOWING.rules])
    models = {"judge": unsure, "rome": answering(GOOD, delay_ms=1),
              "slow": answering({"France": "Paris", "Germany": "Berlin", "Italy": "Roma"},
                                delay_ms=30)}
    with bench(tmp_path, models) as b:
        suite = capital_suite(tmp_path, "{model: '" + b.spec("judge") + "'}")
        result = b.run(suite, "rome", "slow")
    lines = {m.model: m for m in result.ranking.models}
    assert lines["rome"].unjudged == 2 and lines["rome"].trials == 4
    assert lines["rome"].passes == 4 and lines["rome"].status == "disqualified"
    assert any("unjudged" in why for why in lines["rome"].disqualified_because)
    # "Roma" is judged (FAIL), so slow is disqualified for failing, not for a judge error.
    assert lines["slow"].unjudged == 0 and lines["slow"].passes == 4
    assert result.champion is None
    unjudged = [t for t in result.trials if t.unjudged]
    assert {(t.model, t.case_id) for t in unjudged} == {("rome", "IT")}
    assert all(not t.correct and t.reason and "no PASS or FAIL" in t.reason for t in unjudged)
    data = run_to_json(result)
    assert data["judge"]["unjudged"] == 2 and data["judge"]["errors"] == 2
    assert "2 trial(s) unjudged" in render_markdown(result)


def test_race_counts_an_unjudged_trial_as_neither_pass_nor_failure(tmp_path: Path) -> None:
    unsure = ScriptedModel(reply=KNOWING.reply, rules=[
        (r"Answer to grade:\s*Rome", "Hard to say."), *KNOWING.rules])
    with bench(tmp_path, {"judge": unsure, "rome": answering(GOOD)}) as b:
        suite = capital_suite(tmp_path, "{model: '" + b.spec("judge") + "'}")
        result = b.run(suite, "rome", strategy="race")
    line = result.ranking.models[0]
    # Not stopped at "its first failure": it ran every batch, and is no champion.
    assert line.stopped is None and line.trials + line.unjudged == 6
    assert line.unjudged == 2 and result.champion is None


def test_calibration_agreement_is_reported_and_the_judge_that_disagreed_named(
        tmp_path: Path) -> None:
    calibration = """\
    calibration:
      - {id: K1, vars: {country: France}, answer: Paris, verdict: PASS}
      - {id: K2, vars: {country: France}, answer: Lyon, verdict: FAIL}
      - {id: K3, vars: {country: Italy}, answer: Roma, verdict: PASS}
    """
    with bench(tmp_path, _models()) as b:
        grading = b.grading_run(("judge-a", "judge-b"))
        suite = capital_suite(tmp_path, TASK_JUDGE, calibration)
        result = b.run(suite, "good")
        again = b.run(suite, "good")
    judge = run_to_json(result)["judge"]
    assert judge["calibration"] == {
        "cases": 3, "agreed": 2, "unjudged": 0, "agreement": pytest.approx(0.6667, abs=1e-4),
        "agreement_lower95": pytest.approx(0.1354, abs=1e-4),
        "disagreements": [{"case": "K3", "judge": grading.champion, "verdict": "FAIL",
                           "human": "PASS"}]}
    assert judge["calls"] == 3 + 3  # three calibration answers, three candidate answers
    assert run_to_json(again)["judge"]["calls"] == 0
    assert run_to_json(again)["judge"]["calibration"] == judge["calibration"]
    for text in (render_markdown(result), render_html(result)):
        assert f"Judge {grading.champion} disagreed on calibration case K3" in text
        assert "2/3 human verdicts agreed" in text


def test_the_runner_up_judges_when_the_champion_gives_no_verdict(tmp_path: Path) -> None:
    # judge-a is faster (the champion) but says nothing useful about Rome at run time.
    fast = ScriptedModel(reply=KNOWING.reply, rules=[
        (r"Rubric:[\s\S]*Answer to grade:\s*Rome", "Let me think."), *KNOWING.rules])
    slow = ScriptedModel(reply=KNOWING.reply, rules=KNOWING.rules, delay_ms=20)
    models = {"judge-a": fast, "judge-b": slow, "good": answering(GOOD)}
    with bench(tmp_path, models) as b:
        grading = b.grading_run(("judge-a", "judge-b"))
        assert (grading.champion, grading.runner_up) == ("judge-a", "judge-b")
        result = b.run(capital_suite(tmp_path, TASK_JUDGE), "good")
        with Store(b.db) as store:
            calls = store.judge_calls(result.run_id)
    assert result.champion == "good" and result.ranking.models[0].unjudged == 0
    italy = [(c.judge, c.role, c.verdict) for c in calls if c.case_id == "IT" and c.batch == 0]
    assert italy == [("judge-a", "judge", None), ("judge-b", "fallback", "PASS")]


def _panel(*specs: str) -> str:
    return "{panel: [" + ", ".join(f"'{spec}'" for spec in specs) + "]}"


def test_a_panel_decides_by_strict_majority_and_a_tie_is_unjudged(tmp_path: Path) -> None:
    lenient = ScriptedModel(reply="PASS")
    strict = ScriptedModel(reply="FAIL: not it")
    models = {"knowing": KNOWING, "lenient": lenient, "strict": strict,
              "lyon": answering(WRONG_ON_FRANCE)}
    with bench(tmp_path, models) as b:
        three = _panel(b.spec("knowing"), b.spec("lenient"), b.spec("strict"))
        result = b.run(capital_suite(tmp_path, three), "lyon")
        two = _panel(b.spec("lenient"), b.spec("strict"))
        tied = b.run(capital_suite(tmp_path, two, name="two.yaml"), "lyon")
    line = result.ranking.models[0]
    # Paris-less France: knowing and strict say FAIL; elsewhere knowing and lenient PASS.
    assert (line.passes, line.trials, line.unjudged) == (4, 6, 0)
    assert line.failed_cases[0].id == "FR" and "2 of 3 judges: FAIL" in (
        line.failed_cases[0].reason or "")
    assert tied.ranking.models[0].unjudged == 6
    assert run_to_json(tied)["judge"]["kind"] == "panel"


def test_resume_judges_the_unjudged_trials_again_and_calls_only_the_judge(
        tmp_path: Path) -> None:
    from champion.testing import MockOpenAIServer

    mood = {"sure": False}

    def judge_reply(prompt: str) -> str:
        if "Answer to grade:\nRome" in prompt and not mood["sure"]:
            return "Hmm."
        return "PASS: capital" if any(city in prompt.split("Answer to grade:")[1]
                                      for city in ("Paris", "Berlin", "Rome")) else "FAIL"

    server = MockOpenAIServer(judge_reply, model="judge")
    url = server.start()
    try:
        with bench(tmp_path, {"good": answering(GOOD)}) as b:
            suite = capital_suite(tmp_path, "{model: 'openai/judge@" + url + "/v1'}")
            first = b.run(suite, "good")
            assert first.champion is None and first.ranking.models[0].unjudged == 2
            mood["sure"] = True
            judge_before, before = server.chat_requests, b.server.stats()
            resumed = b.resume(suite, first.run_id)
            assert b.server.stats() == before  # the candidate is not called again
            judge_calls = server.chat_requests - judge_before
    finally:
        server.stop()
    assert judge_calls == 1 + 1  # warm-up, then Rome (judged once, its repeat cached)
    assert resumed.run_id == first.run_id and resumed.champion == "good"
    assert resumed.ranking.models[0].unjudged == 0 and resumed.ranking.models[0].passes == 6
    data = run_to_json(resumed)
    assert data["models"][0]["unjudged"] == 0 and data["judge"]["unjudged"] == 0
    assert json.dumps(data["judge"])  # plain data


def test_a_task_judge_needs_a_database(tmp_path: Path) -> None:
    from champion import run_suite
    from champion._runner import MemorySink

    suite = capital_suite(tmp_path, TASK_JUDGE)
    with pytest.raises(InputError, match="read from the registry, and this run has no database"):
        run_suite(str(suite), ["test/anything"], db=MemorySink())
