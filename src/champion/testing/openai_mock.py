"""A mock OpenAI-compatible endpoint with a fixed delay and fault modes.

For calibration (does champion measure a known 60 ms delay as 60 ms?), for
overhead benchmarks against a bare httpx loop, and for failure tests. Real
endpoints are tested against llama-cpp-python's own server.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any, Literal

from champion.testing.loopback import LoopbackServer, Request, Responder

__all__ = ["MockOpenAIServer"]

Mode = Literal["ok", "error500", "error401", "hang", "garbage", "reset", "bad_json"]


class MockOpenAIServer(LoopbackServer):
    """Answers ``/v1/chat/completions`` after ``delay_ms``; streams one chunk per word.

    Args:
        reply: the answer, or a function of the last user message.
        delay_ms: time before the first content chunk.
        mode: ``ok`` or a fault: ``error500``, ``error401``, ``hang`` (never
            answers), ``garbage`` (HTML with status 200), ``reset`` (TCP RST),
            ``bad_json`` (a stream of invalid events).
        reasoning: text streamed as ``reasoning_content`` before the answer.
        usage: send the ``include_usage`` chunk when asked.
        fail_first: answer the first N chat requests with ``fail_status``.
    """

    def __init__(self, reply: str | Callable[[str], str] = "ok", *, delay_ms: float = 0.0,
                 mode: Mode = "ok", reasoning: str = "", usage: bool = True,
                 model: str = "mock", fail_first: int = 0, fail_status: int = 429) -> None:
        super().__init__()
        self.reply = reply
        self.delay_s = delay_ms / 1000
        self.mode = mode
        self.reasoning = reasoning
        self.usage = usage
        self.model = model
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.chat_requests = 0

    def _answer(self, body: dict[str, Any]) -> str:
        if callable(self.reply):
            messages = body.get("messages") or [{}]
            return self.reply(str(messages[-1].get("content", "")))
        return self.reply

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
            await respond.json(self.fail_status, {"error": {"message": "try again later"}})
            return
        if self.mode == "hang":
            await asyncio.sleep(3600)
        if self.mode == "reset":
            respond.reset()
            return
        if self.mode == "error500":
            await respond.json(500, {"error": {"message": "internal error"}})
            return
        if self.mode == "error401":
            await respond.json(401, {"error": {"message": "invalid api key"}})
            return
        if self.mode == "garbage":
            await respond.send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            return
        body = request.json() or {}
        start = time.perf_counter()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        text = self._answer(body)
        if body.get("stream"):
            await self._stream(body, text, respond)
        else:
            await respond.json(200, self._whole(text, start))

    def _whole(self, text: str, start: float) -> dict[str, Any]:
        tokens = max(1, len(text.split()))
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if self.reasoning:
            message["reasoning_content"] = self.reasoning
        return {"id": "mock-1", "object": "chat.completion", "model": self.model,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": tokens,
                          "total_tokens": 10 + tokens}}

    async def _stream(self, body: dict[str, Any], text: str, respond: Responder) -> None:
        await respond.start_stream("text/event-stream")

        async def event(data: dict[str, Any] | str) -> None:
            payload = data if isinstance(data, str) else json.dumps(data)
            await respond.chunk(f"data: {payload}\n\n".encode())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": "mock-1", "object": "chat.completion.chunk", "model": self.model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        if self.mode == "bad_json":
            await event("{not json")
            await respond.end_stream()
            return
        await event(chunk({"role": "assistant", "content": None}))  # role-only, like llama.cpp
        pieces = re.findall(r"\s*\S+", self.reasoning)
        for piece in pieces:
            await event(chunk({"reasoning_content": piece}))
        words = re.findall(r"\s*\S+\s*", text) or [text]
        for word in words:
            await event(chunk({"content": word}))
        await event(chunk({}, "stop"))
        if self.usage and (body.get("stream_options") or {}).get("include_usage"):
            await event({"id": "mock-1", "object": "chat.completion.chunk", "model": self.model,
                         "choices": [], "usage": {
                             "prompt_tokens": 10, "completion_tokens": len(words),
                             "total_tokens": 10 + len(words),
                             "completion_tokens_details": {"reasoning_tokens": len(pieces)}}})
        await event("[DONE]")
        await respond.end_stream()
