"""The task page and its JSON twin show shadow agreement over time and a canary's steps;
model output in them is escaped."""

from __future__ import annotations

from datetime import timedelta

import httpx

from champion import Store
from champion._registry.entries import Registry
from champion._registry.rollout.canary import CanaryPlan, decide_interval, start_canary
from champion._registry.rollout.tally import bucket
from champion._store.canaries import CohortTally
from champion._web.dashboard import create_dashboard
from champion._web.gateway.rollout import RolloutSettings
from champion.testing import MockOpenAIServer
from tests.rollout.helpers import TASK, chat, gateway, number_of, promoted_pair, triage, wait_for
from tests.web.servers import ServerThread

MARKUP = "<script>alert(1)</script>"


def _odd_shadow(prompt: str) -> str:
    """Right on even calls; on odd calls a label wrapped in markup, and the wrong one."""
    right = triage(prompt)
    if number_of(prompt) % 2 == 0:
        return right
    return f"{MARKUP} {'billing' if right == 'technical' else 'technical'}"


def test_the_task_page_shows_shadow_agreement_and_canary_steps(db_url: str) -> None:
    with promoted_pair(db_url) as (_models, _first, second), \
            MockOpenAIServer(_odd_shadow) as shadow:
        rollout = RolloutSettings(shadows=(f"{TASK}=openai/odd@{shadow.base_url}/v1",),
                                  shadow_sample=1.0, tick_s=0.2)
        with gateway(db_url, record_text=True, rollout=rollout) as server, \
                httpx.Client() as client:
            for number in range(10):
                chat(client, server.url, number)
            with Store(db_url) as store:
                wait_for(lambda: len(store.shadow_outcomes(TASK)) == 10)
    with Store(db_url) as store:
        canary = start_canary(Registry(store), TASK, CanaryPlan(share=10, step=20,
                                                                interval_s=60)).canary
        assert canary.run_id == second
        store.add_canary_tallies("worker-1", [
            (canary.id, 1, "canary", CohortTally(30, 0, 1, {bucket(12.0): 29})),
            (canary.id, 1, "baseline", CohortTally(270, 0, 0, {bucket(10.0): 270}))])
        store.add_canary_tallies("worker-1", [  # added to what that worker wrote before
            (canary.id, 1, "canary", CohortTally(10, 0, 0, {bucket(12.0): 10}))])
        decided = store.decide_canary(canary.id, 1, lambda c, t, now: decide_interval(
            c, t, now + timedelta(minutes=2)))
        again = store.decide_canary(canary.id, 1, lambda c, t, now: decide_interval(
            c, t, now + timedelta(minutes=2)))
        dashboard = ServerThread(create_dashboard(store, None))
        with dashboard:
            page = httpx.get(f"{dashboard.url}/tasks/{TASK}").text
            data = httpx.get(f"{dashboard.url}/api/tasks/{TASK}").json()
    assert decided is not None and again is None  # an interval is decided once
    assert (decided.entry.action, decided.entry.share) == ("canary-step", 30.0)
    assert decided.canary.interval_no == 2 and decided.canary.share == 30.0
    [figures] = data["shadows"]
    assert (figures["model"], figures["calls"], figures["agreement"]) == ("odd", 10, 0.5)
    assert sum(p["calls"] for p in data["shadow_series"]["odd"]) == 10
    [shown] = data["canaries"]
    assert [s["action"] for s in shown["steps"]] == ["canary", "canary-step"]
    step = shown["steps"][1]
    assert (step["calls"], step["fallback_rate"], step["share"]) == (40, 1 / 40, 30.0)
    assert step["p95_ms"] is not None and 12.0 <= step["p95_ms"] <= 12.6
    assert "Shadow agreement" in page and "odd over time" in page and "Canary 1 on prod" in page
    assert "canary-step" in page and "50.0%" in page
    assert MARKUP not in page and "&lt;script&gt;" in page
