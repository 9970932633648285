"""A server that speaks Ollama's documented API (``docs/api.md``) for tests.

No Ollama binary can run everywhere champion's tests run, so this follows the
documented protocol exactly: ``GET /api/tags``; ``POST /api/chat`` streaming
NDJSON objects and a final ``done: true`` object whose durations are in
nanoseconds, measured by this server's own clock; an empty ``messages`` list
loads a model (``done_reason: "load"``) or, with ``keep_alive: 0``, unloads it;
``{"error": ...}`` with 404 for an unknown model.
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

from champion.testing.loopback import LoopbackServer, Request, Responder

__all__ = ["OllamaModel", "OllamaProtocolServer"]


@dataclass
class OllamaModel:
    """One model the server has "installed".

    ``rules``: (regex, reply) pairs tried on the last user message; ``reply``
    otherwise. Generation takes ``prompt_ms`` then ``token_ms`` per token.
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

    def answer(self, prompt: str) -> str:
        """The reply for a prompt."""
        for pattern, reply in self.rules:
            if re.search(pattern, prompt, re.IGNORECASE):
                return reply
        return self.reply


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class OllamaProtocolServer(LoopbackServer):
    """Serves the given models; records requests, loads and unloads."""

    def __init__(self, models: dict[str, OllamaModel]) -> None:
        super().__init__()
        self.models = models
        self.loaded: dict[str, Any] = {}
        self.events: list[tuple[str, str, Any]] = []

    def digest(self, name: str) -> str:
        """A stable 64-hex digest per model name."""
        return hashlib.sha256(name.encode()).hexdigest()

    async def handle(self, request: Request, respond: Responder) -> None:
        """Route ``/api/tags`` and ``/api/chat``."""
        if request.method == "GET" and request.path == "/api/tags":
            await respond.json(200, {"models": [
                {"name": name, "model": name, "modified_at": "2026-01-02T03:04:05Z",
                 "size": model.size, "digest": self.digest(name),
                 "details": {"format": "gguf", "family": model.family, "families": None,
                             "parameter_size": model.parameter_size,
                             "quantization_level": model.quantization_level}}
                for name, model in self.models.items()]})
        elif request.method == "POST" and request.path == "/api/chat":
            await self._chat(request.json() or {}, respond)
        else:
            await respond.json(404, {"error": "404 page not found"})

    async def _chat(self, body: dict[str, Any], respond: Responder) -> None:
        name = str(body.get("model", ""))
        model = self.models.get(name) or self.models.get(name.removesuffix(":latest"))
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
        self.loaded[name] = keep_alive
        prompt = str(messages[-1].get("content", ""))
        text = model.answer(prompt)
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
