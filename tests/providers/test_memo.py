"""Per-request preparation is reused for the same request and never for another."""

from __future__ import annotations

import gc

from champion._providers.base import GenerateRequest, Message
from champion._providers.memo import RequestMemo


def request(text: str) -> GenerateRequest:
    return GenerateRequest(messages=(Message("user", text),))


def test_same_request_is_prepared_once() -> None:
    memo: RequestMemo[str] = RequestMemo()
    calls: list[str] = []

    def prepare(r: GenerateRequest) -> str:
        calls.append(r.messages[0].content)
        return r.messages[0].content.upper()

    first = request("a")
    assert memo.get(first, prepare) == "A"
    assert memo.get(first, prepare) == "A"
    assert calls == ["a"]


def test_a_new_request_never_gets_a_freed_requests_entry() -> None:
    # Freed objects' ids are reused by CPython: ever-new requests, as production
    # callers make them, must each get their own preparation.
    memo: RequestMemo[str] = RequestMemo(limit=8)
    for i in range(200):
        text = f"prompt {i}"
        assert memo.get(request(text), lambda r: r.messages[0].content) == text
        gc.collect()
