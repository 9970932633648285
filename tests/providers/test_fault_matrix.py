"""Every fault a real server produces, for every HTTP provider: the right error, in time.

Providers are driven the way the runner drives them: each call inside
``asyncio.timeout(request.timeout_s)``, a ``TimeoutError`` becoming a
``ProviderTimeout``. Then the same faults end to end through ``run_suite``,
beside a healthy model.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import pytest

from champion import Candidate, RunConfig, load_suite, run_suite
from champion._errors import (
    AnswerTooLarge,
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from champion._providers.base import Completion, GenerateRequest, Message, Provider
from champion._providers.registry import create_provider
from champion._secrets import redact
from champion._store import Store
from champion.testing import (
    FAULTS,
    Fault,
    MockOpenAIServer,
    OllamaModel,
    OllamaProtocolServer,
)

KEY = "sk-fault-7f3a9c2e5b1d8f4a6c0e"
ENV = "CHAMPION_FAULT_KEY"
DEADLINE_S = 1.0
CAP = 1_000_000
REPLY = "billing"

EXPECTED: dict[Fault, type[ProviderError]] = {
    "error500": ProviderUnavailable,
    "error503": ProviderUnavailable,
    "error429": RateLimited,
    "error401": ProviderRejected,
    "hang": ProviderTimeout,
    "hang_mid_stream": ProviderTimeout,
    "reset": ProviderUnavailable,
    "truncated": ProviderProtocolError,
    "bad_utf8": ProviderProtocolError,
    "huge": AnswerTooLarge,
    "endless": ProviderTimeout,
    "garbage": ProviderProtocolError,
}
STATUS: dict[Fault, int] = {"error500": 500, "error503": 503, "error429": 429, "error401": 401}

#: openai streamed, openai with one JSON answer, ollama.
Variant = Literal["openai", "openai-whole", "ollama"]
VARIANTS: tuple[Variant, ...] = ("openai", "openai-whole", "ollama")
REQUEST = GenerateRequest((Message("system", "Answer with one word."),
                           Message("user", "Ticket: charged twice")), timeout_s=DEADLINE_S)


@contextmanager
def serve(variant: Variant, fault: Fault | None, name: str = "m",
          ) -> Iterator[tuple[MockOpenAIServer | OllamaProtocolServer, Candidate]]:
    """A server with the fault, and a keyed candidate pointing at it."""
    if variant == "ollama":
        with OllamaProtocolServer({"m": OllamaModel(reply=REPLY, token_ms=0, prompt_ms=0)},
                                  fault=fault) as ollama:
            yield ollama, Candidate(id=name, provider="ollama", model="m",
                                    base_url=ollama.base_url, api_key_env=ENV)
        return
    with MockOpenAIServer(REPLY, mode=fault or "ok") as server:
        yield server, Candidate(id=name, provider="openai", model="m",
                                base_url=f"{server.base_url}/v1", api_key_env=ENV,
                                options={"stream": variant == "openai"})


async def call(provider: Provider, request: GenerateRequest) -> Completion:
    """One call as the runner makes it: within its deadline."""
    try:
        async with asyncio.timeout(request.timeout_s):
            return await provider.generate(request)
    except TimeoutError:
        raise ProviderTimeout(f"timeout: no answer within {request.timeout_s:g} s") from None


async def attempt(candidate: Candidate) -> tuple[BaseException | Completion, float, float]:
    """Load and call once; the outcome, the call's duration and the event loop's longest stall."""
    provider = create_provider(candidate)
    stall = 0.0
    running = True

    async def heartbeat() -> None:
        nonlocal stall
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            stall, last = max(stall, now - last), now

    ticker = asyncio.create_task(heartbeat())
    start = time.perf_counter()
    try:
        await provider.load()
        start = time.perf_counter()
        outcome: BaseException | Completion = await call(provider, REQUEST)
    except Exception as exc:  # the test inspects whatever came out
        outcome = exc
    try:
        return outcome, time.perf_counter() - start, stall
    finally:
        running = False
        await ticker
        await provider.aclose()


def texts(exc: BaseException) -> str:
    """Everything an exception and its chain would show."""
    seen: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 20:
        seen += [str(current), repr(current), *map(str, current.args)]
        current = current.__cause__ or current.__context__
    return "\n".join(seen)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("fault", FAULTS)
def test_every_fault_is_the_right_error_within_the_deadline(
        variant: Variant, fault: Fault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, KEY)
    with serve(variant, fault) as (server, candidate):
        outcome, elapsed, stall = asyncio.run(attempt(candidate))
        chats = [r for r in server.requests if r.path.endswith(("/chat/completions",
                                                                "/api/chat"))]
        calls = server.chat_requests
    expected = EXPECTED[fault]
    assert type(outcome) is expected, (outcome, texts(outcome) if isinstance(
        outcome, BaseException) else "")
    assert isinstance(outcome, ProviderError) and outcome.kind == expected.kind
    # Faults that answer end well before the deadline; hangs end at it.
    limit = DEADLINE_S + 0.5 if expected is ProviderTimeout else DEADLINE_S
    assert elapsed < limit, elapsed
    assert stall < DEADLINE_S / 2, f"the event loop stalled {stall:.3f} s"
    assert calls == 1  # the provider itself never retries
    assert chats and all(r.headers.get("authorization") == f"Bearer {KEY}" for r in chats)
    assert KEY not in texts(outcome)
    assert outcome.status == STATUS.get(fault)
    if fault in ("error429", "error503"):
        assert outcome.retry_after_s == 1.0
    else:
        assert outcome.retry_after_s is None
    if fault == "error401":  # the server quoted the key back: masked
        assert "***" in str(outcome)
    if isinstance(outcome, AnswerTooLarge):
        assert len(outcome.partial) == CAP and outcome.partial.startswith(REPLY[:3])
        assert set(outcome.partial[len(REPLY) + 1:]) == {"x"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_healthy_server_answers_through_the_same_path(
        variant: Variant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, KEY)
    with serve(variant, None) as (_server, candidate):
        outcome, _elapsed, _stall = asyncio.run(attempt(candidate))
    assert isinstance(outcome, Completion) and outcome.text == REPLY


def test_a_smaller_cap_is_a_typed_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, KEY)
    long_reply = "billing " + "word " * 60
    for variant in VARIANTS:
        with serve(variant, None) as (server, candidate):
            if isinstance(server, MockOpenAIServer):
                server.reply = long_reply
            else:
                assert isinstance(server, OllamaProtocolServer)
                server.models["m"].reply = long_reply
            capped = candidate.model_copy(update={"options": {**candidate.options,
                                                              "max_answer_chars": 100}})
            outcome, _elapsed, _stall = asyncio.run(attempt(capped))
        assert isinstance(outcome, AnswerTooLarge), (variant, outcome)
        assert outcome.partial == long_reply[:100], variant


def test_credentials_in_the_url_and_headers_never_reach_an_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAMPION_FAULT_TOKEN", "tok-" + KEY[::-1])
    with MockOpenAIServer(REPLY, mode="error401") as server:
        host = server.base_url.removeprefix("http://")
        candidate = Candidate(id="u", provider="openai", model="m",
                              base_url=f"http://user:{KEY}@{host}/v1?key=q-{KEY}",
                              headers={"X-Token": "Token ${CHAMPION_FAULT_TOKEN}"})
        outcome, _elapsed, _stall = asyncio.run(attempt(candidate))
        [chat] = [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert isinstance(outcome, ProviderRejected) and outcome.status == 401
    assert chat.headers["authorization"].startswith("Basic ")  # quoted back by the server
    assert chat.headers["x-token"] == "Token tok-" + KEY[::-1]
    shown = texts(outcome)
    assert KEY not in shown and chat.headers["authorization"][6:] not in shown
    assert redact(f"echo: tok-{KEY[::-1]}") == "echo: ***"  # the token alone is masked too
    # Nothing listens on port 9: the connection error names no credential either.
    unreachable = candidate.model_copy(update={
        "base_url": f"http://user:{KEY}@127.0.0.1:9/v1?key=q-{KEY}"})
    refused, _elapsed, _stall = asyncio.run(attempt(unreachable))
    assert isinstance(refused, ProviderUnavailable) and KEY not in texts(refused)


def test_an_in_band_error_event_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    from champion.testing import RawResponse

    monkeypatch.setenv(ENV, KEY)
    with serve("openai", None) as (server, candidate):
        assert isinstance(server, MockOpenAIServer)
        server.raw = RawResponse((b'data: {"error": {"message": "model overloaded",'
                                  b' "code": 503}}\n\n',))
        outcome, _elapsed, _stall = asyncio.run(attempt(candidate))
    assert type(outcome) is ProviderUnavailable and "model overloaded" in str(outcome)


# End to end: the public API, a faulty model beside a healthy one.

SUITE = """\
task: fault-matrix
prompt:
  system: Answer with one word.
  user: "Ticket: {ticket}"
output: {kind: label, labels: [billing, technical]}
check: {type: label}
params: {max_tokens: 4, timeout_s: 0.5}
cases:
  - {id: C1, vars: {ticket: charged twice}, expected: billing}
  - {id: C2, vars: {ticket: refund please}, expected: billing}
"""


@pytest.mark.parametrize("variant", ["openai", "ollama"])
@pytest.mark.parametrize("fault", FAULTS)
def test_end_to_end_the_faulty_model_records_its_error_kind_and_the_healthy_one_wins(
        variant: Variant, fault: Fault, tmp_path: Path, db_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, KEY)
    suite_path = tmp_path / "suite.yaml"
    suite_path.write_text(SUITE)
    with serve(variant, fault, "bad") as (bad_server, bad), serve(variant, None, "good") as (
            _good, good):
        result = run_suite(load_suite(suite_path), [bad, good], repeats=1, db=db_url,
                           config=RunConfig(strategy="full"))
        calls = bad_server.chat_requests
    trials = Store(db_url).load_run(result.run_id).trials
    good_trials = [t for t in trials if t.model == "good"]
    bad_trials = [t for t in trials if t.model == "bad"]
    assert len(good_trials) == 2 and all(t.correct and not t.is_error for t in good_trials)
    assert result.champion == "good"
    assert len(bad_trials) == 2 and all(t.is_error for t in bad_trials)
    assert {t.error_kind for t in bad_trials} == {EXPECTED[fault].kind}, [
        (t.error_kind, t.error) for t in bad_trials]
    if fault == "huge":
        assert all(len(t.output) == CAP for t in bad_trials)
    if not EXPECTED[fault].retryable:  # the warm-up and one call per case, none repeated
        assert calls == 3, calls
    database = Path(db_url.removeprefix("sqlite:///"))
    for blob in database.parent.glob(database.name + "*"):
        assert KEY.encode() not in blob.read_bytes()
