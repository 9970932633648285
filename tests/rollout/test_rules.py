"""The rules underneath: a canary interval's decision, bucketed latency, sticky sides,
durations, and the comparison seam a check kind plugs its own comparer into."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from champion._cli.options import parse_duration
from champion._providers.base import GenerateRequest, Message
from champion._registry.breaker import BreakerConfig
from champion._registry.rollout.canary import CanaryPlan, decide_interval, takes
from champion._registry.rollout.compare import (
    Comparison,
    ParsedEqual,
    ServedCall,
    comparer_for,
    register_comparer,
    unregister_comparer,
)
from champion._registry.rollout.tally import RATIO, CanaryTally, bucket, quantile
from champion._registry.routes import CanaryRoute, ModelSlot, OutputFormat, Route
from champion._store.canaries import CanaryRow, CohortTally
from tests.router.fakes import triage_suite

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _canary(**changes: object) -> CanaryRow:
    row = CanaryRow(
        id=1, task="t", stage="prod", run_id="r2", champion="b", champion_key="k",
        runner_up=None, runner_up_key=None, share=20.0, step=30.0, interval_s=60.0,
        failure_limit=2, min_calls=10, max_error_rate=0.01, max_fallback_rate=0.05,
        max_p95_ms=100.0, status="running", interval_no=3, interval_started_at=T0,
        bad_intervals=0, started_at=T0, ended_at=None)
    return replace(row, **changes)  # type: ignore[arg-type]


def _tally(calls: int, errors: int = 0, fallbacks: int = 0, ms: float = 20.0) -> CohortTally:
    tally = CanaryTally()
    for index in range(calls):
        tally.count(1, 3, "canary", error=index < errors,
                    fallback=errors <= index < errors + fallbacks, latency_ms=ms)
    [(_, _, _, counted)] = tally.take()
    return counted


LATER = T0 + timedelta(seconds=61)


def test_an_interval_is_decided_only_once_over() -> None:
    assert decide_interval(_canary(), {"canary": _tally(50)}, T0 + timedelta(seconds=59)) is None


@pytest.mark.parametrize(("canary", "tally", "action", "share", "bad"), [
    (_canary(), _tally(9), "canary-hold", 20.0, 0),                     # too few calls
    (_canary(), _tally(50), "canary-step", 50.0, 0),                    # good: +30
    (_canary(share=80.0), _tally(50), "promote", 100.0, 0),             # good: reaches 100
    (_canary(step=None), _tally(50), "canary-pass", 20.0, 0),           # good, no step
    (_canary(), _tally(50, errors=1), "canary-fail", 20.0, 1),          # 2% errors > 1%
    (_canary(), _tally(50, fallbacks=3), "canary-fail", 20.0, 1),       # 6% fallbacks > 5%
    (_canary(), _tally(50, ms=150), "canary-fail", 20.0, 1),            # p95 over 100 ms
    (_canary(bad_intervals=1), _tally(50, errors=5), "canary-rollback", 0.0, 2),
    (_canary(bad_intervals=1), _tally(5, errors=5), "canary-hold", 20.0, 1),  # few: hold
])
def test_an_interval_holds_fails_steps_promotes_or_rolls_back(
        canary: CanaryRow, tally: CohortTally, action: str, share: float, bad: int) -> None:
    step = decide_interval(canary, {"canary": tally, "baseline": _tally(200)}, LATER)
    assert step is not None
    assert (step.action, step.share, step.bad_intervals) == (action, share, bad)
    assert step.status == {"promote": "promoted", "canary-rollback": "rolled_back"}.get(
        action, "running")
    assert step.details["interval"] == 3 and step.details["baseline"]["calls"] == 200
    assert step.details["canary"]["calls"] == tally.calls


def test_bucketed_quantiles_are_never_below_the_truth_and_at_most_a_bucket_above() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(3, 1) for _ in range(5000)]
    tallies = [CanaryTally(), CanaryTally()]  # two workers, merged as the store merges them
    for index, value in enumerate(values):
        tallies[index % 2].count(1, 1, "canary", error=False, fallback=False, latency_ms=value)
    merged = CohortTally()
    for tally in tallies:
        merged.add(tally.take()[0][3])
    ordered = sorted(values)
    for q in (0.5, 0.95, 0.99):
        true = ordered[max(0, int(q * len(ordered) + 0.999999) - 1)]
        estimate = quantile(merged.latency, q)
        assert estimate is not None and true <= estimate <= true * RATIO * 1.000001
    assert quantile({}, 0.95) is None
    assert RATIO ** (bucket(10.0) - 1) < 10.0 <= RATIO ** bucket(10.0)


def _canary_route(share: float) -> CanaryRoute:
    suite = triage_suite()
    from champion._providers.candidate import Candidate

    slot = ModelSlot(Candidate(id="b", provider="openai", model="b"), "k", BreakerConfig())
    route = Route("t", suite, OutputFormat(suite), slot, None, 1.0, 0.0, "r2", canary_id=1)
    return CanaryRoute(1, "t", share, 1, T0, 60.0, route)


def test_the_side_of_a_caller_is_stable_and_grows_with_the_share() -> None:
    low, high = _canary_route(10), _canary_route(40)
    callers = [f"user-{n}" for n in range(2000)]
    in_low = {c for c in callers if takes(low, c)}
    in_high = {c for c in callers if takes(high, c)}
    assert in_low <= in_high  # raising the share never moves a caller back
    assert 150 <= len(in_low) <= 250 and 700 <= len(in_high) <= 900
    assert all(takes(low, c) == (c in in_low) for c in callers[:300])
    assert takes(_canary_route(100), "x") and not takes(_canary_route(0), "x")
    assert takes(low, None, draw=lambda: 0.05) and not takes(low, None, draw=lambda: 0.5)


def test_durations() -> None:
    assert [parse_duration(t) for t in ("90s", "5m", "1h30m", "2d", "250ms", "1.5")] == [
        90, 300, 5400, 172800, 0.25, 1.5]
    for bad in ("", "5 minutes", "-3s", "0", "1x"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def _served(value: str) -> ServedCall:
    suite = triage_suite()
    route = Route("t", suite, OutputFormat(suite), None, None, 1.0, 0.0)  # type: ignore[arg-type]
    return ServedCall(route, GenerateRequest((Message("user", "x"),)), "fast", value, value, 1.0)


def test_the_task_parser_compares_and_a_check_kind_can_bring_its_own_comparer() -> None:
    served = _served("billing")
    default = comparer_for("label")
    assert isinstance(default, ParsedEqual)
    assert asyncio.run(default.compare(served, "[Billing]")) == Comparison(True, None, "billing")
    assert asyncio.run(default.compare(served, "technical")).kind == "value"
    assert asyncio.run(default.compare(served, "no idea")).kind == "unparseable"

    class Graded:  # what a judged task registers: its judge grades the shadow's answer
        async def compare(self, served: ServedCall, shadow_text: str) -> Comparison:
            return Comparison(len(shadow_text) > 3, None if len(shadow_text) > 3 else "judged")

    register_comparer("label", Graded)
    try:
        assert asyncio.run(comparer_for("label").compare(served, "no")) == Comparison(
            False, "judged")
    finally:
        unregister_comparer("label")
    assert isinstance(comparer_for("label"), ParsedEqual)
    with pytest.raises(TypeError):
        register_comparer("label", object())  # type: ignore[arg-type]


def test_a_canary_plan_resolves_its_ceilings_from_the_suite_and_the_benchmark() -> None:
    suite = triage_suite()
    plain = CanaryPlan(share=10).resolved(suite, champion_p90_ms=200.0)
    assert (plain["max_error_rate"], plain["max_fallback_rate"]) == (0.01, 0.05)
    assert plain["max_p95_ms"] == 1000.0  # 3 × 200 ms, at least 1 s
    assert CanaryPlan(share=10).resolved(suite, 900.0)["max_p95_ms"] == 2700.0
    assert CanaryPlan(share=10).resolved(suite, 9000.0)["max_p95_ms"] == 5000.0  # timeout_s
    strict = suite.model_copy(update={"qualify": suite.qualify.model_copy(update={
        "max_error_rate": 0.0, "max_p90_latency_ms": 300.0})})
    assert CanaryPlan(share=10).resolved(strict, 200.0)["max_error_rate"] == 0.0
    assert CanaryPlan(share=10).resolved(strict, 200.0)["max_p95_ms"] == 300.0
    assert CanaryPlan(share=10, max_p95_ms=50).resolved(strict, 200.0)["max_p95_ms"] == 50
