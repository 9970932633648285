"""Mutated SSE and NDJSON streams: a Completion or a provider error, never a crash or a hang.

Valid streams of each protocol are mutated (fields removed, values of the wrong
type, the stream cut mid-event, invalid UTF-8 bytes), split into arbitrary
chunks and served as they are by the servers' raw hook.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from champion import Candidate
from champion._errors import ProviderProtocolError, ProviderUnavailable
from champion._providers.base import Completion, GenerateRequest, Message, Provider
from champion._providers.registry import create_provider
from champion.testing import MockOpenAIServer, OllamaModel, OllamaProtocolServer, RawResponse

TIMEOUT_S = 2.0
REQUEST = GenerateRequest((Message("user", "Ticket: charged twice"),), timeout_s=TIMEOUT_S)
ALLOWED = (ProviderProtocolError, ProviderUnavailable)


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


SSE_EVENTS: list[Any] = [
    _chunk({"role": "assistant", "content": None}),
    _chunk({"reasoning_content": "think"}),
    _chunk({"content": "bill"}),
    _chunk({"content": "ing"}),
    _chunk({}, "stop"),
    {"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": [],
     "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7,
               "completion_tokens_details": {"reasoning_tokens": 1}},
     "timings": {"predicted_n": 2, "prompt_n": 5, "predicted_per_second": 80.5}},
]

NDJSON_EVENTS: list[Any] = [
    {"model": "m", "created_at": "2026-01-01T00:00:00Z",
     "message": {"role": "assistant", "content": "", "thinking": "think"}, "done": False},
    {"model": "m", "created_at": "2026-01-01T00:00:00Z",
     "message": {"role": "assistant", "content": "bill"}, "done": False},
    {"model": "m", "created_at": "2026-01-01T00:00:00Z",
     "message": {"role": "assistant", "content": "ing"}, "done": False},
    {"model": "m", "created_at": "2026-01-01T00:00:00Z",
     "message": {"role": "assistant", "content": ""}, "done_reason": "stop", "done": True,
     "total_duration": 9_000_000, "load_duration": 1_000, "prompt_eval_count": 5,
     "prompt_eval_duration": 2_000_000, "eval_count": 2, "eval_duration": 5_000_000},
]

WHOLE_ANSWER: dict[str, Any] = {
    "id": "c1", "object": "chat.completion", "model": "m",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "content": "billing", "reasoning_content": "think"}}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
}

JUNK = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**12), st.integers(),
                 st.sampled_from([10**400, -(2**63), 2**64]), st.floats(),
                 st.text(max_size=4),
                 st.lists(st.integers(0, 3), max_size=2),
                 st.dictionaries(st.sampled_from(["content", "error", "x"]), st.integers(),
                                 max_size=1))
BAD_BYTES = [b"\xff", b"\xc3", b"\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82"]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key or index inside a JSON value."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, child in items:
        found.append((*prefix, key))
        found += _paths(child, (*prefix, key))
    return found


def _mutate_events(data: st.DataObject, events: list[Any]) -> list[Any]:
    """Remove fields or give them values of the wrong type, one to three times."""
    events = copy.deepcopy(events)
    for _ in range(data.draw(st.integers(0, 3), label="mutations")):
        index = data.draw(st.integers(0, len(events) - 1), label="event")
        paths = _paths(events[index])
        if not paths or data.draw(st.integers(0, 9)) == 0:
            events[index] = data.draw(JUNK, label="whole event")
            continue
        path = data.draw(st.sampled_from(paths), label="path")
        parent = events[index]
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans(), label="remove"):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(JUNK, label="value")
    return events


def _mutate_bytes(data: st.DataObject, body: bytes) -> tuple[bytes, bool]:
    """Maybe insert invalid UTF-8, maybe cut the body; whether it ends properly."""
    if data.draw(st.booleans(), label="bad utf-8"):
        at = data.draw(st.integers(0, len(body)), label="at")
        body = body[:at] + data.draw(st.sampled_from(BAD_BYTES)) + body[at:]
    complete = True
    if data.draw(st.booleans(), label="cut"):
        body = body[:data.draw(st.integers(0, len(body)), label="cut at")]
        complete = data.draw(st.booleans(), label="then end properly")
    return body, complete


def _chunks(data: st.DataObject, body: bytes) -> tuple[bytes, ...]:
    cuts = sorted(set(data.draw(st.lists(st.integers(1, max(1, len(body) - 1)), max_size=4),
                                label="chunk boundaries")))
    edges = [0, *cuts, len(body)]
    return tuple(body[a:b] for a, b in itertools.pairwise(edges) if body[a:b])


class Harness:
    """One server and one provider, on one event loop kept across examples."""

    def __init__(self, server: MockOpenAIServer | OllamaProtocolServer,
                 candidate: Candidate) -> None:
        self.server = server
        self.runner = asyncio.Runner()
        self.provider: Provider = create_provider(candidate)
        self.runner.run(self.provider.load())

    def serve(self, raw: RawResponse) -> Completion | Exception:
        self.server.raw = raw
        return self.runner.run(self._call())

    async def _call(self) -> Completion | Exception:
        try:
            async with asyncio.timeout(TIMEOUT_S):
                return await self.provider.generate(REQUEST)
        except TimeoutError:
            raise AssertionError(f"no outcome within {TIMEOUT_S} s") from None
        except ALLOWED as exc:
            return exc

    def close(self) -> None:
        self.runner.run(self.provider.aclose())
        self.runner.close()


@pytest.fixture(scope="module")
def sse() -> Iterator[Harness]:
    with MockOpenAIServer() as server:
        harness = Harness(server, Candidate(id="m", provider="openai", model="m",
                                            base_url=f"{server.base_url}/v1"))
        yield harness
        harness.close()


@pytest.fixture(scope="module")
def whole() -> Iterator[Harness]:
    with MockOpenAIServer() as server:
        harness = Harness(server, Candidate(id="m", provider="openai", model="m",
                                            base_url=f"{server.base_url}/v1",
                                            options={"stream": False}))
        yield harness
        harness.close()


@pytest.fixture(scope="module")
def ndjson() -> Iterator[Harness]:
    with OllamaProtocolServer({"m": OllamaModel()}) as server:
        harness = Harness(server, Candidate(id="m", provider="ollama", model="m",
                                            base_url=server.base_url))
        yield harness
        harness.close()


def _sse_body(events: list[Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) \
        + b"data: [DONE]\n\n"


def _ndjson_body(events: list[Any]) -> bytes:
    return b"".join(json.dumps(e).encode() + b"\n" for e in events)


def test_the_unmutated_streams_are_answers(sse: Harness, whole: Harness,
                                           ndjson: Harness) -> None:
    for harness, body, content_type in (
            (sse, _sse_body(SSE_EVENTS), "text/event-stream"),
            (whole, json.dumps(WHOLE_ANSWER).encode(), "application/json"),
            (ndjson, _ndjson_body(NDJSON_EVENTS), "application/x-ndjson")):
        done = harness.serve(RawResponse((body,), content_type=content_type))
        assert isinstance(done, Completion), done
        assert done.text == "billing" and done.reasoning == "think"
        assert done.completion_tokens == 2 and done.prompt_tokens == 5


FUZZ = settings(max_examples=70, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=st.data())
def test_mutated_sse_streams_end_as_an_answer_or_a_provider_error(
        sse: Harness, data: st.DataObject) -> None:
    body, complete = _mutate_bytes(data, _sse_body(_mutate_events(data, SSE_EVENTS)))
    outcome = sse.serve(RawResponse(_chunks(data, body), complete=complete))
    event(type(outcome).__name__)  # shown by --hypothesis-show-statistics
    assert isinstance(outcome, Completion | ProviderProtocolError | ProviderUnavailable)


@FUZZ
@given(data=st.data())
def test_mutated_ndjson_streams_end_as_an_answer_or_a_provider_error(
        ndjson: Harness, data: st.DataObject) -> None:
    body, complete = _mutate_bytes(data, _ndjson_body(_mutate_events(data, NDJSON_EVENTS)))
    outcome = ndjson.serve(RawResponse(_chunks(data, body), content_type="application/x-ndjson",
                                       complete=complete))
    event(type(outcome).__name__)  # shown by --hypothesis-show-statistics
    assert isinstance(outcome, Completion | ProviderProtocolError | ProviderUnavailable)


@FUZZ
@given(data=st.data())
def test_mutated_whole_answers_end_as_an_answer_or_a_provider_error(
        whole: Harness, data: st.DataObject) -> None:
    [answer] = _mutate_events(data, [WHOLE_ANSWER])
    body, complete = _mutate_bytes(data, json.dumps(answer).encode())
    outcome = whole.serve(RawResponse(_chunks(data, body), content_type="application/json",
                                      complete=complete))
    event(type(outcome).__name__)  # shown by --hypothesis-show-statistics
    assert isinstance(outcome, Completion | ProviderProtocolError | ProviderUnavailable)
