"""The gateway over live loopback servers, with the official ``openai`` client and raw httpx."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from champion import Store, run_suite
from champion._registry.entries import Registry
from champion._registry.router import Router, RouterConfig
from champion._web.gateway import create_gateway
from champion.testing import MockOpenAIServer
from tests.router.fakes import TASK, FakeRegistry, candidate
from tests.router.test_registry_end_to_end import suite, triage
from tests.web.servers import ServerThread

MESSAGES = [{"role": "system", "content": "Answer with one word."},
            {"role": "user", "content": "Ticket: I was charged twice"}]


@pytest.fixture
def start(champion_server: MockOpenAIServer, runner_up_server: MockOpenAIServer
          ) -> Iterator[Callable[..., ServerThread]]:
    """Start a gateway over a registry of the two servers; stopped after the test."""
    started: list[ServerThread] = []

    def _start(config: RouterConfig | None = None, token: str | None = None) -> ServerThread:
        registry = FakeRegistry()
        registry.register(candidate("champ", champion_server),
                          candidate("second", runner_up_server))
        router = Router(registry, config or RouterConfig(retries=0))
        gateway = ServerThread(create_gateway(router, token=token)).__enter__()
        started.append(gateway)
        return gateway

    yield _start
    for gateway in started:
        gateway.__exit__()


def client(gateway: ServerThread, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0, timeout=10)


def test_openai_client_task_route_served_by_the_champion(
        start: Callable[..., ServerThread], champion_server: MockOpenAIServer) -> None:
    gateway = start()
    raw = client(gateway).chat.completions.with_raw_response.create(
        model=f"task:{TASK}", messages=MESSAGES)
    completion = raw.parse()
    assert completion.choices[0].message.content == "billing"
    assert completion.model == "champ"
    assert raw.headers["x-champion-served-by"] == "champ"
    assert raw.headers["x-champion-fallback"] == "none"
    assert champion_server.requests[-1].json()["messages"] == MESSAGES


def test_openai_client_streams_a_task_route(start: Callable[..., ServerThread]) -> None:
    stream = client(start()).chat.completions.create(
        model=f"task:{TASK}", messages=MESSAGES, stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "billing"
    assert {c.model for c in chunks} == {"champ"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens >= 1


def test_task_vars_render_the_tasks_own_prompt(
        start: Callable[..., ServerThread], champion_server: MockOpenAIServer) -> None:
    completion = client(start()).chat.completions.create(
        model=f"task:{TASK}", messages=[{"role": "user", "content": "ignored"}],
        extra_body={"champion": {"vars": {"ticket": "refund please"}}})
    assert completion.choices[0].message.content == "billing"
    sent = champion_server.requests[-1].json()["messages"]
    assert sent[-1] == {"role": "user", "content": "Ticket: refund please"}


def test_fallback_is_visible_in_the_headers(
        start: Callable[..., ServerThread], champion_server: MockOpenAIServer) -> None:
    champion_server.mode = "error500"
    response = httpx.post(start().url + "/v1/chat/completions",
                          json={"model": f"task:{TASK}", "messages": MESSAGES})
    assert response.status_code == 200
    assert response.headers["x-champion-served-by"] == "second"
    assert "HTTP 500" in response.headers["x-champion-fallback"]
    assert response.json()["model"] == "second"
    assert response.json()["choices"][0]["message"]["content"] == "Billing."


def test_streamed_fallback_over_raw_httpx(
        start: Callable[..., ServerThread], champion_server: MockOpenAIServer) -> None:
    champion_server.reply = "no idea"
    with httpx.stream("POST", start().url + "/v1/chat/completions",
                      json={"model": f"task:{TASK}", "messages": MESSAGES,
                            "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-champion-served-by"] == "second"
        assert "unparseable" in response.headers["x-champion-fallback"]
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert all(line.startswith("data: ") for line in lines)


def test_a_registered_model_passes_straight_through(
        start: Callable[..., ServerThread], runner_up_server: MockOpenAIServer) -> None:
    messages = [{"role": "user", "content": "say anything"}]
    completion = client(start()).chat.completions.create(
        model="second", messages=messages, max_tokens=7)
    assert completion.model == "second"
    assert completion.choices[0].message.content == "Billing."
    body = runner_up_server.requests[-1].json()
    assert body["messages"] == messages and body["max_tokens"] == 7


def test_a_registered_model_streams_straight_through(
        start: Callable[..., ServerThread]) -> None:
    stream = client(start()).chat.completions.create(
        model="champ", messages=[{"role": "user", "content": "hi"}], stream=True)
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "billing"
    assert {c.model for c in chunks} == {"champ"}


def test_unknown_model_and_task_are_404_in_openai_shape(
        start: Callable[..., ServerThread]) -> None:
    gateway = start()
    with pytest.raises(openai.NotFoundError):
        client(gateway).chat.completions.create(
            model="no-such-model", messages=MESSAGES)
    response = httpx.post(gateway.url + "/v1/chat/completions",
                          json={"model": "task:no-such-task", "messages": MESSAGES})
    assert response.status_code == 404
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code"} and "no-such-task" in error["message"]


def test_bad_requests_are_400(start: Callable[..., ServerThread]) -> None:
    url = start().url + "/v1/chat/completions"
    assert httpx.post(url, content=b"{not json").status_code == 400
    assert httpx.post(url, json={"messages": MESSAGES}).status_code == 400
    response = httpx.post(url, json={"model": f"task:{TASK}", "messages": "hi"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    response = httpx.post(url, json={"model": "champ", "messages": MESSAGES, "n": 2})
    assert response.status_code == 400 and "n" in response.json()["error"]["message"]
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    response = httpx.post(url, json={"model": "champ", "messages": MESSAGES, "tools": tools})
    assert response.status_code == 400 and "tools" in response.json()["error"]["message"]
    response = httpx.post(url, json={"model": f"task:{TASK}", "messages": MESSAGES,
                                     "champion": {"vars": {"other": 1}}})
    assert response.status_code == 400 and "ticket" in response.json()["error"]["message"]


def test_every_model_failing_is_502_and_running_out_of_time_504(
        start: Callable[..., ServerThread], champion_server: MockOpenAIServer,
        runner_up_server: MockOpenAIServer) -> None:
    champion_server.mode = runner_up_server.mode = "error500"
    body = {"model": f"task:{TASK}", "messages": MESSAGES}
    response = httpx.post(start().url + "/v1/chat/completions", json=body)
    assert response.status_code == 502
    message = response.json()["error"]["message"]
    assert "champ" in message and "second" in message
    champion_server.mode = runner_up_server.mode = "hang"
    response = httpx.post(start(RouterConfig(timeout_s=0.2)).url + "/v1/chat/completions",
                          json=body, timeout=10)
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "deadline_exceeded"


def test_verify_through_the_gateway(
        start: Callable[..., ServerThread], runner_up_server: MockOpenAIServer) -> None:
    url = start().url + "/v1/chat/completions"
    body = {"model": f"task:{TASK}", "messages": MESSAGES, "champion": {"verify": True}}
    agreed = httpx.post(url, json=body)
    assert agreed.status_code == 200 and agreed.json()["choices"][0]["message"]["content"] == (
        "billing")
    runner_up_server.reply = "technical"
    refused = httpx.post(url, json=body)
    assert refused.status_code == 502
    error = refused.json()["error"]
    assert error["code"] == "models_disagree"
    assert "'billing'" in error["message"] and "'technical'" in error["message"]


def test_models_lists_tasks_and_models(start: Callable[..., ServerThread]) -> None:
    listing = client(start()).models.list()
    ids = {m.id for m in listing.data}
    assert {f"task:{TASK}", "champ", "second"} <= ids


def test_with_a_token_every_request_needs_it(start: Callable[..., ServerThread]) -> None:
    gateway = start(token="s3cret-token")
    response = httpx.get(gateway.url + "/v1/models")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    wrong = httpx.get(gateway.url + "/v1/models", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    with pytest.raises(openai.AuthenticationError):
        client(gateway, "nope").models.list()
    completion = client(gateway, "s3cret-token").chat.completions.create(
        model=f"task:{TASK}", messages=MESSAGES)
    assert completion.choices[0].message.content == "billing"


def test_cli_refuses_a_public_bind_without_a_token(tmp_path: Any) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CHAMPION_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "champion", "gateway", "--host", "0.0.0.0",
         "--db", f"sqlite:///{tmp_path / 'c.db'}"],
        capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 2
    assert "CHAMPION_TOKEN" in result.stderr


@pytest.mark.parametrize("command", ["gateway", "serve"])
def test_cli_refuses_a_port_in_use_before_saying_anything_else(command: str,
                                                                tmp_path: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "champion", command, "--port", str(port),
             "--db", f"sqlite:///{tmp_path / 'c.db'}"],
            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: {command}: cannot listen on 127.0.0.1:{port}:"
                                     " Address already in use")


def test_cli_serves_a_promoted_task(db_url: str) -> None:
    with MockOpenAIServer(triage) as fast, MockOpenAIServer(triage, delay_ms=20) as slow:
        run_suite(suite(), [candidate("fast", fast), candidate("slow", slow)], repeats=1,
                  db=db_url)
        store = Store(db_url)
        Registry(store).promote(TASK)
        store.close()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        token = "gateway-cli-token-7d1e"
        process = subprocess.Popen(
            [sys.executable, "-m", "champion", "gateway", "--port", str(port),
             "--db", db_url], stderr=subprocess.PIPE, text=True,
            env={**os.environ, "CHAMPION_TOKEN": token})
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    httpx.get(url + "/v1/models", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert httpx.get(url + "/v1/models").status_code == 401
            gateway = openai.OpenAI(base_url=url + "/v1", api_key=token, max_retries=0)
            raw = gateway.chat.completions.with_raw_response.create(
                model=f"task:{TASK}", messages=[{"role": "user", "content": "-"}],
                extra_body={"champion": {"vars": {"ticket": "error 500 on login"}}})
            assert raw.parse().choices[0].message.content == "technical"
            assert raw.headers["x-champion-served-by"] == "fast"
            assert fast.requests[-1].json()["messages"][-1]["content"] == (
                "Ticket: error 500 on login")
        finally:
            process.terminate()
            _out, err = process.communicate(timeout=10)
        assert f"http://127.0.0.1:{port}/v1" in err and token not in err


def test_cli_names_its_database_and_warns_when_it_serves_no_task(tmp_path: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("CHAMPION_TOKEN", "CHAMPION_DB")}
    process = subprocess.Popen(
        [sys.executable, "-m", "champion", "gateway", "--port", str(port), "--workers", "1",
         "--db", "sqlite:///empty.db"], stderr=subprocess.PIPE, text=True, env=env,
        cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=10)
    assert f"database: sqlite:///{tmp_path / 'empty.db'}" in err  # the full path
    assert "stage: prod" in err and "tasks: none" in err
    assert "warning: no task is promoted at stage 'prod'" in err
