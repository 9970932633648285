"""Ollama's native API (``/api/chat``, NDJSON streaming, durations in ns).

The server's own durations are kept raw (ns) in every trial; output tokens/s
is ``eval_count / eval_duration``. ``load`` checks the model is installed
(its digest is the model identity) and preloads it with the configured
``keep_alive``; ``aclose`` unloads it so one model is resident at a time.
Options::

    options:
      keep_alive: 10m      # sent with every request
      unload: true         # keep_alive 0 after the model's last trial
      think: false         # for thinking models; omitted when not set
      num_ctx: 4096        # any other key goes to Ollama's "options"
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, ClassVar

import httpx

from champion.errors import ProviderProtocolError, ProviderRejected, ProviderUnavailable
from champion.providers.base import Completion, GenerateRequest, ModelIdentity
from champion.providers.candidate import Candidate, public_url
from champion.providers.http import HttpProvider
from champion.providers.stream import StreamedAnswer, decode_event

__all__ = ["OllamaProvider", "installed_models"]

_OWN_OPTIONS = {"keep_alive", "unload", "think"}
_DURATIONS = ("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration",
              "eval_count", "eval_duration", "done_reason")


def _default_base_url() -> str:
    host = os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434")
    return host if host.startswith(("http://", "https://")) else f"http://{host}"


def _same_model(wanted: str, entry: dict[str, Any]) -> bool:
    names = {entry.get("name"), entry.get("model")}
    return wanted in names or f"{wanted}:latest" in names


async def installed_models(provider: HttpProvider) -> list[dict[str, Any]]:
    """The ``models`` list of ``GET /api/tags``."""
    tags = await provider.get_json("/api/tags")
    models = tags.get("models") if isinstance(tags, dict) else None
    if not isinstance(models, list):
        raise ProviderProtocolError("protocol: /api/tags has no 'models' list")
    return [m for m in models if isinstance(m, dict)]


class OllamaProvider(HttpProvider):
    """A model served by Ollama."""

    name: ClassVar[str] = "ollama"

    def __init__(self, candidate: Candidate, client: httpx.AsyncClient | None = None) -> None:
        if not candidate.base_url:
            candidate = candidate.model_copy(update={"base_url": _default_base_url()})
        super().__init__(candidate, client)
        options = candidate.options
        self.keep_alive = options.get("keep_alive", "10m")
        self.unload = bool(options.get("unload", True))
        self.think = options.get("think")
        self.model_options = {k: v for k, v in options.items() if k not in _OWN_OPTIONS}
        self._installed: dict[str, Any] = {}
        self.load_response: dict[str, Any] | None = None

    async def load(self) -> None:
        """Check the model is installed, then preload it (``messages: []``)."""
        models = await installed_models(self)
        found = next((m for m in models if _same_model(self.candidate.model, m)), None)
        if found is None:
            names = ", ".join(str(m.get("name")) for m in models) or "none"
            raise ProviderRejected(f"model {self.candidate.model!r} is not installed on"
                                   f" {public_url(self.base_url)} (installed: {names})")
        self._installed = found
        async with self.stream("POST", "/api/chat", {
                "model": self.candidate.model, "messages": [],
                "keep_alive": self.keep_alive}) as response:
            raw = await response.aread()
        try:
            self.load_response = json.loads(raw)
        except ValueError:
            raise ProviderProtocolError(f"protocol: load answer {raw[:80]!r}") from None

    def body(self, request: GenerateRequest) -> dict[str, Any]:
        """The JSON body of ``POST /api/chat``."""
        options: dict[str, Any] = {"temperature": request.temperature,
                                   "num_predict": request.max_tokens}
        if request.seed is not None:
            options["seed"] = request.seed
        if request.top_p is not None:
            options["top_p"] = request.top_p
        if request.stop:
            options["stop"] = list(request.stop)
        options.update(self.model_options)
        body: dict[str, Any] = {
            "model": self.candidate.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True, "options": options, "keep_alive": self.keep_alive,
        }
        if self.think is not None:
            body["think"] = self.think
        constraint = request.constraint
        if constraint is not None and constraint.labels:
            body["format"] = {"type": "string", "enum": list(constraint.labels)}
        elif constraint is not None and constraint.json_schema is not None:
            body["format"] = constraint.json_schema
        return body

    async def generate(self, request: GenerateRequest) -> Completion:
        """One streamed chat; the final ``done`` object carries the server's timings."""
        body = self.body(request)
        final: dict[str, Any] | None = None
        latency: int | None = None
        start = time.perf_counter_ns()
        answer = StreamedAnswer(start)
        async with self.stream("POST", "/api/chat", body) as response:
            async for line in response.aiter_lines():
                if latency is not None or not line.strip():
                    continue  # after the done object: drain, so the connection is reused
                event = decode_event(line, "NDJSON line")
                message = event.get("message") or {}
                answer.add(message.get("content"), message.get("thinking"))
                if event.get("done"):
                    final = event
                    latency = time.perf_counter_ns() - start
        if final is None or latency is None:
            raise ProviderProtocolError("protocol: stream ended without a done object")
        return self._completion(answer, final, latency)

    @staticmethod
    def _completion(answer: StreamedAnswer, final: dict[str, Any], latency: int) -> Completion:
        text, reasoning = answer.split()
        timings = {key: final[key] for key in _DURATIONS if key in final}
        eval_count, eval_ns = final.get("eval_count"), final.get("eval_duration")
        speed = eval_count / eval_ns * 1e9 if eval_count and eval_ns else None
        return Completion(
            text=text, latency_ns=latency, ttft_ns=answer.first_ns, ttfot_ns=answer.ttfot_ns,
            reasoning=reasoning, prompt_tokens=final.get("prompt_eval_count"),
            completion_tokens=eval_count, finish_reason=final.get("done_reason"),
            server_timings=timings, server_tokens_per_s=speed,
        )

    async def aclose(self) -> None:
        """Unload the model (``keep_alive: 0``) unless told not to, then close."""
        if self.unload and self._installed:
            try:
                async with self.stream("POST", "/api/chat", {
                        "model": self.candidate.model, "messages": [], "keep_alive": 0}
                        ) as response:
                    await response.aread()
            except ProviderUnavailable:
                pass  # the server went away; nothing stays loaded then
            except ProviderRejected:
                pass
        await super().aclose()

    def identity(self) -> ModelIdentity:
        """Endpoint, model name and the digest from ``/api/tags``."""
        details: dict[str, Any] = {k: self._installed[k] for k in ("size", "details", "modified_at")
                   if k in self._installed}
        digest = self._installed.get("digest")
        return ModelIdentity(self.name, self.candidate.model, public_url(self.base_url),
                             f"sha256:{digest}" if digest and ":" not in digest else digest,
                             details)
