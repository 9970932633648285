"""The provider contract: typed options, unapplied settings, statuses, Retry-After, caps."""

from __future__ import annotations

import asyncio
import email.utils
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from champion import Candidate
from champion._errors import (
    CandidateError,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
)
from champion._providers.base import Constraint, GenerateRequest, Message
from champion._providers.http import error_for_status, parse_retry_after
from champion._providers.llamacpp import LlamaCppProvider
from champion._providers.ollama import OllamaProvider
from champion._providers.openai import OpenAIProvider
from champion._providers.test import TestProvider
from champion._secrets import register_secret
from champion.testing import LoopbackServer, MockOpenAIServer, RawResponse, Request, Responder

ASK = (Message("user", "Ticket: charged twice"),)
LABELS = Constraint(labels=("billing", "technical"))
SCHEMA = Constraint(json_schema={"type": "object"})


def openai(**options: Any) -> OpenAIProvider:
    return OpenAIProvider(Candidate(id="o", provider="openai", model="m",
                                    base_url="http://127.0.0.1:9/v1", options=options))


def ollama(**options: Any) -> OllamaProvider:
    return OllamaProvider(Candidate(id="l", provider="ollama", model="m",
                                    base_url="http://127.0.0.1:9", options=options))


# Retry-After and statuses

def test_retry_after_takes_seconds_or_an_http_date() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(" 2.5 ", now) == 2.5
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now) == 0.0
    assert parse_retry_after("-4", now) == 0.0
    for junk in (None, "", "soon", "nan", "inf", "Mon, 99 Foo 2026"):
        assert parse_retry_after(junk, now) is None, junk


def test_status_errors_carry_the_status_and_retry_after_only_where_it_means_wait() -> None:
    limited = error_for_status(429, '{"error": "slow down"}', "3")
    assert type(limited) is RateLimited and limited.status == 429
    assert limited.retry_after_s == 3.0 and limited.retryable
    busy = error_for_status(503, "", "12")
    assert type(busy) is ProviderUnavailable and busy.retry_after_s == 12.0
    assert "(empty body)" in str(busy)
    broken = error_for_status(500, "boom", "12")
    assert type(broken) is ProviderUnavailable and broken.status == 500
    assert broken.retry_after_s is None
    missing = error_for_status(404, "no such model", "12")
    assert isinstance(missing, ProviderRejected) and missing.status == 404
    assert missing.kind == "rejected"
    assert missing.retry_after_s is None and not missing.retryable


def test_status_messages_are_redacted_and_short() -> None:
    secret = "sk-contract-91ab7e3f2c"
    register_secret(secret)
    error = error_for_status(401, f"bad key {secret}\n" + "x" * 10_000)
    assert secret not in str(error) and "***" in str(error)
    assert len(str(error)) < 400 and "\n" not in str(error)


class _Listing(LoopbackServer):
    """``/models`` answers ``status``; a 10 MB error body for ``/chat/completions``."""

    def __init__(self, status: int) -> None:
        super().__init__()
        self.status = status

    async def handle(self, request: Request, respond: Responder) -> None:
        if request.path.endswith("/models"):
            await respond.json(self.status, {"error": "nope"})
        else:
            await respond.raw(RawResponse((b"e" * 65_536,) * 160, status=500,
                                          content_type="text/plain"))


@pytest.mark.parametrize("status", [404, 405])
def test_an_endpoint_without_a_model_listing_is_fine(status: int) -> None:
    with _Listing(status) as server:
        provider = OpenAIProvider(Candidate(provider="openai", model="m",
                                            base_url=f"{server.base_url}/v1"))

        async def load_and_close() -> None:
            await provider.load()
            await provider.aclose()

        asyncio.run(load_and_close())
        assert server.count("/models") == 1


def test_a_failing_model_listing_fails_the_load_with_its_status() -> None:
    with _Listing(500) as server:
        provider = OpenAIProvider(Candidate(provider="openai", model="m",
                                            base_url=f"{server.base_url}/v1"))
        with pytest.raises(ProviderUnavailable) as caught:
            asyncio.run(provider.load())
    assert caught.value.status == 500


def test_a_10mb_error_body_is_not_buffered() -> None:
    async def call(provider: OpenAIProvider) -> BaseException:
        try:
            await provider.generate(GenerateRequest(ASK))
        except ProviderUnavailable as exc:
            return exc
        finally:
            await provider.aclose()
        raise AssertionError("no error")

    with _Listing(200) as server:
        provider = OpenAIProvider(Candidate(provider="openai", model="m",
                                            base_url=f"{server.base_url}/v1"))
        tracemalloc.start()
        try:
            error = asyncio.run(call(provider))
            _size, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(error, ProviderUnavailable) and error.status == 500
    assert peak < 4_000_000, peak


# Typed options and unapplied settings

def test_openai_labels_with_a_json_style_say_the_constraint_is_not_applied() -> None:
    for style in ("json_schema", "json_object"):
        provider = openai(constrain_with=style)
        request = GenerateRequest(ASK, constraint=LABELS)
        [note] = provider.unapplied_settings(request)
        assert style in note and "grammar" in note and "guided" in note
        body = provider.body(request, stream=True)
        assert not {"response_format", "grammar", "guided_choice"} & set(body)


def test_openai_constraints_the_style_can_carry_are_sent_without_a_note() -> None:
    grammar, guided = openai(constrain_with="grammar"), openai(constrain_with="guided")
    assert grammar.unapplied_settings(GenerateRequest(ASK, constraint=LABELS)) == []
    assert "grammar" in grammar.body(GenerateRequest(ASK, constraint=LABELS), stream=True)
    assert guided.body(GenerateRequest(ASK, constraint=LABELS), stream=True)[
        "guided_choice"] == ["billing", "technical"]
    assert openai().unapplied_settings(GenerateRequest(ASK, constraint=SCHEMA)) == []
    [note] = grammar.unapplied_settings(GenerateRequest(ASK, constraint=SCHEMA))
    assert "JSON Schema" in note


def test_openai_unknown_options_and_foreign_parameters_are_notes_and_not_sent() -> None:
    provider = openai(temprature=0.3)
    request = GenerateRequest(ASK, extra_params={"top_k": 5, "frequency_penalty": 0.5})
    notes = provider.unapplied_settings(request)
    assert len(notes) == 2
    assert "'temprature'" in notes[0] and "'top_k'" in notes[1] and "extra_body" in notes[1]
    body = provider.body(request, stream=True)
    assert body["frequency_penalty"] == 0.5
    assert "top_k" not in body and "temprature" not in body
    through = openai(extra_body={"top_k": 5})
    assert through.unapplied_settings(request) == []
    assert through.body(request, stream=True)["top_k"] == 5


@pytest.mark.parametrize("options", [{"stream": "maybe"}, {"constrain_with": "regex"},
                                     {"max_answer_chars": 0}, {"extra_body": [1]}])
def test_openai_options_of_the_wrong_type_are_bad_input(options: dict[str, Any]) -> None:
    with pytest.raises(CandidateError, match=f"options.{next(iter(options))}"):
        openai(**options)


def test_ollama_sends_its_model_options_and_names_the_rest() -> None:
    provider = ollama(num_ctx=4096, keep_alive="30m", think=True, bogus=1)
    request = GenerateRequest(ASK, extra_params={"top_k": 3, "best_of": 2})
    body = provider.body(request)
    assert body["options"]["num_ctx"] == 4096 and body["options"]["top_k"] == 3
    assert "bogus" not in body["options"] and "best_of" not in body["options"]
    assert "keep_alive" not in body["options"] and body["keep_alive"] == "30m"
    assert body["think"] is True
    notes = provider.unapplied_settings(request)
    assert len(notes) == 2 and "'bogus'" in notes[0] and "'best_of'" in notes[1]
    assert ollama().unapplied_settings(GenerateRequest(ASK, constraint=LABELS)) == []


@pytest.mark.parametrize("options", [{"num_ctx": "big"}, {"keep_alive": [1]},
                                     {"think": "very"}, {"unload": "no way"}])
def test_ollama_options_of_the_wrong_type_are_bad_input(options: dict[str, Any]) -> None:
    with pytest.raises(CandidateError, match=f"options.{next(iter(options))}"):
        ollama(**options)


def test_llamacpp_options_llama_does_not_take_are_notes_not_arguments() -> None:
    provider = LlamaCppProvider(Candidate(
        id="e", provider="llamacpp", model="builtin:smollm2-135m",
        options={"n_ctx": 512, "logits_all": False, "bogus": 1}))
    arguments = provider._llama_options()
    assert arguments["n_ctx"] == 512 and arguments["n_batch"] == 512
    assert arguments["logits_all"] is False and "bogus" not in arguments
    notes = provider.unapplied_settings(GenerateRequest(
        ASK, extra_params={"top_k": 40, "best_of": 2}))
    assert len(notes) == 2 and "'bogus'" in notes[0] and "'best_of'" in notes[1]
    with pytest.raises(CandidateError, match=r"options\.n_ctx"):
        LlamaCppProvider(Candidate(provider="llamacpp", model="builtin:smollm2-135m",
                                   options={"n_ctx": "big"}))


def test_the_test_provider_has_typed_options_too() -> None:
    provider = TestProvider(Candidate(provider="test", model="t",
                                      options={"reply": "ok", "colour": "red"}))
    notes = provider.unapplied_settings(GenerateRequest(ASK, extra_params={"top_k": 1}))
    assert len(notes) == 2 and "'colour'" in notes[0] and "'top_k'" in notes[1]
    with pytest.raises(CandidateError, match=r"options\.error"):
        TestProvider(Candidate(provider="test", model="t", options={"error": "sometimes"}))


def test_a_mock_server_counts_what_it_was_asked() -> None:
    with MockOpenAIServer("ok") as server:
        provider = OpenAIProvider(Candidate(provider="openai", model="m",
                                            base_url=f"{server.base_url}/v1"))

        async def twice() -> None:
            await provider.load()
            await provider.generate(GenerateRequest(ASK))
            await provider.generate(GenerateRequest(ASK))
            await provider.aclose()

        asyncio.run(twice())
        assert server.chat_requests == 2 == server.count("/chat/completions")
        assert server.count("/models") == 1


def test_unapplied_settings_reach_the_run_and_applied_ones_reach_the_server(
        tmp_path: Path, db_url: str) -> None:
    from champion import load_suite, run_suite
    from champion.testing import OllamaModel, OllamaProtocolServer

    suite_path = tmp_path / "suite.yaml"
    suite_path.write_text(
        "task: notes\nprompt: {user: 'Ticket: {t}'}\n"
        "output: {kind: label, labels: [billing, technical], constrain: true}\n"
        "params: {top_k: 7, best_of: 2}\n"
        "cases: [{id: a, vars: {t: charged}, expected: billing}]\n")
    with MockOpenAIServer("billing") as mock, \
            OllamaProtocolServer({"m": OllamaModel(reply="billing")}) as server:
        result = run_suite(load_suite(suite_path), [
            Candidate(id="o", provider="openai", model="m", base_url=f"{mock.base_url}/v1",
                      options={"temprature": 0.2}),
            Candidate(id="l", provider="ollama", model="m", base_url=server.base_url)],
            repeats=1, db=db_url)
        chats = [body for kind, _, body in server.events if kind == "chat"]
        sent = [r.json() for r in mock.requests if r.path.endswith("/chat/completions")]
    notes = {m.model: m.notes for m in result.models}
    assert any("'temprature'" in n for n in notes["o"])
    assert any("labels cannot be enforced" in n for n in notes["o"])
    assert any("'top_k'" in n for n in notes["o"]) and any("'best_of'" in n for n in notes["o"])
    assert notes["l"] == ["parameter 'best_of' is not applied by the ollama provider"]
    assert chats and all(body["options"]["top_k"] == 7 for body in chats)
    assert sent and not any("temprature" in body or "top_k" in body for body in sent)


class _GoesOn(LoopbackServer):
    """A complete answer, then lines that never stop."""

    async def handle(self, request: Request, respond: Responder) -> None:
        if request.path.endswith("/models"):
            await respond.json(404, {})
            return
        await respond.start_stream("text/event-stream")
        await respond.chunk(b'data: {"choices": [{"delta": {"content": "billing"},'
                            b' "finish_reason": "stop"}]}\n\ndata: [DONE]\n\n')
        while True:
            await respond.chunk(b": still here\n\n")
            await asyncio.sleep(0.001)


def test_a_server_that_goes_on_after_the_answer_is_left_behind() -> None:
    async def call(provider: OpenAIProvider) -> str:
        try:
            async with asyncio.timeout(5):
                return (await provider.generate(GenerateRequest(ASK))).text
        finally:
            await provider.aclose()

    with _GoesOn() as server:
        text = asyncio.run(call(OpenAIProvider(Candidate(
            provider="openai", model="m", base_url=f"{server.base_url}/v1"))))
    assert text == "billing"


def test_numbers_no_server_sends_are_protocol_errors_not_overflows() -> None:
    from champion._errors import ProviderProtocolError
    from champion._providers.ollama import OllamaProvider as Ollama
    from champion._providers.stream import StreamedAnswer, decode_event

    for data in ('{"a": NaN}', '{"a": 1e999}', '{"a": -Infinity}'):
        with pytest.raises(ProviderProtocolError):
            decode_event(data, "event")
    final: dict[str, Any] = {"done": True, "eval_count": 10**400, "eval_duration": 1}
    with pytest.raises(ProviderProtocolError, match="eval_count is out of range"):
        Ollama._completion(StreamedAnswer(0), final, 1)
    final = {"done": True, "eval_count": "a", "eval_duration": 1}
    with pytest.raises(ProviderProtocolError, match="eval_count is a str"):
        Ollama._completion(StreamedAnswer(0), final, 1)


def test_a_local_test_model_runs_in_process_and_loads_for_load_ms(tmp_path: Path) -> None:
    from champion import run_suite
    from champion._runner import MemorySink

    suite = tmp_path / "s.yaml"
    suite.write_text("task: t\nprompt: {user: 'Ticket {n}'}\noutput: {kind: label, labels: [ok]}"
                     "\ncases:\n  - {id: a, vars: {n: 1}, expected: ok}\n")
    local = Candidate(id="in", provider="test", model="in",
                      options={"reply": "ok", "local": True, "load_ms": 80})
    remote = Candidate(id="out", provider="test", model="out", options={"reply": "ok"})
    assert TestProvider(local).local and not TestProvider(remote).local
    result = run_suite(suite, [local, remote], repeats=1, db=MemorySink())
    runs = {m.model: m for m in result.models}
    assert runs["in"].key == "test/in@in-process" and runs["out"].key == "test/out@test"
    assert runs["in"].cold_start_ms is not None and runs["in"].cold_start_ms >= 80
