"""The Router against live loopback servers: champion, fallback, deadline, parser,
verify, breaker, environment overrides, registry refresh."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

import pytest

from champion._errors import InputError
from champion._registry.breaker import BreakerConfig
from champion._registry.router import (
    AllModelsFailed,
    DisagreementError,
    Router,
    RouterConfig,
    UnknownTask,
)
from champion.testing import MockOpenAIServer

from .fakes import TASK, FakeEntry, FakeRegistry, candidate

VARS = {"ticket": "I was charged twice"}
MakeRouter = Callable[..., Router]


def test_champion_serves_with_the_tasks_prompt_and_parser(
        make_router: MakeRouter, champion_server: MockOpenAIServer,
        runner_up_server: MockOpenAIServer) -> None:
    answer = make_router().complete(TASK, VARS)
    assert (answer.value, answer.served_by, answer.fallback_reason) == ("billing", "champ", None)
    assert answer.text == "billing"
    assert set(answer.timings) == {"prompt_build_ms", "queue_ms", "inference_ms", "parse_ms",
                                   "total_ms"}
    assert answer.timings["total_ms"] >= answer.timings["inference_ms"] > 0
    body = champion_server.requests[-1].json()
    assert body["model"] == "champ"
    assert body["messages"] == [{"role": "system", "content": "Answer with one word."},
                                {"role": "user", "content": "Ticket: I was charged twice"}]
    assert body["max_tokens"] == 4
    assert runner_up_server.chat_requests == 0


def test_champion_error_falls_back_to_the_runner_up(
        make_router: MakeRouter, champion_server: MockOpenAIServer) -> None:
    champion_server.mode = "error500"
    answer = make_router(RouterConfig(retries=0)).complete(TASK, VARS)
    assert answer.served_by == "second"
    assert answer.value == "billing"  # "Billing." parsed by the task's label parser
    assert answer.fallback_reason is not None
    assert "champ" in answer.fallback_reason and "HTTP 500" in answer.fallback_reason
    assert champion_server.chat_requests == 1


def test_transient_errors_are_retried_within_the_deadline(
        make_router: MakeRouter, champion_server: MockOpenAIServer) -> None:
    champion_server.fail_first, champion_server.fail_status = 1, 503
    champion_server.retry_after = None
    answer = make_router(RouterConfig(retries=2, retry_backoff_s=0.01)).complete(TASK, VARS)
    assert (answer.served_by, answer.fallback_reason) == ("champ", None)
    assert champion_server.chat_requests == 2


def test_a_retry_that_would_not_fit_the_deadline_falls_back_at_once(
        make_router: MakeRouter, champion_server: MockOpenAIServer) -> None:
    champion_server.fail_first, champion_server.fail_status = 5, 503
    config = RouterConfig(timeout_s=0.5, retries=2, retry_backoff_s=2.0)
    start = time.perf_counter()
    answer = make_router(config).complete(TASK, VARS)
    assert answer.served_by == "second"
    assert time.perf_counter() - start < 1.5  # a retry would have waited 2 s first
    assert champion_server.chat_requests == 1


def test_hanging_champion_the_runner_up_answers_within_the_deadline(
        make_router: MakeRouter, champion_server: MockOpenAIServer) -> None:
    champion_server.mode = "hang"
    start = time.perf_counter()
    answer = make_router(RouterConfig(timeout_s=0.3)).complete(TASK, VARS)
    elapsed = time.perf_counter() - start
    assert answer.served_by == "second"
    assert answer.fallback_reason is not None and "timeout" in answer.fallback_reason
    assert 0.3 <= elapsed < 1.5


def test_a_retry_after_beyond_the_deadline_falls_back_at_once(
        make_router: MakeRouter, champion_server: MockOpenAIServer) -> None:
    champion_server.mode, champion_server.retry_after = "error429", "30"
    start = time.perf_counter()
    answer = make_router(RouterConfig(timeout_s=2.0, retry_backoff_s=0.01)).complete(TASK, VARS)
    assert answer.served_by == "second"
    assert answer.fallback_reason is not None and "rate_limited" in answer.fallback_reason
    assert time.perf_counter() - start < 1.0
    assert champion_server.chat_requests == 1


def test_a_champion_stalling_mid_answer_is_cut_at_the_deadline(
        make_router: MakeRouter, champion_server: MockOpenAIServer) -> None:
    champion_server.mode = "hang_mid_stream"
    start = time.perf_counter()
    answer = make_router(RouterConfig(timeout_s=0.3)).complete(TASK, VARS)
    assert answer.served_by == "second"
    assert time.perf_counter() - start < 1.5


def test_api_keys_never_reach_reasons_or_errors(
        champion_server: MockOpenAIServer, runner_up_server: MockOpenAIServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-router-test-4f9a8b7c6d5e"
    monkeypatch.setenv("CHAMP_KEY", secret)
    champion_server.mode = runner_up_server.mode = "error401"  # both echo the Authorization
    registry = FakeRegistry()
    registry.register(
        candidate("champ", champion_server).model_copy(update={"api_key_env": "CHAMP_KEY"}),
        candidate("second", runner_up_server).model_copy(update={"api_key_env": "CHAMP_KEY"}))
    with Router(registry) as router, pytest.raises(AllModelsFailed) as caught:
        router.complete(TASK, VARS)
    assert champion_server.requests[-1].headers["authorization"] == f"Bearer {secret}"
    assert secret not in str(caught.value) and "***" in str(caught.value)  # echoed, masked
    assert all(secret not in f.message for f in caught.value.failures)


def test_output_the_tasks_parser_rejects_falls_back(
        make_router: MakeRouter, champion_server: MockOpenAIServer) -> None:
    champion_server.reply = "I cannot tell from this ticket"
    answer = make_router().complete(TASK, VARS)
    assert answer.served_by == "second"
    assert answer.fallback_reason is not None and "unparseable" in answer.fallback_reason
    assert champion_server.chat_requests == 1  # the same prompt gets the same answer: no retry


def test_both_failing_raise_one_error_naming_both(
        make_router: MakeRouter, champion_server: MockOpenAIServer,
        runner_up_server: MockOpenAIServer) -> None:
    champion_server.mode = "error401"
    runner_up_server.reply = "no idea"
    with pytest.raises(AllModelsFailed) as caught:
        make_router().complete(TASK, VARS)
    error = caught.value
    assert [(f.model, f.role, f.kind) for f in error.failures] == [
        ("champ", "champion", "rejected"), ("second", "runner-up", "unparseable")]
    assert "champ" in str(error) and "second" in str(error) and "HTTP 401" in str(error)
    assert not error.timed_out


def test_verify_accepts_agreement_and_refuses_disagreement(
        make_router: MakeRouter, runner_up_server: MockOpenAIServer) -> None:
    router = make_router()
    answer = router.complete(TASK, VARS, verify=True)
    assert (answer.value, answer.verified, answer.served_by) == ("billing", True, "champ")
    runner_up_server.reply = "technical"
    with pytest.raises(DisagreementError) as caught:
        router.complete(TASK, VARS, verify=True)
    error = caught.value
    assert error.champion is not None and error.runner_up is not None
    assert (error.champion.value, error.runner_up.value) == ("billing", "technical")
    assert "disagree" in str(error)


def test_verify_asks_both_models_at_the_same_time(
        make_router: MakeRouter, champion_server: MockOpenAIServer,
        runner_up_server: MockOpenAIServer) -> None:
    champion_server.delay_s = runner_up_server.delay_s = 0.4
    answer = make_router().complete(TASK, VARS, verify=True)
    assert answer.verified
    assert 400 <= answer.timings["total_ms"] < 750  # the slower of the two, not their sum
    assert champion_server.chat_requests == runner_up_server.chat_requests == 1


def test_verify_with_one_model_failing_is_refused(
        make_router: MakeRouter, runner_up_server: MockOpenAIServer) -> None:
    runner_up_server.mode = "error500"
    with pytest.raises(DisagreementError) as caught:
        make_router(RouterConfig(retries=0)).complete(TASK, VARS, verify=True)
    assert caught.value.runner_up is None
    assert [f.model for f in caught.value.failures] == ["second"]


def test_breaker_skips_a_failing_champion_and_a_probe_restores_it(
        make_router: MakeRouter, champion_server: MockOpenAIServer) -> None:
    breaker = BreakerConfig(window_s=60, min_calls=2, failure_rate=0.5, cooldown_s=1.0)
    router = make_router(RouterConfig(retries=0, breaker=breaker))
    champion_server.mode = "error500"
    for _ in range(2):
        assert router.complete(TASK, VARS).served_by == "second"
    assert champion_server.chat_requests == 2
    for _ in range(3):
        answer = router.complete(TASK, VARS)
        assert answer.served_by == "second"
        assert answer.fallback_reason is not None and "circuit open" in answer.fallback_reason
    assert champion_server.chat_requests == 2  # skipped while open
    champion_server.mode = "ok"
    time.sleep(1.05)
    answer = router.complete(TASK, VARS)
    assert (answer.served_by, answer.fallback_reason) == ("champ", None)
    assert champion_server.chat_requests == 3
    assert router.complete(TASK, VARS).served_by == "champ"


def test_environment_overrides_the_registered_champion(
        make_router: MakeRouter, champion_server: MockOpenAIServer) -> None:
    with MockOpenAIServer("technical") as other:
        environ = {"CHAMPION_MINI_TRIAGE_MODEL": "other-model",
                   "CHAMPION_MINI_TRIAGE_BASE_URL": other.base_url + "/v1"}
        answer = make_router(environ=environ).complete(TASK, VARS)
        assert (answer.served_by, answer.value) == ("other-model", "technical")
        assert other.requests[-1].json()["model"] == "other-model"
    assert champion_server.chat_requests == 0


def test_environment_overrides_the_fallback(
        make_router: MakeRouter, champion_server: MockOpenAIServer,
        runner_up_server: MockOpenAIServer) -> None:
    champion_server.mode = "error500"
    with MockOpenAIServer("technical") as other:
        environ = {"CHAMPION_MINI_TRIAGE_FALLBACK_MODEL": "spare",
                   "CHAMPION_MINI_TRIAGE_FALLBACK_PROVIDER": "openai",
                   "CHAMPION_MINI_TRIAGE_FALLBACK_BASE_URL": other.base_url + "/v1"}
        answer = make_router(RouterConfig(retries=0), environ=environ).complete(TASK, VARS)
        assert answer.served_by == "spare"
    assert runner_up_server.chat_requests == 0


def test_an_override_naming_an_unknown_provider_falls_back(
        make_router: MakeRouter, runner_up_server: MockOpenAIServer) -> None:
    environ = {"CHAMPION_MINI_TRIAGE_MODEL": "m", "CHAMPION_MINI_TRIAGE_PROVIDER": "nosuch"}
    answer = make_router(environ=environ).complete(TASK, VARS)
    assert answer.served_by == "second"
    assert answer.fallback_reason is not None and "unknown provider" in answer.fallback_reason


async def test_complete_works_inside_a_running_event_loop(make_router: MakeRouter) -> None:
    asyncio.get_running_loop()
    router = make_router()
    assert router.complete(TASK, VARS).served_by == "champ"
    answer = await router.acomplete(TASK, VARS)
    assert answer.served_by == "champ"
    await router.aclose()


def test_registry_is_reread_only_when_its_version_changed(
        make_router: MakeRouter, registry: FakeRegistry,
        runner_up_server: MockOpenAIServer) -> None:
    router = make_router(RouterConfig(refresh_s=0.5))
    start = time.monotonic()
    for _ in range(20):
        router.complete(TASK, VARS)
    elapsed = time.monotonic() - start
    # Checked at most every refresh_s, not on every call.
    assert 1 <= registry.version_calls <= 1 + elapsed / 0.5 < 20
    dropped = router.route(TASK).champion
    provider = next(iter(dropped._providers.values()))
    assert provider._client is not None
    time.sleep(0.55)
    router.complete(TASK, VARS)  # a check that finds the same version
    registry.register(candidate("second", runner_up_server), None)
    assert router.complete(TASK, VARS).served_by == "champ"  # not yet checked again
    time.sleep(0.55)
    answer = router.complete(TASK, VARS)
    assert answer.served_by == "second"
    time.sleep(0.05)
    assert provider._client is None  # the dropped champion's connections were closed


class SlowFirstRead(FakeRegistry):
    """A registry whose reads take a while (a busy database)."""

    def entries(self, stage: str | None = None) -> list[FakeEntry]:
        time.sleep(0.3)
        return super().entries(stage)


def test_a_call_during_the_first_read_waits_for_it_instead_of_finding_no_task(
        registry: FakeRegistry) -> None:
    slow = SlowFirstRead(registry.items, registry.revision)
    router = Router(slow, RouterConfig(refresh_s=60))
    try:
        reader = threading.Thread(target=router.table.refresh)
        reader.start()  # the gateway's first read, in a worker thread
        time.sleep(0.05)
        assert router.tasks() == [TASK]  # not [] while that read is in progress
        assert router.complete(TASK, VARS).served_by == "champ"
        reader.join()
    finally:
        router.close()


class CountingServer(MockOpenAIServer):
    """Counts the TCP connections clients open."""

    connections = 0

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await super()._connection(reader, writer)


def test_one_provider_and_one_connection_serve_many_calls(runner_up_server: MockOpenAIServer,
                                                          ) -> None:
    with CountingServer("billing") as server:
        registry = FakeRegistry()
        registry.register(candidate("champ", server), candidate("second", runner_up_server))
        with Router(registry) as router:
            for _ in range(5):
                assert router.complete(TASK, VARS).served_by == "champ"
            assert server.connections == 1
            assert len(router.route(TASK).champion._providers) == 1


async def test_concurrent_calls_share_one_provider(
        make_router: MakeRouter, champion_server: MockOpenAIServer) -> None:
    champion_server.delay_s = 0.05
    router = make_router()
    tickets = [f"ticket {i}" for i in range(40)]
    answers = await asyncio.gather(*(router.acomplete(TASK, {"ticket": t}) for t in tickets))
    assert {a.served_by for a in answers} == {"champ"}
    assert champion_server.chat_requests == 40
    sent = sorted(r.json()["messages"][-1]["content"] for r in champion_server.requests
                  if r.path.endswith("/chat/completions"))
    assert sent == sorted(f"Ticket: {t}" for t in tickets)
    assert len(router.route(TASK).champion._providers) == 1
    await router.aclose()


def test_unknown_task_and_missing_vars_are_input_errors(make_router: MakeRouter) -> None:
    router = make_router()
    with pytest.raises(UnknownTask):
        router.complete("no-such-task", VARS)
    with pytest.raises(InputError, match="ticket"):
        router.complete(TASK, {"other": 1})


def test_one_perf_line_per_stage(make_router: MakeRouter,
                                 caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="champion.perf"):
        make_router().complete(TASK, VARS)
    lines = [r.getMessage() for r in caplog.records if r.name == "champion.perf"]
    assert [line.split()[2] for line in lines] == [
        "stage=prompt_build", "stage=queue", "stage=inference", "stage=parse", "stage=total"]
    assert all(line.startswith("[PERF] task=mini-triage") for line in lines)
