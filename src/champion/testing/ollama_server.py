"""A server that speaks Ollama's documented API (``docs/api.md``) for tests.

No Ollama binary can run everywhere champion's tests run, so this follows the
documented protocol exactly: ``GET /api/tags``; ``POST /api/chat`` streaming
NDJSON objects and a final ``done: true`` object whose durations are in
nanoseconds, measured by this server's own clock; an empty ``messages`` list
loads a model (``done_reason: "load"``) or, with ``keep_alive: 0``, unloads it;
``{"error": ...}`` with 404 for an unknown model; ``POST /api/show`` with the
model's ``capabilities``; ``GET /api/ps`` with each loaded model's ``size``
and ``size_vram`` in bytes.

A message's ``images`` (base64) are decoded and kept in ``images``. A model
with the ``vision`` capability answers a chat that carries images with what it
reads from them (see :mod:`champion.testing.vision`); any other model refuses
it with 400.

``fault`` makes every chat that generates (loading and unloading still work)
fail in one of the :data:`~champion.testing.loopback.Fault` ways; ``raw``
answers those chats with arbitrary bytes instead (fuzzing).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from champion.testing.loopback import (
    HANG_S,
    HUGE_CHARS,
    Fault,
    LoopbackServer,
    RawHook,
    Request,
    Responder,
)
from champion.testing.vision import decode_base64, describe_image

__all__ = ["OllamaModel", "OllamaProtocolServer"]


@dataclass
class OllamaModel:
    """One model the server has "installed".

    ``rules``: (regex, reply) pairs tried on the last user message; ``reply``
    otherwise. Generation takes ``prompt_ms`` then ``token_ms`` per token.
    ``capabilities`` are what ``/api/show`` lists; ``loaded_size`` and
    ``size_vram`` what ``/api/ps`` says it takes once loaded (bytes; None:
    ``size`` × 1.2, all of it in VRAM when ``size_vram`` is None).
    """

    reply: str = "ok"
    rules: list[tuple[str, str]] = field(default_factory=list)
    thinking: str = ""
    prompt_ms: float = 2.0
    token_ms: float = 1.0
    load_ms: float = 5.0
    size: int = 1_000_000_000
    family: str = "llama"
    parameter_size: str = "1B"
    quantization_level: str = "Q4_K_M"
    capabilities: tuple[str, ...] = ("completion",)
    loaded_size: int | None = None
    size_vram: int | None = None

    @property
    def memory(self) -> tuple[int, int]:
        """(size, size_vram) in bytes once loaded."""
        size = self.loaded_size if self.loaded_size is not None else int(self.size * 1.2)
        return size, size if self.size_vram is None else self.size_vram

    def answer(self, prompt: str) -> str:
        """The reply for a prompt."""
        for pattern, reply in self.rules:
            if re.search(pattern, prompt, re.IGNORECASE):
                return reply
        return self.reply


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


_PIECE = 65_536  # characters per line of the huge answer


class OllamaProtocolServer(LoopbackServer):
    """Serves the given models; records requests, loads and unloads.

    Args:
        models: name → model.
        fault: how every generating chat fails (None: it does not).
        retry_after: the ``Retry-After`` header of 429 and 503 answers (None: none).
        raw: bytes to answer every generating chat with (a
            :class:`~champion.testing.loopback.RawResponse`, or a function of
            the request); may be set at any time.
    """

    def __init__(self, models: dict[str, OllamaModel], *, fault: Fault | None = None,
                 retry_after: str | None = "1", raw: RawHook | None = None) -> None:
        super().__init__()
        self.models = models
        self.loaded: dict[str, Any] = {}
        self.events: list[tuple[str, str, Any]] = []
        self.fault = fault
        self.retry_after = retry_after
        self.raw = raw
        #: Chat requests that asked for generation (not loads or unloads).
        self.chat_requests = 0
        #: Every image received, decoded, in order.
        self.images: list[bytes] = []

    def digest(self, name: str) -> str:
        """A stable 64-hex digest per model name."""
        return hashlib.sha256(name.encode()).hexdigest()

    def _details(self, model: OllamaModel) -> dict[str, Any]:
        return {"format": "gguf", "family": model.family, "families": None,
                "parameter_size": model.parameter_size,
                "quantization_level": model.quantization_level}

    def _find(self, name: str) -> OllamaModel | None:
        return self.models.get(name) or self.models.get(name.removesuffix(":latest"))

    async def _show(self, request: Request, respond: Responder) -> None:
        body = request.json()
        name = str(body.get("model") or body.get("name") or "") if isinstance(body, dict) else ""
        model = self._find(name)
        if model is None:
            await respond.json(404, {"error": f"model '{name}' not found"})
            return
        await respond.json(200, {
            "modelfile": f"FROM {name}\n", "parameters": "", "template": "{{ .Prompt }}",
            "details": {"parent_model": "", **self._details(model)},
            "model_info": {"general.architecture": model.family},
            "capabilities": list(model.capabilities),
            "modified_at": "2026-01-02T03:04:05Z"})

    async def _ps(self, respond: Responder) -> None:
        running = []
        for name in list(self.loaded):
            model = self._find(name)
            if model is None:
                continue
            size, vram = model.memory
            running.append({"name": name, "model": name, "size": size,
                            "digest": self.digest(name), "details": self._details(model),
                            "expires_at": "2026-01-02T04:04:05Z", "size_vram": vram})
        await respond.json(200, {"models": running})

    def _take_images(self, body: dict[str, Any]) -> list[bytes] | None:
        """The images of the chat's messages, decoded; None when one is not base64."""
        found: list[bytes] = []
        for message in body.get("messages") or []:
            sent = message.get("images") if isinstance(message, dict) else None
            for item in sent if isinstance(sent, list) else ():
                data = decode_base64(item)
                if data is None:
                    return None
                found.append(data)
        return found

    async def handle(self, request: Request, respond: Responder) -> None:
        """Route ``/api/tags``, ``/api/show``, ``/api/ps`` and ``/api/chat``."""
        if request.method == "POST" and request.path == "/api/show":
            await self._show(request, respond)
        elif request.method == "GET" and request.path == "/api/ps":
            await self._ps(respond)
        elif request.method == "GET" and request.path == "/api/tags":
            await respond.json(200, {"models": [
                {"name": name, "model": name, "modified_at": "2026-01-02T03:04:05Z",
                 "size": model.size, "digest": self.digest(name),
                 "details": self._details(model)}
                for name, model in self.models.items()]})
        elif request.method == "POST" and request.path == "/api/chat":
            body = request.json() or {}
            if isinstance(body, dict) and body.get("messages"):
                self.chat_requests += 1
                raw = self.raw
                if raw is not None:
                    await respond.raw(raw(request) if callable(raw) else raw)
                    return
                if self.fault is not None and await self._fault(request, respond):
                    return
            await self._chat(body, respond)
        else:
            await respond.json(404, {"error": "404 page not found"})

    async def _fault(self, request: Request, respond: Responder) -> bool:
        """Fail the chat as ``fault`` says; False for faults that happen while streaming."""
        fault = self.fault
        retry = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
        if fault == "hang":
            await asyncio.sleep(HANG_S)
        elif fault == "reset":
            respond.reset()
        elif fault == "error500":
            await respond.json(500, {"error": "llama runner process has terminated"})
        elif fault == "error503":
            await respond.json(503, {"error": "server busy, please try again"}, retry)
        elif fault == "error429":
            await respond.json(429, {"error": "too many requests"}, retry)
        elif fault == "error401":
            # A proxy in front of Ollama that quotes the credential it refused.
            sent = request.headers.get("authorization", "")
            await respond.json(401, {"error": f"unauthorized: {sent}"})
        elif fault == "garbage":
            await respond.send(200, b"<html>502 Bad Gateway</html>", "text/html")
        else:
            return False
        return True

    async def _faulty_stream(self, name: str, text: str, respond: Responder) -> None:
        """The streaming faults: the answer starts, then goes wrong."""
        def line(content: str) -> bytes:
            return json.dumps({"model": name, "created_at": _now(), "message": {
                "role": "assistant", "content": content}, "done": False}).encode() + b"\n"

        await respond.start_stream("application/x-ndjson")
        await respond.chunk(line(text[:3]))
        if self.fault == "hang_mid_stream":
            await asyncio.sleep(HANG_S)
        elif self.fault == "truncated":
            whole = line(text[3:])
            await respond.chunk(whole[:len(whole) // 2])
            respond.close()
        elif self.fault == "bad_utf8":
            await respond.chunk(line("bill").replace(b'"content": "', b'"content": "\xff\xfe'))
            await respond.end_stream()
        elif self.fault == "huge":
            piece = "x" * _PIECE
            for _ in range(HUGE_CHARS // _PIECE + 1):
                await respond.chunk(line(piece))
            await respond.end_stream()
        elif self.fault == "endless":
            while True:
                await respond.chunk(line(" la"))
                await asyncio.sleep(0.002)

    async def _chat(self, body: dict[str, Any], respond: Responder) -> None:
        name = str(body.get("model", ""))
        model = self._find(name)
        if model is None:
            await respond.json(404, {"error": f"model '{name}' not found"})
            return
        start = time.perf_counter_ns()
        load_ns = 0
        if name not in self.loaded:
            await asyncio.sleep(model.load_ms / 1000)
            load_ns = time.perf_counter_ns() - start
        messages = body.get("messages") or []
        keep_alive = body.get("keep_alive", "5m")
        if not messages:
            if keep_alive == 0:
                self.loaded.pop(name, None)
                self.events.append(("unload", name, keep_alive))
                reason = "unload"
            else:
                self.loaded[name] = keep_alive
                self.events.append(("load", name, keep_alive))
                reason = "load"
            await respond.json(200, {"model": name, "created_at": _now(),
                                     "message": {"role": "assistant", "content": ""},
                                     "done_reason": reason, "done": True})
            return
        images = self._take_images(body)
        if images is None:
            await respond.json(400, {"error": "illegal base64 data in images"})
            return
        if images and "vision" not in model.capabilities:
            await respond.json(400, {"error": "this model is missing data required for"
                                              " image input"})
            return
        self.images += images
        self.loaded[name] = keep_alive
        prompt = str(messages[-1].get("content", ""))
        text = (" ".join(describe_image(image) for image in images) if images
                else model.answer(prompt))
        if self.fault is not None:
            await self._faulty_stream(name, text, respond)
            return
        tokens = re.findall(r"\s*\S+", text) or [text]
        thoughts = re.findall(r"\s*\S+", model.thinking) if body.get("think") else []
        prompt_started = time.perf_counter_ns()
        await asyncio.sleep(model.prompt_ms / 1000)
        prompt_ns = time.perf_counter_ns() - prompt_started
        stream = body.get("stream", True)
        if stream:
            await respond.start_stream("application/x-ndjson")
        eval_started = time.perf_counter_ns()
        for kind, piece in [("thinking", t) for t in thoughts] + [("content", t) for t in tokens]:
            await asyncio.sleep(model.token_ms / 1000)
            if stream:
                message = {"role": "assistant", "content": piece if kind == "content" else ""}
                if kind == "thinking":
                    message["thinking"] = piece
                await respond.chunk(json.dumps({
                    "model": name, "created_at": _now(), "message": message,
                    "done": False}).encode() + b"\n")
        eval_ns = time.perf_counter_ns() - eval_started
        final: dict[str, Any] = {
            "model": name, "created_at": _now(),
            "message": {"role": "assistant", "content": "" if stream else text},
            "done_reason": "stop", "done": True,
            "total_duration": time.perf_counter_ns() - start, "load_duration": load_ns,
            "prompt_eval_count": len(prompt.split()), "prompt_eval_duration": prompt_ns,
            "eval_count": len(tokens) + len(thoughts), "eval_duration": eval_ns,
        }
        self.events.append(("chat", name, body))
        if stream:
            await respond.chunk(json.dumps(final).encode() + b"\n")
            await respond.end_stream()
        else:
            await respond.json(200, final)
