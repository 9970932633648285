"""Faithful answers through the gateway, with the official ``openai`` client: finish_reason
and usage on every route, the caller's smaller max_tokens, live streams token by token,
pass-through by id, backend name or -m spec (and nothing else)."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from champion._registry.router import Router, RouterConfig
from champion._web.gateway import GatewayConfig
from champion.testing import MockOpenAIServer
from tests.router.fakes import TASK, candidate
from tests.web.gateways import MESSAGES, StartGateway, client, registry_of, timing


def test_a_cut_answer_that_parses_is_served_with_length_and_usage(
        gateway_over: StartGateway, champion_server: MockOpenAIServer) -> None:
    champion_server.reply = "billing is the team for this"
    champion_server.cut_at_max_tokens = True
    completion = client(gateway_over()).chat.completions.create(
        model=f"task:{TASK}", messages=MESSAGES, max_tokens=2)
    assert champion_server.requests[-1].json()["max_tokens"] == 2  # smaller than the suite's 4
    choice = completion.choices[0]
    assert (choice.message.content, choice.finish_reason) == ("billing is", "length")
    assert completion.model == "champ"  # served, not a fallback
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (10, 2)


def test_a_larger_max_tokens_than_the_suites_is_not_sent(
        gateway_over: StartGateway, champion_server: MockOpenAIServer) -> None:
    champion_server.cut_at_max_tokens = True
    completion = client(gateway_over()).chat.completions.create(
        model=f"task:{TASK}", messages=MESSAGES, max_tokens=500)
    assert champion_server.requests[-1].json()["max_tokens"] == 4
    assert completion.choices[0].finish_reason == "stop"


def test_finish_reason_and_usage_of_a_validated_stream_and_a_fallback(
        gateway_over: StartGateway, champion_server: MockOpenAIServer,
        runner_up_server: MockOpenAIServer) -> None:
    champion_server.mode = "error500"
    runner_up_server.reply = "Billing. That is all"
    runner_up_server.cut_at_max_tokens = True
    chunks = list(client(gateway_over()).chat.completions.create(
        model=f"task:{TASK}", messages=MESSAGES, max_tokens=1, stream=True,
        stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Billing."
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert {c.model for c in chunks} == {"second"}
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 1


def test_pass_through_keeps_finish_reason_and_usage_streamed_or_not(
        gateway_over: StartGateway, runner_up_server: MockOpenAIServer) -> None:
    runner_up_server.reply = "one two three four"
    runner_up_server.cut_at_max_tokens = True
    gateway = client(gateway_over())
    whole = gateway.chat.completions.create(model="second", messages=MESSAGES, max_tokens=3)
    assert whole.choices[0].message.content == "one two three"
    assert whole.choices[0].finish_reason == "length"
    assert whole.usage is not None and whole.usage.completion_tokens == 3
    assert runner_up_server.requests[-1].json()["stream"] is False  # as the client asked
    chunks = list(gateway.chat.completions.create(
        model="second", messages=MESSAGES, max_tokens=3, stream=True,
        stream_options={"include_usage": True}))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and
              c.choices[0].delta.content]
    assert "".join(pieces) == "one two three"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3
    assert runner_up_server.requests[-1].json()["stream"] is True


def _first_content(response: httpx.Response) -> tuple[float, list[str]]:
    """Seconds until the first content event, and every data line."""
    start, first, lines = time.perf_counter(), None, []
    for line in response.iter_lines():
        if not line:
            continue
        lines.append(line)
        if first is None and '"content": "' in line and '"content": ""' not in line:
            first = time.perf_counter() - start
    assert first is not None
    return first, lines


def test_pass_through_streams_tokens_as_the_backend_sends_them(
        gateway_over: StartGateway, champion_server: MockOpenAIServer) -> None:
    champion_server.mode = "hang_mid_stream"  # three characters, then nothing
    gateway = gateway_over(gateway=GatewayConfig(passthrough_timeout_s=1.5))
    start = time.perf_counter()
    with httpx.stream("POST", gateway.url + "/v1/chat/completions", timeout=10, json={
            "model": "champ", "messages": MESSAGES, "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["x-champion-served-by"] == "champ"
        assert timing(response.headers["x-champion-timing"])["total"] < 1000
        first, lines = _first_content(response)
    assert first < 1.0 <= time.perf_counter() - start  # the first token long before the end
    assert '"content": "bil"' in "".join(lines)
    assert "stream_interrupted" in lines[-2] and lines[-1] == "data: [DONE]"


def test_a_live_task_stream_falls_back_before_its_first_token_only(
        gateway_over: StartGateway, champion_server: MockOpenAIServer,
        runner_up_server: MockOpenAIServer) -> None:
    gateway = gateway_over(RouterConfig(retries=0, timeout_s=1.0))
    body = {"model": f"task:{TASK}", "messages": MESSAGES, "stream": True,
            "champion": {"stream": "live"}}
    champion_server.mode = "error500"
    with httpx.stream("POST", gateway.url + "/v1/chat/completions", json=body,
                      timeout=10) as response:
        assert response.headers["x-champion-served-by"] == "second"
        assert "HTTP 500" in response.headers["x-champion-fallback"]
        _first, lines = _first_content(response)
    assert lines[-1] == "data: [DONE]" and "Billing." in "".join(lines)
    champion_server.mode = "hang_mid_stream"
    with httpx.stream("POST", gateway.url + "/v1/chat/completions", timeout=10, json=body,
                      headers={"x-champion-stream": "live"}) as response:
        assert response.headers["x-champion-served-by"] == "champ"
        first, lines = _first_content(response)
    assert first < 0.9
    assert "stream_interrupted" in lines[-2]  # no second model after the first token
    assert runner_up_server.chat_requests == 1


def test_the_gateways_stream_mode_is_live_on_request(
        gateway_over: StartGateway, champion_server: MockOpenAIServer) -> None:
    champion_server.reply = "billing it is"
    gateway = gateway_over(gateway=GatewayConfig(stream="live"))
    chunks = list(client(gateway).chat.completions.create(
        model=f"task:{TASK}", messages=MESSAGES, stream=True))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and
              c.choices[0].delta.content]
    assert "".join(pieces) == "billing it is"
    assert champion_server.requests[-1].json()["stream"] is True
    bad = httpx.post(gateway.url + "/v1/chat/completions", json={
        "model": f"task:{TASK}", "messages": MESSAGES, "stream": True,
        "champion": {"stream": "sometimes"}})
    assert bad.status_code == 400


def test_pass_through_by_id_backend_name_or_spec_and_never_another_url(
        gateway_over: StartGateway, champion_server: MockOpenAIServer,
        runner_up_server: MockOpenAIServer) -> None:
    second = candidate("second", runner_up_server).model_copy(update={"model": "second-llm"})
    registry = registry_of(candidate("champ", champion_server), second)
    gateway = client(gateway_over(registry=registry))
    spec = f"openai/second-llm@{runner_up_server.base_url}/v1"
    for name in ("second", "second-llm", spec):
        completion = gateway.chat.completions.create(model=name, messages=MESSAGES)
        assert completion.model == "second", name
    assert runner_up_server.requests[-1].json()["model"] == "second-llm"
    with MockOpenAIServer("anything") as other:
        for name in (f"openai/second-llm@{other.base_url}/v1", f"openai/x@{other.base_url}/v1",
                     other.base_url + "/v1"):
            with pytest.raises(openai.NotFoundError):
                gateway.chat.completions.create(model=name, messages=MESSAGES)
        assert other.chat_requests == 0


def test_served_by_is_the_models_id_after_an_override(
        champion_server: MockOpenAIServer, runner_up_server: MockOpenAIServer) -> None:
    second = candidate("second", runner_up_server).model_copy(update={"model": "second-llm"})
    registry = registry_of(candidate("champ", champion_server), second)
    environ = {"CHAMPION_MINI_TRIAGE_MODEL": "second-llm",
               "CHAMPION_MINI_TRIAGE_BASE_URL": runner_up_server.base_url + "/v1"}
    with Router(registry, RouterConfig(retries=0), environ=environ) as router:
        answer = router.complete(TASK, {"ticket": "charged twice"})
    assert (answer.served_by, answer.model) == ("second", "second-llm")
    assert champion_server.chat_requests == 0
