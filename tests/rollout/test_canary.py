"""Canary rollout through real gateways on one database (SQLite and the PostgreSQL the tests
start): the share served, stickiness per caller, steps to a full promotion, a rollback by
itself after the failure limit, holds on too few calls, and every decision in the history."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from champion import Store
from champion._registry.entries import Registry
from champion._registry.rollout.canary import CanaryPlan, abort_canary, start_canary
from champion._store import PromotionRow
from tests.rollout.helpers import TASK, chat, gateway, promoted_pair, wait_for
from tests.web.servers import ServerThread

CANARY_PAIR = {"b", "b2"}


def _start(db: str, run_id: str, plan: CanaryPlan) -> None:
    with Store(db) as store:
        start_canary(Registry(store), TASK, plan, run_id)


def _history(db: str) -> list[PromotionRow]:
    with Store(db) as store:
        return Registry(store).promotions(TASK, "prod")


def _decisions(db: str) -> list[PromotionRow]:
    return [row for row in _history(db) if row.canary_id is not None and row.action != "canary"]


@contextmanager
def _traffic(urls: list[str]) -> Iterator[Counter[str]]:
    """Calls to the gateways in turn from a thread, until the block ends; counts who served."""
    served: Counter[str] = Counter()
    stop = threading.Event()

    def run() -> None:
        number = 0
        with httpx.Client() as client:
            while not stop.is_set():
                response = chat(client, urls[number % len(urls)], number)
                served[response.headers.get("x-champion-served-by", str(response.status_code))] \
                    += 1
                number += 1

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        stop.set()
        thread.join(30)


def test_a_canary_at_10_percent_serves_10_percent_of_1000_calls_the_same_way_per_caller(
        db_url: str) -> None:
    with promoted_pair(db_url) as (_models, _first, second):
        _start(db_url, second, CanaryPlan(share=10, interval_s=3600))
        with gateway(db_url) as one, gateway(db_url) as other, httpx.Client() as client:
            sides = [chat(client, one.url, i, user=f"caller-{i}").headers["x-champion-served-by"]
                     for i in range(1000)]
            # The same callers again, through another worker, named by the header instead.
            again = [chat(client, other.url, i, headers={"x-champion-caller": f"caller-{i}"}
                          ).headers["x-champion-served-by"] for i in range(200)]
            unnamed = [chat(client, one.url, i).headers["x-champion-served-by"]
                       for i in range(400)]
            scrape = client.get(one.url + "/metrics").text
    canary_calls = sum(side in CANARY_PAIR for side in sides)
    assert 70 <= canary_calls <= 130, canary_calls  # 10% ± 3% of 1,000
    assert again == sides[:200]  # sticky: the same caller lands on the same pair everywhere
    assert 12 <= sum(side in CANARY_PAIR for side in unnamed) <= 80  # drawn per call
    assert set(sides) <= {"a", "b"}  # each pair's champion serves its calls
    share = [s.value for f in text_string_to_metric_families(scrape) for s in f.samples
             if s.name == "champion_canary_share"]
    assert share == [10.0]


def test_a_canary_steps_up_to_a_full_promotion_with_one_decision_per_interval(
        any_db: str) -> None:
    with promoted_pair(any_db) as (_models, _first, second):
        _start(any_db, second, CanaryPlan(share=20, step=40, interval_s=1.0, min_calls=5))
        with ExitStack() as stack:
            gateways: list[ServerThread] = [stack.enter_context(gateway(any_db))
                                            for _ in range(2)]
            with _traffic([g.url for g in gateways]):
                wait_for(lambda: any(r.action == "promote" for r in _decisions(any_db)), 40)
                with Store(any_db) as store:
                    assert store.running_canary(TASK, "prod") is None
                    entry = Registry(store).entry(TASK, "prod")
                assert entry is not None and entry.run_id == second
                with httpx.Client() as client:  # every worker follows within its refresh
                    wait_for(lambda: all(chat(client, g.url, 0).headers["x-champion-served-by"]
                                         == "b" for g in gateways for _ in range(5)), 10)
    decisions = _decisions(any_db)
    moves = [(r.action, r.share) for r in decisions if r.action != "canary-hold"]
    assert moves == [("canary-step", 60.0), ("promote", 100.0)]
    intervals = [r.details["interval"] for r in decisions if r.details]
    assert intervals == sorted(set(intervals))  # one decision per interval, by one worker
    step = next(r for r in decisions if r.action == "canary-step")
    assert step.details is not None and step.details["canary"]["calls"] >= 5
    assert step.details["canary"]["error_rate"] == 0.0
    assert step.details["baseline"]["calls"] > step.details["canary"]["calls"]
    assert step.details["canary"]["p95_ms"] is not None
    assert step.run_id == second and step.serving is False


def test_a_canary_whose_model_starts_failing_rolls_back_by_itself(any_db: str) -> None:
    with promoted_pair(any_db) as (models, first, second):
        _start(any_db, second, CanaryPlan(share=50, step=10, interval_s=1.0, min_calls=5,
                                          failure_limit=2))
        models["b"].mode = "error500"  # the canary's champion fails: its runner-up serves
        with gateway(any_db) as one, gateway(any_db) as other:
            with _traffic([one.url, other.url]):
                wait_for(lambda: any(r.action == "canary-rollback"
                                     for r in _decisions(any_db)), 40)
            with httpx.Client() as client:
                wait_for(lambda: {chat(client, g.url, i, user=f"u{i}").headers[
                    "x-champion-served-by"] for g in (one, other) for i in range(20)} == {"a"},
                    10)
        with Store(any_db) as store:
            entry = Registry(store).entry(TASK, "prod")
            assert store.running_canary(TASK, "prod") is None
    assert entry is not None and entry.run_id == first  # never promoted
    decisions = [r for r in _decisions(any_db) if r.action != "canary-hold"]
    assert [r.action for r in decisions] == ["canary-fail", "canary-rollback"]
    rollback = decisions[-1]
    assert rollback.share == 0.0 and rollback.details is not None
    assert rollback.details["bad_intervals"] == 2
    assert rollback.details["canary"]["fallback_rate"] == 1.0
    assert any("fallback rate 100.0% over 5.0%" in p for p in rollback.details["problems"])


def test_an_interval_with_too_few_calls_holds(db_url: str) -> None:
    with promoted_pair(db_url) as (_models, _first, second):
        _start(db_url, second, CanaryPlan(share=30, step=30, interval_s=0.4, min_calls=500))
        with gateway(db_url) as one, httpx.Client() as client:
            for number in range(20):
                chat(client, one.url, number)
            wait_for(lambda: len(_decisions(db_url)) >= 3, 20)
        with Store(db_url) as store:
            canary = store.running_canary(TASK, "prod")
    holds = _decisions(db_url)
    assert {r.action for r in holds} == {"canary-hold"} and {r.share for r in holds} == {30.0}
    assert holds[0].details is not None
    assert holds[0].details["problems"] == [
        f"too few calls: {holds[0].details['canary']['calls']} of 500"]
    assert canary is not None and canary.share == 30 and canary.bad_intervals == 0


def test_a_canary_needs_a_baseline_refuses_a_second_one_and_blocks_plain_promotions(
        db_url: str) -> None:
    from champion._errors import InputError

    with promoted_pair(db_url) as (_models, first, second), Store(db_url) as store:
        registry = Registry(store)
        with pytest.raises(InputError, match="already serves"):
            start_canary(registry, TASK, CanaryPlan(share=5), first)
        with pytest.raises(InputError, match=r"nothing is promoted .* on dev"):
            start_canary(registry, TASK, CanaryPlan(share=5), second, stage="dev")
        start_canary(registry, TASK, CanaryPlan(share=5), second)
        with pytest.raises(InputError, match="in progress"):
            start_canary(registry, TASK, CanaryPlan(share=5), second)
        with pytest.raises(InputError, match="abort it first"):
            registry.promote(TASK, second)
        with pytest.raises(InputError, match="abort it first"):
            registry.rollback(TASK)
        entry = registry.entry(TASK, "prod")
        assert entry is not None and entry.canary is not None
        assert (entry.canary.state.share, entry.canary.pair.run_id) == (5.0, second)
        ended = abort_canary(registry, TASK)
        assert ended.canary.status == "aborted" and ended.entry.action == "canary-abort"
        assert registry.promote(TASK, second).run_id == second
    with pytest.raises(InputError, match="share above 0 and below 100"):
        CanaryPlan(share=100)
