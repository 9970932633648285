"""Production beside the benchmark: sampled calls written in the background, the dashboard's
production figures, and the access log (never the prompt or the answer)."""

from __future__ import annotations

import json
import logging

import httpx
import openai
import pytest

from champion import Store, run_suite
from champion._registry.entries import Registry
from champion._registry.router import RouterConfig
from champion._web.dashboard import create_dashboard
from champion._web.gateway.access import ACCESS_LOGGER, AccessLog
from champion._web.gateway.calls import CallRecord
from champion._web.gateway.recorder import SampleRecorder
from champion._web.gateway.server import GatewaySettings, build_app
from champion.testing import MockOpenAIServer
from tests.router.fakes import TASK, candidate
from tests.router.test_registry_end_to_end import suite, triage
from tests.web.gateways import MESSAGES, StartGateway
from tests.web.servers import ServerThread

SECRET_TICKET = "my card 4111-1111 was charged twice"


def test_sampled_calls_reach_the_store_and_the_task_page(db_url: str) -> None:
    with MockOpenAIServer(triage) as fast, MockOpenAIServer(triage, delay_ms=20) as slow:
        run_suite(suite(), [candidate("fast", fast), candidate("slow", slow)], repeats=1,
                  db=db_url)
        with Store(db_url) as store:
            Registry(store).promote(TASK)
        settings = GatewaySettings(db=db_url, router=RouterConfig(retries=0), record=1.0,
                                   log_format="none")
        messages = [{"role": "user", "content": SECRET_TICKET}]
        with ServerThread(build_app(settings)) as gateway:
            api = openai.OpenAI(base_url=gateway.url + "/v1", api_key="-", max_retries=0)
            for _ in range(4):
                api.chat.completions.create(model=f"task:{TASK}", messages=messages)
            fast.mode = "error500"
            fallback = api.chat.completions.create(model=f"task:{TASK}", messages=messages)
            assert fallback.model == "slow"
            fast.mode = slow.mode = "error500"
            with pytest.raises(openai.APIStatusError):
                api.chat.completions.create(model=f"task:{TASK}", messages=messages)
        # The gateway stopped: what was buffered has been written.
        with Store(db_url) as store:
            summary = store.production_summary(TASK)
            rows = store.production_samples(TASK)
    assert (summary.calls, summary.served, summary.errors, summary.fallbacks) == (6, 5, 1, 1)
    assert summary.by_model == {"fast": 4, "slow": 1}
    assert summary.p50_ms is not None and summary.p95_ms is not None
    assert 0 < summary.p50_ms <= summary.p95_ms
    assert summary.fallback_rate == pytest.approx(0.2)
    assert {r["prompt_sha256"] for r in rows} and all(len(r["prompt_sha256"]) == 64 for r in rows)
    assert len({r["prompt_sha256"] for r in rows}) == 1  # the same prompt, the same hash
    assert all(r["prompt_text"] is None and r["answer_text"] is None for r in rows)
    assert SECRET_TICKET not in json.dumps(rows, default=str)
    failed = next(r for r in rows if r["status"] != 200)
    assert (failed["status"], failed["error_kind"]) == (502, "all_models_failed")
    assert any(r["fallback"] == "unavailable" and r["served_by"] == "slow" for r in rows)

    store = Store(db_url)
    with ServerThread(create_dashboard(store, None)) as dashboard:
        page = httpx.get(f"{dashboard.url}/tasks/{TASK}").text
        data = httpx.get(f"{dashboard.url}/api/tasks/{TASK}").json()
    store.close()
    assert "Production beside the benchmark" in page and "benchmark (run" in page
    assert data["production"]["calls"] == 6 and data["production"]["fallbacks"] == 1
    assert data["production"]["by_model"] == {"fast": 4, "slow": 1}


def test_record_text_keeps_the_prompt_and_answer(db_url: str) -> None:
    with MockOpenAIServer(triage) as fast, MockOpenAIServer(triage, delay_ms=20) as slow:
        run_suite(suite(), [candidate("fast", fast), candidate("slow", slow)], repeats=1,
                  db=db_url)
        with Store(db_url) as store:
            Registry(store).promote(TASK)
        settings = GatewaySettings(db=db_url, record=1.0, record_text=True, log_format="none")
        with ServerThread(build_app(settings)) as gateway:
            httpx.post(gateway.url + "/v1/chat/completions", json={
                "model": f"task:{TASK}", "messages": [{"role": "user", "content": "refund"}]})
    with Store(db_url) as store:
        [row] = store.production_samples(TASK)
    assert row["prompt_text"] == "user: refund" and row["answer_text"] == "billing"


def test_a_full_buffer_drops_samples_and_counts_them(db_url: str) -> None:
    store = Store(db_url)
    recorder = SampleRecorder(store, "prod", 1.0, capacity=2)
    for _ in range(5):  # the writer is not running: the buffer fills
        recorder.observe(CallRecord(task=TASK, requested=f"task:{TASK}", served_by="m"))
    assert recorder.dropped == 3
    recorder.stop()
    assert recorder.written == 2 and store.production_summary(TASK).calls == 2
    store.close()


def test_the_access_log_says_what_happened_and_never_the_prompt_or_answer(
        gateway_over: StartGateway, champion_server: MockOpenAIServer,
        caplog: pytest.LogCaptureFixture) -> None:
    champion_server.mode = "error500"
    logger = logging.getLogger(ACCESS_LOGGER)
    propagate, logger.propagate = logger.propagate, True  # to caplog's handler
    try:
        with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
            gateway = gateway_over(observers=[AccessLog(json_lines=True)])
            httpx.post(gateway.url + "/v1/chat/completions",
                       json={"model": f"task:{TASK}", "messages": MESSAGES})
            httpx.post(gateway.url + "/v1/chat/completions",
                       json={"model": "nope\nfake line", "messages": MESSAGES})
    finally:
        logger.propagate = propagate
    lines = [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]
    served, unknown = (json.loads(line) for line in lines)
    assert served["task"] == TASK and served["served_by"] == "second"
    assert served["fallback"] == "unavailable" and served["status"] == 200
    assert served["total_ms"] >= served["inference_ms"] > 0
    assert {"prompt_build_ms", "queue_ms", "parse_ms", "completion_tokens"} <= set(served)
    assert unknown["status"] == 404 and "\n" not in unknown["model"]
    text = "\n".join(lines)
    assert MESSAGES[1]["content"] not in text and "Billing." not in text
