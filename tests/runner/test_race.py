"""The race strategy: screen, certify in speed order, stop when the rest is slower.

Strategy-level tests drive the real strategies through the run loop with a
simulated executor (``champion._runner.simulate.drive``); the end-to-end test runs scripted
models served over HTTP through ``run_suite`` with both strategies.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from champion import Candidate, RunConfig, run_suite
from champion._report import run_to_json
from champion._runner.simulate import OutcomeFn, drive
from champion._runner.strategies import Outcome, RunPlan, strategy_class
from champion._runner.strategies.full import FullStrategy
from champion._runner.strategies.race import RaceOptions, RaceStrategy
from champion.testing.scripted import ScriptedModel, ScriptedServerProcess

CASES = tuple(f"C{i}" for i in range(8))

def scripted(speeds: dict[str, float],
             failures: dict[str, set[tuple[str, int]]]) -> OutcomeFn:
    """Model → base latency; model → the (case, batch) trials it gets wrong."""

    def outcome(model: str, case: str, batch: int) -> Outcome:
        index = CASES.index(case) if case in CASES else int(case[1:])
        latency = speeds[model] * (1 + 0.15 * index) * (1 + 0.02 * ((batch * 7 + index) % 5))
        correct = (case, batch) not in failures.get(model, set())
        return Outcome(model, case, batch, correct, False, latency)

    return outcome


def order_of(outcomes: list[Outcome], stopped: dict[str, str]) -> list[str]:
    """Models that ran unstopped and never failed, by median latency."""
    by_model: dict[str, list[float]] = {}
    failed = set()
    for o in outcomes:
        by_model.setdefault(o.model, []).append(o.latency_ms or 0.0)
        if not o.correct:
            failed.add(o.model)
    qualified = [m for m in by_model if m not in failed and m not in stopped]
    return sorted(qualified, key=lambda m: sorted(by_model[m])[len(by_model[m]) // 2])


def ratio_and_p(why: str) -> tuple[float, float]:
    match = re.fullmatch(r"slower than runner-up: ×([0-9.]+), p=([0-9.e-]+)", why)
    assert match, why
    return float(match[1]), float(match[2])


SPEEDS = {"fast": 100.0, "second": 125.0, "flaky": 90.0, "broken": 60.0,
          "slow": 300.0, "slower": 520.0}
FAILURES = {"broken": {("C5", b) for b in range(10)}, "flaky": {("C2", 2)}}


def plan(models: Iterable[str] = tuple(SPEEDS), cases: tuple[str, ...] = CASES,
         repeats: int = 4, **extra: float) -> RunPlan:
    return RunPlan(models=tuple(models), cases=cases, repeats=repeats, seed=3,
                   **extra)  # type: ignore[arg-type]


def test_race_names_the_full_grids_pair_with_fewer_calls() -> None:
    world = scripted(SPEEDS, FAILURES)
    full = FullStrategy(plan())
    full_outcomes = drive(full, world)
    race = RaceStrategy(plan())
    race_outcomes = drive(race, world)
    assert order_of(race_outcomes, race.stopped)[:2] == order_of(full_outcomes, {})[:2] \
        == ["fast", "second"]
    assert len(full_outcomes) == 6 * 8 * 4
    assert len(race_outcomes) < 0.6 * len(full_outcomes)
    stopped = race.stopped
    assert stopped["broken"] == "failed C5 in batch 1"
    assert stopped["flaky"] == "failed C2 in batch 3"
    # 8 cases, every one slower by more than the margin: p = 2⁻⁸.
    assert ratio_and_p(stopped["slow"]) == pytest.approx((300 / 125, 2 ** -8), rel=0.03)
    assert ratio_and_p(stopped["slower"]) == pytest.approx((520 / 125, 2 ** -8), rel=0.03)
    assert set(stopped) == {"broken", "flaky", "slow", "slower"}
    ran = {(o.model, o.batch) for o in race_outcomes}
    # The finalists ran every batch; the slow models only screening.
    assert all(("fast", b) in ran and ("second", b) in ran for b in range(4))
    assert {b for m, b in ran if m in ("slow", "slower")} == {0}


def test_strategy_is_registered_as_race() -> None:
    assert strategy_class("race") is RaceStrategy


def test_screening_puts_every_model_in_one_wave_then_one_per_wave() -> None:
    race = RaceStrategy(plan())
    world = scripted(SPEEDS, FAILURES)
    assert race.next_wave() == list(SPEEDS)
    for model in SPEEDS:
        pairs = race.trials_for(model)
        assert {b for _c, b in pairs} == {0} and len(pairs) == len(CASES)
        for case, batch in pairs:
            if not race.keep_running(model):
                break
            race.observe(world(model, case, batch))
    wave = race.next_wave()
    assert wave == ["flaky"]  # the fastest survivor is certified first
    assert {b for _c, b in race.trials_for("flaky")} == {1, 2, 3}


def test_cases_that_failed_most_often_come_first_then_the_batch_order() -> None:
    race = RaceStrategy(plan())
    assert [c for c, _b in race.trials_for("fast")] == plan().batch_order(0)
    race.observe(Outcome("broken", "C6", 0, False, False, 10.0))
    race.observe(Outcome("other", "C1", 0, False, False, 10.0))
    race.observe(Outcome("third", "C1", 0, False, False, 10.0))
    order = [c for c, _b in race.trials_for("fast")]
    rest = [c for c in plan().batch_order(0) if c not in ("C1", "C6")]
    assert order == ["C1", "C6", *rest]


def test_a_resumed_race_goes_on_where_it_stopped() -> None:
    world = scripted(SPEEDS, FAILURES)
    whole = RaceStrategy(plan())
    uninterrupted = drive(whole, world)
    for budget in (5, 30, 60, 75):
        first = RaceStrategy(plan())
        before = drive(first, world, budget=budget)
        resumed = RaceStrategy(plan())
        after = drive(resumed, world, stored=before)
        pairs = [(o.model, o.case_id, o.batch) for o in before + after]
        assert len(pairs) == len(set(pairs))  # nothing ran twice
        assert set(pairs) == {(o.model, o.case_id, o.batch) for o in uninterrupted}
        assert resumed.stopped == whole.stopped
        # A model stopped before the interruption never runs again.
        assert not {o.model for o in after} & set(first.stopped)


def test_finalists_run_the_confirmation_batches_and_a_failure_there_replaces_them() -> None:
    failures = {**FAILURES, "fast": {("C4", 5)}}  # fails in the second confirmation batch
    world = scripted(SPEEDS, failures)
    race = RaceStrategy(plan(), RaceOptions(confirm=2))
    outcomes = drive(race, world)
    assert race.stopped["fast"] == "failed C4 in batch 6"
    batches = {m: {o.batch for o in outcomes if o.model == m} for m in SPEEDS}
    assert batches["second"] == set(range(6))
    assert batches["slow"] == set(range(6))  # became a finalist, so certified and confirmed
    assert order_of(outcomes, race.stopped)[:2] == ["second", "slow"]
    assert "slower" in race.stopped


def test_below_full_pass_rate_a_model_is_dropped_once_its_upper_bound_is_under_the_rule() -> None:
    cases = tuple(f"C{i}" for i in range(20))
    half = {(c, b) for b in range(5) for i, c in enumerate(cases) if i % 2 == 0}
    few = {("C3", 1)}
    world = scripted({"half": 100.0, "few": 150.0, "clean": 200.0},
                     {"half": half, "few": few})
    race = RaceStrategy(plan(["half", "few", "clean"], cases=cases, repeats=3,
                             min_pass_rate=0.9))
    outcomes = drive(race, world)
    assert race.stopped["half"].startswith("pass rate at most")
    assert sum(1 for o in outcomes if o.model == "half") < 20  # dropped mid-screening
    assert "few" not in race.stopped  # 1 failure in 60 still allows 90%
    assert {o.batch for o in outcomes if o.model == "few"} == {0, 1, 2}


def test_with_too_few_cases_for_the_test_every_survivor_is_certified() -> None:
    cases = ("C0", "C1", "C2", "C3")  # best one-sided p with 4 cases is 1/16
    world = scripted(SPEEDS, {})
    race = RaceStrategy(plan(cases=cases, repeats=3))
    outcomes = drive(race, world)
    assert race.stopped == {}
    assert len(outcomes) == len(SPEEDS) * 4 * 3


def test_a_model_the_executor_cannot_run_is_dropped_instead_of_offered_forever() -> None:
    race = RaceStrategy(plan(["ghost", "fast"], repeats=2))
    world = scripted(SPEEDS, {})

    def outcome(model: str, case: str, batch: int) -> Outcome:
        return world(model, case, batch)

    waves = 0
    while wave := race.next_wave():
        waves += 1
        assert waves < 10
        for model in wave:
            if model == "ghost":
                continue  # the executor never manages to run it
            for case, batch in race.trials_for(model):
                race.observe(outcome(model, case, batch))
    assert race.stopped == {"ghost": "no trials ran"}


@pytest.mark.parametrize("replay_twice", [False, True])
def test_replaying_the_same_outcome_twice_counts_it_once(replay_twice: bool) -> None:
    race = RaceStrategy(plan(["fast"], repeats=1, min_pass_rate=0.5))
    first = Outcome("fast", "C0", 0, False, False, 10.0)
    race.observe(first)
    if replay_twice:
        race.observe(first)
    remaining = race.trials_for("fast")
    assert ("C0", 0) not in remaining and len(remaining) == len(CASES) - 1


# --- end to end: scripted models over HTTP, full grid against race ------------

E2E_SUITE = """\
task: race-e2e
prompt: {user: "Item {n}: answer ok."}
output: {kind: label, labels: [ok, no]}
params: {max_tokens: 4, timeout_s: 30}
cases: [{id: T0, vars: {n: 0}, expected: ok}, {id: T1, vars: {n: 1}, expected: ok},
        {id: T2, vars: {n: 2}, expected: ok}, {id: T3, vars: {n: 3}, expected: ok},
        {id: T4, vars: {n: 4}, expected: ok}, {id: T5, vars: {n: 5}, expected: ok}]
"""

E2E_MODELS = {
    "fast": ScriptedModel(delay_ms=10),
    "second": ScriptedModel(delay_ms=20),
    "flaky": ScriptedModel(delay_ms=6, flaky=[("Item 3:", "no", 2)]),  # wrong every 2nd ask
    "wrong": ScriptedModel(delay_ms=3, rules=[("Item [24]:", "no")]),
    **{f"slow{i}": ScriptedModel(delay_ms=40 + 5 * i) for i in range(8)},
}


def _run_on_fresh_servers(suite: Path, strategy: str, db: str) -> tuple[Any, dict[str, int]]:
    """Run the suite on the scripted models, two per server; chat requests per model."""
    names = list(E2E_MODELS)
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(ScriptedServerProcess(
            {name: E2E_MODELS[name] for name in names[i::6]})) for i in range(6)]
        candidates = [Candidate(id=name, provider="openai", model=name,
                                base_url=servers[i % 6].openai_url)
                      for i, name in enumerate(names)]
        result = run_suite(str(suite), candidates, db=db,
                           config=RunConfig(strategy=strategy, repeats=5, seed=5))
        calls = {name: count for server in servers for name, count in server.stats().items()}
    return result, calls


def test_race_over_http_names_the_same_pair_with_a_fraction_of_the_calls(
        tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(E2E_SUITE)
    full, full_calls = _run_on_fresh_servers(suite, "full", f"sqlite:///{tmp_path}/full.db")
    race, race_calls = _run_on_fresh_servers(suite, "race", f"sqlite:///{tmp_path}/race.db")
    assert (full.champion, full.runner_up) == ("fast", "second")
    assert (race.champion, race.runner_up) == (full.champion, full.runner_up)
    assert sum(race_calls.values()) <= 0.4 * sum(full_calls.values())
    document = run_to_json(race)
    stopped = {m["model"]: m["stopped"] for m in document["models"]}
    assert stopped["fast"] is None and stopped["second"] is None
    assert stopped["wrong"] is not None and stopped["wrong"].startswith("failed T")
    assert stopped["flaky"] == "failed T3 in batch 2"
    assert all(stopped[f"slow{i}"].startswith("slower than runner-up: ×") for i in range(8))
    by_model = {m["model"]: m for m in run_to_json(full)["models"]}
    assert by_model["flaky"]["flaky_cases"] == ["T3"]
    assert by_model["flaky"]["status"] == "disqualified"
    assert by_model["fast"]["vs_next"]["next"] == "second"


def test_race_ends_cleanly_with_one_model_or_none_surviving() -> None:
    world = scripted(SPEEDS, {"fast": {("C0", 0)}, "second": {("C1", 0)}})
    alone = RaceStrategy(plan(["fast", "second", "slow"], repeats=3), RaceOptions(confirm=1))
    outcomes = drive(alone, world)
    assert set(alone.stopped) == {"fast", "second"}
    assert {o.batch for o in outcomes if o.model == "slow"} == {0, 1, 2, 3}
    nobody = RaceStrategy(plan(["fast", "second"], repeats=3))
    assert len(drive(nobody, world)) <= 2 * len(CASES)
    assert nobody.next_wave() == []
    assert set(nobody.stopped) == {"fast", "second"}
