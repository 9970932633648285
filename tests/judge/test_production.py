"""verify="judge" in production: the Router and the gateway return only an answer the
task's judge passes, the champion's first, then the runner-up's."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from champion._errors import InputError
from champion._judge.production import JudgeRejected
from champion._registry import Registry
from champion._registry.router import Router, RouterConfig
from champion._store import Store
from champion._web.gateway import create_gateway
from tests.judge.scripted import KNOWING, answering, bench, capital_suite, delta
from tests.web.servers import ServerThread

FIRST = {"France": "Paris", "Germany": "Berlin", "Italy": "Rome"}
SECOND = {**FIRST, "Spain": "Madrid"}


def _serving(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Judges promoted for capital-grading, and capital promoted with first and second."""
    models = {"judge-a": KNOWING, "judge-b": KNOWING, "first": answering(FIRST, delay_ms=1),
              "second": answering(SECOND, delay_ms=20)}
    return bench(tmp_path, models)


def _promote_capital(b, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """Promote both tasks; the grading task's champion (the judge)."""
    judge = b.grading_run(("judge-a", "judge-b")).champion
    result = b.run(capital_suite(tmp_path, "{task: capital-grading}"), "first", "second")
    assert (result.champion, result.runner_up) == ("first", "second")
    with Store(b.db) as store:
        Registry(store).promote("capital", result.run_id)
    return str(judge)


def test_router_returns_the_answer_the_judge_passes(tmp_path: Path) -> None:
    with _serving(tmp_path) as b:
        judge = _promote_capital(b, tmp_path)
        with Store(b.db) as store, Router(store, RouterConfig(retries=0)) as router:
            before = b.server.stats()
            passed = router.complete("capital", {"country": "France"}, verify="judge")
            fell_back = router.complete("capital", {"country": "Spain"}, verify="judge")
            calls = delta(b.server.stats(), before)
            with pytest.raises(JudgeRejected) as rejected:
                router.complete("capital", {"country": "Portugal"}, verify="judge")
            unverified = router.complete("capital", {"country": "Portugal"})
    assert (passed.value, passed.served_by, passed.verified) == ("Paris", "first", True)
    assert passed.fallback_reason is None and passed.timings["judge_ms"] > 0
    assert (fell_back.value, fell_back.served_by) == ("Madrid", "second")
    assert fell_back.fallback_reason is not None
    assert "judge_fail: FAIL: that is not the capital" in fell_back.fallback_reason
    # France: first + judge (warm-up, verdict); Spain: first + judge, second + judge.
    assert calls == {"first": 2, "second": 1, judge: 4}
    kinds = [(f.model, f.kind) for f in rejected.value.failures]
    assert kinds == [("first", "judge_fail"), ("second", "judge_fail")]
    assert unverified.value == "I do not know" and not unverified.verified


def test_verify_judge_needs_a_judged_task_and_its_vars(tmp_path: Path) -> None:
    with _serving(tmp_path) as b:
        _promote_capital(b, tmp_path)
        with Store(b.db) as store, Router(store, RouterConfig(retries=0)) as router:
            with pytest.raises(InputError, match="verify='judge' needs a judged task"):
                router.complete("capital-grading", {"country": "France", "answer": "Paris"},
                                verify="judge")
            with pytest.raises(InputError, match="needs the task's vars"):
                router.complete("capital", messages=[], verify="judge")


def test_gateway_serves_a_judged_task_with_verify_judge(tmp_path: Path) -> None:
    with _serving(tmp_path) as b:
        _promote_capital(b, tmp_path)
        with Store(b.db) as store:
            router = Router(store, RouterConfig(retries=0))
            with ServerThread(create_gateway(router)) as gateway:
                url = gateway.url + "/v1/chat/completions"

                def ask(country: str) -> httpx.Response:
                    return httpx.post(url, timeout=20, json={
                        "model": "task:capital",
                        "champion": {"vars": {"country": country}, "verify": "judge"}})

                spain, portugal = ask("Spain"), ask("Portugal")
                plain = httpx.post(url, timeout=20, json={
                    "model": "task:capital", "champion": {"vars": {"country": "Italy"}}})
    assert spain.status_code == 200, spain.text
    assert spain.json()["choices"][0]["message"]["content"] == "Madrid"
    assert spain.headers["x-champion-served-by"] == "second"
    assert "judge_fail" in spain.headers["x-champion-fallback"]
    assert portugal.status_code == 502
    assert portugal.json()["error"]["code"] == "judge_rejected"
    assert plain.status_code == 200 and plain.json()["choices"][0]["message"]["content"] == "Rome"


def test_a_shadow_of_a_judged_task_is_graded_by_the_tasks_judge(tmp_path: Path) -> None:
    import asyncio

    from champion._registry.rollout.compare import ServedCall, comparer_for
    from champion._registry.router import build_request

    with _serving(tmp_path) as b:
        judge = _promote_capital(b, tmp_path)
        with Store(b.db) as store:
            router = Router(store, RouterConfig(retries=0))
            route = router.route("capital")
            france = {"country": "France"}
            served = ServedCall(route, build_request(route.suite, france, None), "first",
                                "Paris", "Paris", 1.0, france, router.judges)
            comparer = comparer_for("judge")

            async def compare() -> list[tuple[bool, str | None]]:
                try:
                    found = []
                    for shadow, call in (("Paris", served), ("Lyon", served),
                                         ("Paris", ServedCall(route, served.request, "first",
                                                              "Paris", "Paris", 1.0))):
                        comparison = await comparer.compare(call, shadow)
                        found.append((comparison.agree, comparison.kind))
                    return found
                finally:
                    await router.judges.aclose()

            before = b.server.stats()
            outcomes = asyncio.run(compare())
            calls = delta(b.server.stats(), before)
            router.close()
    # The judge passes the right capital, fails the wrong one; without the caller's
    # vars it cannot see the question: no verdict, and no call.
    assert outcomes == [(True, None), (False, "judged_fail"), (False, "unjudged")]
    assert calls == {judge: 3}  # its warm-up and two verdicts
