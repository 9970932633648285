"""A mock OpenAI-compatible endpoint with a fixed delay and fault modes.

For calibration (does champion measure a known 60 ms delay as 60 ms?), for
overhead benchmarks against a bare httpx loop, and for failure tests. Real
endpoints are tested against llama-cpp-python's own server. Answers follow the
chat completions protocol: ``chat.completion`` objects, or server-sent events
of ``chat.completion.chunk`` objects ending with ``data: [DONE]``.

A user message may have content parts: ``text`` parts and ``image_url`` parts
with ``data:`` URIs. The server decodes every image (kept in ``images``) and
answers a chat that carries images with what it reads from them (see
:mod:`champion.testing.vision`); with ``vision=False`` it refuses such a chat
with 400, as a server without a vision projector does.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any, Literal

from champion.testing.loopback import (
    HANG_S,
    HUGE_CHARS,
    Fault,
    LoopbackServer,
    RawHook,
    Request,
    Responder,
)
from champion.testing.vision import decode_base64, describe_image, message_text

__all__ = ["MockOpenAIServer", "Mode"]

Mode = Literal["ok", "bad_json"] | Fault
_PIECE = 65_536  # characters per chunk of the huge answer


def _cut(text: str, max_tokens: Any) -> tuple[str, str]:
    """The answer as ``max_tokens`` leaves it (one word is one token), and why it ended."""
    words = re.findall(r"\s*\S+\s*", text)
    if type(max_tokens) is int and 0 < max_tokens < len(words):
        return "".join(words[:max_tokens]).rstrip(), "length"
    return text, "stop"


class MockOpenAIServer(LoopbackServer):
    """Answers ``/v1/chat/completions`` after ``delay_ms``; streams one chunk per word.

    With ``cut_at_max_tokens``, one word counts as one token: an answer longer
    than the request's ``max_tokens`` is cut there and ends with
    ``finish_reason: "length"``, as a real server's would.

    Args:
        reply: the answer, or a function of the last user message.
        delay_ms: time before the first content chunk.
        mode: ``ok``, ``bad_json`` (a stream of invalid events) or a
            :data:`~champion.testing.loopback.Fault`.
        reasoning: text streamed as ``reasoning_content`` before the answer.
        usage: send the ``include_usage`` chunk when asked.
        fail_first: answer the first N chat requests with ``fail_status``.
        retry_after: the ``Retry-After`` header of 429 and 503 answers (None: none).
        raw: bytes to answer every chat request with, instead of the protocol
            (a :class:`RawResponse`, or a function of the request); may be set
            at any time.
        vision: take images (False: a chat with images gets 400).
        cut_at_max_tokens: cut answers at the request's ``max_tokens``.
    """

    def __init__(self, reply: str | Callable[[str], str] = "ok", *, delay_ms: float = 0.0,
                 mode: Mode = "ok", reasoning: str = "", usage: bool = True,
                 model: str = "mock", fail_first: int = 0, fail_status: int = 429,
                 retry_after: str | None = "1", raw: RawHook | None = None,
                 vision: bool = True, cut_at_max_tokens: bool = False) -> None:
        super().__init__()
        self.vision = vision
        #: Every image received, decoded, in order.
        self.images: list[bytes] = []
        self.reply = reply
        self.delay_s = delay_ms / 1000
        self.mode = mode
        self.reasoning = reasoning
        self.usage = usage
        self.model = model
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.retry_after = retry_after
        self.raw = raw
        #: Chat completion requests received.
        self.chat_requests = 0
        #: Cut answers at the request's ``max_tokens`` (one word, one token).
        self.cut_at_max_tokens = cut_at_max_tokens
        #: The last answer's finish_reason: ``length`` when ``max_tokens`` cut it.
        self.finish = "stop"

    def _answer(self, body: dict[str, Any], images: list[bytes]) -> str:
        if images:
            return " ".join(describe_image(image) for image in images)
        if callable(self.reply):
            messages = body.get("messages") or [{}]
            return self.reply(message_text(messages[-1].get("content", "")))
        return self.reply

    @staticmethod
    def _images(body: dict[str, Any]) -> list[bytes] | str:
        """Every image of the request, decoded; or why the request is malformed."""
        found: list[bytes] = []
        for message in body.get("messages") or []:
            content = message.get("content") if isinstance(message, dict) else None
            for part in content if isinstance(content, list) else ():
                if not isinstance(part, dict) or part.get("type") != "image_url":
                    continue
                url = (part.get("image_url") or {}).get("url") \
                    if isinstance(part.get("image_url"), dict) else None
                data = decode_base64(url) if isinstance(url, str) \
                    and url.startswith("data:") else None
                if data is None:
                    return "image_url must be a data: URI with base64 content"
                found.append(data)
        return found

    def _retry_headers(self) -> dict[str, str]:
        return {"Retry-After": self.retry_after} if self.retry_after is not None else {}

    async def handle(self, request: Request, respond: Responder) -> None:
        """Serve /v1/models and /v1/chat/completions."""
        if request.path.endswith("/models"):
            await respond.json(200, {"object": "list", "data": [
                {"id": self.model, "object": "model", "owned_by": "mock"}]})
            return
        if not request.path.endswith("/chat/completions"):
            await respond.json(404, {"error": {"message": "unknown path"}})
            return
        self.chat_requests += 1
        if self.chat_requests <= self.fail_first:
            await respond.json(self.fail_status, {"error": {"message": "try again later"}},
                               self._retry_headers())
            return
        raw = self.raw
        if raw is not None:
            await respond.raw(raw(request) if callable(raw) else raw)
            return
        if await self._fault_before_answer(request, respond):
            return
        body = request.json() or {}
        images = self._images(body)
        if isinstance(images, str) or (images and not self.vision):
            message = images if isinstance(images, str) else (
                "image input is not supported - hint: if this is unexpected, you may need"
                " to provide the mmproj")
            await respond.json(400, {"error": {"message": message,
                                               "type": "invalid_request_error"}})
            return
        self.images += images
        start = time.perf_counter()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        text, finish = _cut(self._answer(body, images),
                            body.get("max_tokens") if self.cut_at_max_tokens else None)
        self.finish = finish
        if body.get("stream"):
            await self._stream(body, text, respond, finish)
        else:
            await self._whole_answer(text, start, respond, finish)

    async def _fault_before_answer(self, request: Request, respond: Responder) -> bool:
        """Faults that happen before any answer; True when one did."""
        mode = self.mode
        if mode == "hang":
            await asyncio.sleep(HANG_S)
        elif mode == "reset":
            respond.reset()
        elif mode == "error500":
            await respond.json(500, {"error": {"message": "internal error",
                                               "type": "server_error"}})
        elif mode == "error503":
            await respond.json(503, {"error": {"message": "the engine is overloaded",
                                               "type": "server_error"}},
                               self._retry_headers())
        elif mode == "error429":
            await respond.json(429, {"error": {"message": "Rate limit reached for requests",
                                               "type": "requests",
                                               "code": "rate_limit_exceeded"}},
                               self._retry_headers())
        elif mode == "error401":
            # Some gateways quote the credential they refused.
            sent = request.headers.get("authorization", "")
            await respond.json(401, {"error": {
                "message": f"Incorrect API key provided: {sent}", "type":
                "invalid_request_error", "code": "invalid_api_key"}})
        elif mode == "garbage":
            await respond.send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        else:
            return False
        return True

    def _whole(self, text: str, start: float, finish: str = "stop") -> dict[str, Any]:
        tokens = max(1, len(text.split()))
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if self.reasoning:
            message["reasoning_content"] = self.reasoning
        return {"id": "mock-1", "object": "chat.completion", "model": self.model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 10, "completion_tokens": tokens,
                          "total_tokens": 10 + tokens}}

    async def _whole_answer(self, text: str, start: float, respond: Responder,
                            finish: str = "stop") -> None:
        mode = self.mode
        if mode == "huge":
            text = "billing " + "x" * HUGE_CHARS
        elif mode in ("hang_mid_stream", "endless"):
            await asyncio.sleep(HANG_S)
        body = json.dumps(self._whole(text, start, finish)).encode()
        if mode == "truncated":
            await respond.cut(body[:len(body) // 2], "application/json")
        elif mode == "bad_utf8":
            await respond.send(200, body.replace(b'"content": "', b'"content": "\xff\xfe', 1),
                               "application/json")
        else:
            await respond.send(200, body, "application/json")

    async def _stream(self, body: dict[str, Any], text: str, respond: Responder,
                      finish: str = "stop") -> None:
        await respond.start_stream("text/event-stream")

        async def event(data: dict[str, Any] | str) -> None:
            payload = data if isinstance(data, str) else json.dumps(data)
            await respond.chunk(f"data: {payload}\n\n".encode())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": "mock-1", "object": "chat.completion.chunk", "model": self.model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        mode = self.mode
        if mode == "bad_json":
            await event("{not json")
            await respond.end_stream()
            return
        await event(chunk({"role": "assistant", "content": None}))  # role-only, like llama.cpp
        if mode == "hang_mid_stream":
            await event(chunk({"content": text[:3]}))
            await asyncio.sleep(HANG_S)
        elif mode == "truncated":
            await event(chunk({"content": text[:3]}))
            whole = f"data: {json.dumps(chunk({'content': text[3:]}))}\n\n".encode()
            await respond.chunk(whole[:len(whole) // 2])
            respond.close()
            return
        elif mode == "bad_utf8":
            await respond.chunk(b'data: {"id":"mock-1","object":"chat.completion.chunk",'
                                b'"choices":[{"index":0,"delta":{"content":"bill\xff\xfeing"},'
                                b'"finish_reason":null}]}\n\n')
        elif mode == "huge":
            piece = "x" * _PIECE
            await event(chunk({"content": text + " "}))
            for _ in range(HUGE_CHARS // _PIECE + 1):
                await event(chunk({"content": piece}))
        elif mode == "endless":
            while True:
                await event(chunk({"content": " la"}))
                await asyncio.sleep(0.002)
        pieces = re.findall(r"\s*\S+", self.reasoning)
        for piece in pieces:
            await event(chunk({"reasoning_content": piece}))
        words = re.findall(r"\s*\S+\s*", text) or [text]
        for word in words:
            await event(chunk({"content": word}))
        await event(chunk({}, finish))
        if self.usage and (body.get("stream_options") or {}).get("include_usage"):
            await event({"id": "mock-1", "object": "chat.completion.chunk", "model": self.model,
                         "choices": [], "usage": {
                             "prompt_tokens": 10, "completion_tokens": len(words),
                             "total_tokens": 10 + len(words),
                             "completion_tokens_details": {"reasoning_tokens": len(pieces)}}})
        await event("[DONE]")
        await respond.end_stream()

