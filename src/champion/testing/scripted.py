"""Scripted models behind one OpenAI-compatible endpoint, in this process or another.

Each model has a fixed delay and answers by rules on the last user message, so
a run against them is deterministic: the same model gives the same answer to
the same case whatever ran before. A model can be made flaky on a case (wrong
every n-th time it is asked). The server counts chat requests per model
(``calls``, and ``GET /stats`` for a server in another process).

Run one in a subprocess (what benchmarks do, so the server's event loop does
not share a GIL with the client being measured)::

    with ScriptedServerProcess({"fast": ScriptedModel(delay_ms=50, reply="ok")}) as server:
        server.base_url, server.stats()
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from champion.testing.loopback import LoopbackServer, Request, Responder

__all__ = ["ScriptedModel", "ScriptedOpenAIServer", "ScriptedServerProcess"]


@dataclass
class ScriptedModel:
    """One scripted model.

    Attributes:
        reply: the answer when no rule matches.
        rules: (regex, answer) pairs tried in order on the last user message.
        delay_ms: time before the answer.
        flaky: (regex, wrong answer, period): on a matching prompt, every
            ``period``-th request gets the wrong answer.
    """

    reply: str = "ok"
    rules: list[tuple[str, str]] = field(default_factory=list)
    delay_ms: float = 0.0
    flaky: list[tuple[str, str, int]] = field(default_factory=list)

    def answer(self, prompt: str, asked: int) -> str:
        """The answer to the ``asked``-th request (1-based) with this prompt."""
        for pattern, wrong, period in self.flaky:
            if period > 0 and asked % period == 0 and re.search(pattern, prompt, re.I):
                return wrong
        for pattern, reply in self.rules:
            if re.search(pattern, prompt, re.IGNORECASE):
                return reply
        return self.reply


class ScriptedOpenAIServer(LoopbackServer):
    """Serves scripted models over the chat completions protocol (SSE when asked)."""

    def __init__(self, models: dict[str, ScriptedModel]) -> None:
        super().__init__()
        self.models = models
        #: Chat requests per model.
        self.calls: Counter[str] = Counter()
        self._asked: Counter[tuple[str, str]] = Counter()

    async def handle(self, request: Request, respond: Responder) -> None:
        """``GET /v1/models``, ``GET /stats``, ``POST /v1/chat/completions``."""
        if request.method == "GET" and request.path.endswith("/models"):
            await respond.json(200, {"object": "list", "data": [
                {"id": name, "object": "model", "owned_by": "scripted"}
                for name in self.models]})
            return
        if request.method == "GET" and request.path == "/stats":
            await respond.json(200, dict(self.calls))
            return
        if not request.path.endswith("/chat/completions"):
            await respond.json(404, {"error": {"message": "unknown path"}})
            return
        body = request.json() or {}
        name = str(body.get("model", ""))
        model = self.models.get(name)
        if model is None:
            await respond.json(404, {"error": {"message": f"model {name!r} not found",
                                               "type": "invalid_request_error"}})
            return
        self.calls[name] += 1
        messages = body.get("messages") or [{}]
        prompt = str(messages[-1].get("content", ""))
        self._asked[(name, prompt)] += 1
        if model.delay_ms:
            await asyncio.sleep(model.delay_ms / 1000)
        text = model.answer(prompt, self._asked[(name, prompt)])
        tokens = max(1, len(text.split()))
        if not body.get("stream"):
            await respond.json(200, {
                "id": "s-1", "object": "chat.completion", "model": name,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": tokens,
                          "total_tokens": 10 + tokens}})
            return
        await respond.start_stream("text/event-stream")
        events: list[dict[str, Any]] = [
            {"choices": [{"index": 0, "delta": {"role": "assistant", "content": text},
                          "finish_reason": None}]},
            {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        ]
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({"choices": [], "usage": {"prompt_tokens": 10,
                                                    "completion_tokens": tokens,
                                                    "total_tokens": 10 + tokens}})
        payload = b"".join(
            b"data: " + json.dumps({"id": "s-1", "object": "chat.completion.chunk",
                                    "model": name, **event}).encode() + b"\n\n"
            for event in events) + b"data: [DONE]\n\n"
        await respond.chunk(payload)
        await respond.end_stream()


_MAIN = """
import json, sys
from champion.testing.scripted import ScriptedModel, ScriptedOpenAIServer
spec = json.loads(sys.argv[1])
server = ScriptedOpenAIServer({name: ScriptedModel(**model) for name, model in spec.items()})
print(server.start(), flush=True)
sys.stdin.read()
server.stop()
"""


class ScriptedServerProcess:
    """A :class:`ScriptedOpenAIServer` in a child process (a context manager)."""

    def __init__(self, models: dict[str, ScriptedModel]) -> None:
        self.spec = json.dumps({name: asdict(model) for name, model in models.items()})
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> ScriptedServerProcess:
        self.process = subprocess.Popen([sys.executable, "-c", _MAIN, self.spec],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url:
            raise RuntimeError("the scripted server did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    @property
    def openai_url(self) -> str:
        """The base URL an OpenAI client takes (``…/v1``)."""
        return f"{self.base_url}/v1"

    def stats(self) -> dict[str, int]:
        """Chat requests served per model so far."""
        import httpx

        data: Any = httpx.get(f"{self.base_url}/stats", timeout=10).json()
        return {str(k): int(v) for k, v in data.items()}
