"""The Router over a real registry: a benchmarked, promoted pair serves the task."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from champion import Store, run_suite
from champion._registry.entries import Registry
from champion._registry.router import Router, RouterConfig
from champion._suite.model import Suite
from champion.testing import MockOpenAIServer

from .fakes import TASK, candidate


def triage(prompt: str) -> str:
    return "billing" if "charged" in prompt or "refund" in prompt else "technical"


def suite() -> Suite:
    return Suite.model_validate({
        "task": TASK,
        "prompt": {"system": "Answer with one word.", "user": "Ticket: {ticket}"},
        "output": {"kind": "label", "labels": ["billing", "technical"]},
        "params": {"max_tokens": 4, "timeout_s": 5},
        "cases": [
            {"id": "C1", "vars": {"ticket": "charged twice"}, "expected": "billing"},
            {"id": "C2", "vars": {"ticket": "error 500 on login"}, "expected": "technical"},
        ],
    })


@pytest.fixture
def servers() -> Iterator[tuple[MockOpenAIServer, MockOpenAIServer]]:
    with MockOpenAIServer(triage) as fast, MockOpenAIServer(triage, delay_ms=30) as slow:
        yield fast, slow


@pytest.fixture
def promoted(servers: tuple[MockOpenAIServer, MockOpenAIServer], db_url: str) -> str:
    """A database where the fast server is the champion and the slow one the runner-up."""
    fast, slow = servers
    result = run_suite(suite(), [candidate("fast", fast), candidate("slow", slow)],
                       repeats=2, db=db_url)
    assert (result.champion, result.runner_up) == ("fast", "slow")
    store = Store(db_url)
    Registry(store).promote(TASK)
    store.close()
    return db_url


def test_the_promoted_champion_serves_and_the_runner_up_takes_over(
        promoted: str, servers: tuple[MockOpenAIServer, MockOpenAIServer]) -> None:
    fast, slow = servers
    with Router(Store(promoted), RouterConfig(retries=0)) as router:
        before = slow.chat_requests
        answer = router.complete(TASK, {"ticket": "please refund me"})
        assert (answer.value, answer.served_by, answer.fallback_reason) == (
            "billing", "fast", None)
        fast.mode = "error500"
        answer = router.complete(TASK, {"ticket": "the app crashes"})
        assert (answer.value, answer.served_by) == ("technical", "slow")
        assert answer.fallback_reason is not None and "fast" in answer.fallback_reason
        assert slow.chat_requests == before + 1


def test_the_deadline_comes_from_the_registered_p90(promoted: str) -> None:
    with Router(Store(promoted), RouterConfig(p90_factor=3.0, min_timeout_s=0.5)) as router:
        route = router.route(TASK)
        assert route.champion.p90_ms is not None and route.runner_up is not None
        assert route.champion_deadline_s == 0.5  # 3 × a loopback p90 is below the floor
        assert route.runner_up.p90_ms is not None and route.runner_up.p90_ms >= 30


def test_from_env_reads_the_database_stage_and_overrides(
        promoted: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with MockOpenAIServer("technical") as other:
        monkeypatch.setenv("CHAMPION_DB", promoted)
        monkeypatch.setenv("CHAMPION_STAGE", "prod")
        monkeypatch.setenv("CHAMPION_MINI_TRIAGE_MODEL", "pinned")
        monkeypatch.setenv("CHAMPION_MINI_TRIAGE_BASE_URL", other.base_url + "/v1")
        router = Router.from_env()
        try:
            answer = router.complete(TASK, {"ticket": "charged twice"})
        finally:
            router.close()
        assert (answer.served_by, answer.value) == ("pinned", "technical")
        assert other.chat_requests == 1


def test_a_new_promotion_is_picked_up_without_a_restart(
        promoted: str, servers: tuple[MockOpenAIServer, MockOpenAIServer]) -> None:
    fast, slow = servers
    with Router(Store(promoted), RouterConfig(refresh_s=0.0)) as router:
        assert router.complete(TASK, {"ticket": "charged"}).served_by == "fast"
        fast.delay_s = 0.08  # now the slower of the two
        result = run_suite(suite(), [candidate("fast", fast), candidate("slow", slow)],
                           repeats=2, db=promoted)
        assert result.champion == "slow"
        store = Store(promoted)
        Registry(store).promote(TASK)
        store.close()
        assert router.complete(TASK, {"ticket": "charged"}).served_by == "slow"
