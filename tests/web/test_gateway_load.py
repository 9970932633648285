"""The gateway under load: backpressure (429 + Retry-After, never 504 for queueing), the
timing header, /metrics after a forced fallback, and no 5xx under a load it can take."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from champion._registry.router import RouterConfig
from champion.testing import MockOpenAIServer
from tests.router.fakes import TASK, candidate
from tests.web.gateways import MESSAGES, StartGateway, registry_of, timing

BODY = {"model": f"task:{TASK}", "messages": MESSAGES}


async def _burst(url: str, count: int, body: dict[str, Any] | None = None
                 ) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=count)) as c:
        return list(await asyncio.gather(*(c.post(url + "/v1/chat/completions",
                                                  json=body or BODY) for _ in range(count))))


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_an_over_capacity_burst_is_refused_at_once_with_retry_after(
        gateway_over: StartGateway, champion_server: MockOpenAIServer,
        runner_up_server: MockOpenAIServer) -> None:
    champion_server.delay_s = runner_up_server.delay_s = 0.4
    gateway = gateway_over(RouterConfig(retries=0, max_in_flight=1, max_queue=1, timeout_s=5))
    responses = asyncio.run(_burst(gateway.url, 6))
    statuses = sorted(r.status_code for r in responses)
    # Each model: one call in flight and one waiting; the other two are refused.
    assert statuses == [200, 200, 200, 200, 429, 429]
    served = sorted(r.headers["x-champion-served-by"] for r in responses
                    if r.status_code == 200)
    assert served == ["champ", "champ", "second", "second"]
    for refused in (r for r in responses if r.status_code == 429):
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["error"]["code"] == "queue_full"
        assert refused.elapsed.total_seconds() < 0.35  # at once, not after a model's answer
    assert champion_server.chat_requests == runner_up_server.chat_requests == 2
    metrics = _samples(httpx.get(gateway.url + "/metrics").text)
    assert metrics[("champion_refused_total", (("reason", "queue_full"), ("task", TASK)))] == 2
    # Four calls found the champion full and went on to the runner-up; two found it full too.
    assert metrics[("champion_fallbacks_total", (("from_model", "champ"),
                                                  ("reason", "over_capacity"),
                                                  ("task", TASK), ("to_model", "second")))] == 4


def test_a_queued_call_that_cannot_start_in_time_gets_429_never_504(
        gateway_over: StartGateway, champion_server: MockOpenAIServer) -> None:
    champion_server.delay_s = 0.5
    # The champion's registered median says a call takes 0.5 s; its deadline is 0.8 s.
    registry = registry_of(candidate("champ", champion_server), None, champion_median_ms=500)
    gateway = gateway_over(RouterConfig(retries=0, max_in_flight=1, max_queue=4, timeout_s=0.8),
                           registry)
    first, second = asyncio.run(_burst(gateway.url, 2))
    assert sorted([first.status_code, second.status_code]) == [200, 429]
    refused = first if first.status_code == 429 else second
    assert refused.json()["error"]["code"] == "queue_timeout"
    assert refused.headers["retry-after"] == "1"
    # It waited only as long as a turn could still have come in time (0.8 - 0.5 s).
    assert 0.25 <= refused.elapsed.total_seconds() < 0.6


def test_queue_time_is_in_the_timing_header_and_counts_against_the_deadline(
        gateway_over: StartGateway, champion_server: MockOpenAIServer) -> None:
    champion_server.delay_s = 0.3
    registry = registry_of(candidate("champ", champion_server), None, champion_median_ms=300)
    gateway = gateway_over(RouterConfig(retries=0, max_in_flight=1, max_queue=4, timeout_s=2),
                           registry)
    responses = asyncio.run(_burst(gateway.url, 2))
    assert [r.status_code for r in responses] == [200, 200]
    stages = [timing(r.headers["x-champion-timing"]) for r in responses]
    assert all(set(s) == {"prompt_build", "queue", "inference", "parse", "total"}
               for s in stages)
    waited = max(stages, key=lambda s: s["queue"])
    assert 250 <= waited["queue"] <= 1000  # the second call waited for the first
    assert min(s["queue"] for s in stages) < 50
    for s in stages:
        assert s["inference"] >= 290
        assert s["total"] >= s["queue"] + s["inference"] + s["parse"] + s["prompt_build"] - 1


def test_a_forced_fallback_shows_in_the_headers_and_in_metrics(
        gateway_over: StartGateway, champion_server: MockOpenAIServer) -> None:
    champion_server.mode = "error500"
    gateway = gateway_over()
    response = httpx.post(gateway.url + "/v1/chat/completions", json=BODY)
    assert response.status_code == 200
    assert response.headers["x-champion-served-by"] == "second"
    assert response.headers["x-champion-fallback"].startswith("champion champ: unavailable")
    stages = timing(response.headers["x-champion-timing"])
    assert stages["total"] >= stages["inference"] > 0
    scrape = httpx.get(gateway.url + "/metrics")
    assert scrape.headers["content-type"].startswith("text/plain")
    metrics = _samples(scrape.text)
    assert metrics[("champion_fallbacks_total", (("from_model", "champ"),
                                                  ("reason", "unavailable"),
                                                  ("task", TASK), ("to_model", "second")))] == 1
    served = (("error_type", ""), ("gen_ai_request_model", f"task:{TASK}"),
              ("gen_ai_response_model", "second"), ("task", TASK))
    assert metrics[("gen_ai_client_operation_duration_seconds_count", served)] == 1
    usage = (("gen_ai_request_model", f"task:{TASK}"), ("gen_ai_response_model", "second"),
             ("gen_ai_token_type", "output"), ("task", TASK))
    assert metrics[("gen_ai_client_token_usage_sum", usage)] >= 1
    assert metrics[("champion_breaker_open", (("model", "champ"),))] == 0
    assert metrics[("champion_breaker_open", (("model", "second"),))] == 0
    assert MESSAGES[1]["content"] not in scrape.text
    # A second failure opens the champion's breaker (2 calls, all failed): the gauge says so.
    httpx.post(gateway.url + "/v1/chat/completions", json=BODY)
    metrics = _samples(httpx.get(gateway.url + "/metrics").text)
    assert metrics[("champion_breaker_open", (("model", "champ"),))] == 1


def test_no_5xx_under_a_load_the_server_can_take(
        gateway_over: StartGateway, champion_server: MockOpenAIServer) -> None:
    champion_server.delay_s = 0.02
    gateway = gateway_over(RouterConfig(retries=0, timeout_s=10))

    async def load() -> list[int]:
        statuses: list[int] = []
        async with httpx.AsyncClient(timeout=30,
                                     limits=httpx.Limits(max_connections=64)) as http:
            async def worker(calls: int) -> None:
                for _ in range(calls):
                    passthrough = len(statuses) % 2 == 1
                    body = {**BODY, "model": "champ"} if passthrough else BODY
                    response = await http.post(gateway.url + "/v1/chat/completions", json=body)
                    statuses.append(response.status_code)

            await asyncio.gather(*(worker(5) for _ in range(64)))
        return statuses

    statuses = asyncio.run(load())
    assert len(statuses) == 320 and set(statuses) == {200}
    assert champion_server.chat_requests == 320
