"""Ollama's native API (``/api/chat``, NDJSON streaming, durations in ns).

The server's own durations are kept raw (ns) in every trial; output tokens/s
is ``eval_count / eval_duration``. ``load`` checks the model is installed
(its digest is the model identity), reads its capabilities (``/api/show``),
preloads it with the configured ``keep_alive`` and reads what it takes in
memory (``/api/ps``); ``aclose`` unloads it so one model is resident at a time.
A message's images go in its ``images`` (base64); a model whose capabilities
lack ``vision`` is not sent them.
Options::

    options:
      keep_alive: 10m            # sent with every request
      unload: true               # keep_alive 0 after the model's last trial
      think: false               # thinking models (or low|medium|high); omitted when unset
      max_answer_chars: 1000000  # an answer past this is cut and recorded as an error
      num_ctx: 4096              # Ollama's model options (num_ctx, top_k, min_p, repeat_penalty,
                                 # num_thread, ...) go to the request's "options"

A key that is neither is not sent and is named by ``unapplied_settings``; so
is a suite parameter that is not one of Ollama's model options.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import aclosing
from typing import Any, ClassVar, Literal

import aiohttp

from champion._errors import (
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    UnknownModel,
)
from champion._providers.base import (
    Completion,
    GenerateRequest,
    Message,
    ModelIdentity,
    PieceSink,
    ProviderOptions,
    parse_options,
)
from champion._providers.candidate import Candidate, public_url
from champion._providers.http import (
    METADATA_BYTES,
    HttpOptions,
    HttpProvider,
    body_chunks,
    read_capped,
)
from champion._providers.memo import RequestMemo
from champion._providers.stream import (
    DRAIN_LINES,
    LineReader,
    StreamedAnswer,
    decode_event,
    optional_int,
    optional_str,
)
from champion._secrets import redact

__all__ = ["OllamaModelOptions", "OllamaOptions", "OllamaProvider", "installed_models",
           "model_capabilities"]

_COUNTS = ("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration",
           "eval_count", "eval_duration")


class OllamaOptions(HttpOptions):
    """champion's own options for an Ollama candidate."""

    keep_alive: str | int | float = "10m"
    unload: bool = True
    think: bool | Literal["low", "medium", "high"] | None = None


class OllamaModelOptions(ProviderOptions):
    """Ollama's model options (its API's ``options`` object); unset ones are not sent."""

    num_keep: int | None = None
    seed: int | None = None
    num_predict: int | None = None
    top_k: int | None = None
    top_p: float | None = None
    min_p: float | None = None
    typical_p: float | None = None
    repeat_last_n: int | None = None
    temperature: float | None = None
    repeat_penalty: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    penalize_newline: bool | None = None
    mirostat: int | None = None
    mirostat_tau: float | None = None
    mirostat_eta: float | None = None
    tfs_z: float | None = None
    stop: list[str] | None = None
    numa: bool | None = None
    num_ctx: int | None = None
    num_batch: int | None = None
    num_gpu: int | None = None
    main_gpu: int | None = None
    low_vram: bool | None = None
    use_mmap: bool | None = None
    use_mlock: bool | None = None
    num_thread: int | None = None


_MODEL_OPTIONS = frozenset(OllamaModelOptions.model_fields)


def _default_base_url() -> str:
    host = os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434")
    return host if host.startswith(("http://", "https://")) else f"http://{host}"


def _same_model(wanted: str, entry: dict[str, Any]) -> bool:
    names = (entry.get("name"), entry.get("model"))
    return wanted in names or f"{wanted}:latest" in names


async def installed_models(provider: HttpProvider) -> list[dict[str, Any]]:
    """The ``models`` list of ``GET /api/tags``."""
    tags = await provider.get_json("/api/tags")
    models = tags.get("models") if isinstance(tags, dict) else None
    if not isinstance(models, list):
        raise ProviderProtocolError("protocol: /api/tags has no 'models' list")
    return [m for m in models if isinstance(m, dict)]


async def model_capabilities(provider: HttpProvider, model: str) -> tuple[str, ...] | None:
    """The ``capabilities`` of ``POST /api/show`` for ``model``; None when the server
    does not list them (an older Ollama, another server, an error)."""
    try:
        async with provider.stream("POST", "/api/show", {"model": model}) as response:
            raw, cut = await read_capped(response, METADATA_BYTES)
        shown = None if cut else json.loads(raw)
    except (ProviderError, ValueError):
        return None
    listed = shown.get("capabilities") if isinstance(shown, dict) else None
    if not isinstance(listed, list):
        return None
    return tuple(str(c) for c in listed if isinstance(c, str))


def _message(message: Message) -> dict[str, Any]:
    """A chat message; its images go in ``images`` as base64."""
    sent: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.images:
        sent["images"] = [image.data for image in message.images]
    return sent


class OllamaProvider(HttpProvider):
    """A model served by Ollama."""

    name: ClassVar[str] = "ollama"
    extra_params: ClassVar[frozenset[str]] = _MODEL_OPTIONS

    def __init__(self, candidate: Candidate,
                 session: aiohttp.ClientSession | None = None) -> None:
        if not candidate.base_url:
            candidate = candidate.model_copy(update={"base_url": _default_base_url()})
        options, unknown = parse_options(OllamaOptions, candidate, _MODEL_OPTIONS)
        model_options, _ = parse_options(OllamaModelOptions, candidate)
        super().__init__(candidate, session)
        self.options, self.unknown_options = options, unknown
        self.keep_alive = self.options.keep_alive
        self.unload = self.options.unload
        self.think = self.options.think
        self.model_options = model_options.model_dump(exclude_none=True)
        self._installed: dict[str, Any] = {}
        self._resident = False
        self.load_response: dict[str, Any] | None = None
        #: What ``/api/show`` lists (``completion``, ``vision``, ``tools``, ...); None: unknown.
        self.capabilities: tuple[str, ...] | None = None
        #: The loaded model's entry in ``/api/ps`` (``size``, ``size_vram`` in bytes).
        self.footprint: dict[str, int] = {}
        self._encoded: RequestMemo[bytes] = RequestMemo()

    async def load(self) -> None:
        """Check the model is installed, then preload it (``messages: []``)."""
        models = await installed_models(self)
        found = next((m for m in models if _same_model(self.candidate.model, m)), None)
        if found is None:
            names = ", ".join(str(m.get("name"))[:100] for m in models[:50]) or "none"
            raise UnknownModel(redact(f"model {self.candidate.model!r} is not installed"
                                          f" on {public_url(self.base_url)}"
                                          f" (installed: {names})"))
        self._installed = found
        self.capabilities = await model_capabilities(self, self.candidate.model)
        self._resident = True
        async with self.stream("POST", "/api/chat", {
                "model": self.candidate.model, "messages": [],
                "keep_alive": self.keep_alive}) as response:
            raw, _cut = await read_capped(response, METADATA_BYTES)
        try:
            self.load_response = json.loads(raw)
        except ValueError:
            raise ProviderProtocolError(
                f"protocol: load answer {redact(repr(raw[:80]))}") from None
        self.footprint = await self._loaded_size()

    async def _loaded_size(self) -> dict[str, int]:
        """``size`` and ``size_vram`` (bytes) of this model in ``/api/ps``; empty when
        the server does not say."""
        try:
            listing = await self.get_json("/api/ps")
        except ProviderError:
            return {}
        models = listing.get("models") if isinstance(listing, dict) else None
        for entry in models if isinstance(models, list) else ():
            if isinstance(entry, dict) and _same_model(self.candidate.model, entry):
                return {key: entry[key] for key in ("size", "size_vram")
                        if type(entry.get(key)) is int and entry[key] >= 0}
        return {}

    def memory_mb(self) -> float | None:
        """The loaded model's size in memory as ``/api/ps`` reports it (MB)."""
        size = self.footprint.get("size")
        return None if size is None else size / 1e6

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
        for key, value in request.extra_params.items():
            if key in _MODEL_OPTIONS:
                options[key] = value
        options.update(self.model_options)
        body: dict[str, Any] = {
            "model": self.candidate.model,
            "messages": [_message(m) for m in request.messages],
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
        """One streamed chat; the final ``done`` object carries the server's timings.

        Raises:
            ProviderRejected: the request carries images and the server lists
                the model's capabilities without ``vision``.
        """
        return await self._generate(request, None)

    async def generate_streaming(self, request: GenerateRequest, sink: PieceSink) -> Completion:
        """:meth:`generate`, each piece of content handed to ``sink`` as it arrives."""
        return await self._generate(request, sink)

    async def _generate(self, request: GenerateRequest, sink: PieceSink | None) -> Completion:
        if self.capabilities is not None and "vision" not in self.capabilities \
                and any(m.images for m in request.messages):
            raise ProviderRejected(
                f"model {self.candidate.model!r} cannot take images: Ollama lists its"
                f" capabilities as {', '.join(self.capabilities) or 'none'} (no vision)")
        body = self._encoded.get(request, lambda r: json.dumps(self.body(r)).encode())
        final: dict[str, Any] | None = None
        latency: int | None = None
        start = time.perf_counter_ns()
        answer = StreamedAnswer(start, self.options.max_answer_chars, sink)
        drained = 0
        async with self.stream("POST", "/api/chat", body) as response, \
                aclosing(LineReader(body_chunks(response), answer)) as lines:
            async for line in lines:
                if latency is not None:  # after the done object: drain, so the connection
                    drained += 1         # is reused; a server that goes on is dropped
                    if drained > DRAIN_LINES:
                        break
                    continue
                if not line.strip():
                    continue
                event = decode_event(line, "NDJSON line")
                message = event.get("message")
                if message is not None:
                    if type(message) is not dict:
                        raise ProviderProtocolError("protocol: message is not an object")
                    answer.add(message.get("content"), message.get("thinking"))
                done = event.get("done", False)
                if done is not False:
                    if done is not True:
                        raise ProviderProtocolError("protocol: done is not a boolean")
                    final = event
                    latency = time.perf_counter_ns() - start
        if final is None or latency is None:
            raise ProviderProtocolError("protocol: stream ended without a done object")
        return self._completion(answer, final, latency)

    @staticmethod
    def _completion(answer: StreamedAnswer, final: dict[str, Any], latency: int) -> Completion:
        text, reasoning = answer.split()
        timings: dict[str, Any] = {key: optional_int(final[key], key)
                                   for key in _COUNTS if key in final}
        reason = optional_str(final.get("done_reason"), "done_reason")
        if "done_reason" in final:
            timings["done_reason"] = reason
        eval_count, eval_ns = timings.get("eval_count"), timings.get("eval_duration")
        speed = eval_count / eval_ns * 1e9 if eval_count and eval_ns and eval_ns > 0 else None
        return Completion(
            text=text, latency_ns=latency, ttft_ns=answer.first_ns, ttfot_ns=answer.ttfot_ns,
            reasoning=reasoning, prompt_tokens=timings.get("prompt_eval_count"),
            completion_tokens=eval_count, finish_reason=reason,
            server_timings=timings, server_tokens_per_s=speed,
        )

    async def aclose(self) -> None:
        """Unload the model (unless told not to), then close the connections."""
        await self.release()
        await super().aclose()

    async def release(self) -> None:
        """Unload the model (``keep_alive: 0``) unless told not to: one model resident at a time."""
        if self.unload and self._resident:
            self._resident = False
            try:
                async with self.stream("POST", "/api/chat", {
                        "model": self.candidate.model, "messages": [], "keep_alive": 0}
                        ) as response:
                    await read_capped(response, METADATA_BYTES)
            except ProviderError:
                pass  # the server went away or is broken: unloading is best effort

    def identity(self) -> ModelIdentity:
        """Endpoint, model name and the digest from ``/api/tags``."""
        details: dict[str, Any] = {k: self._installed[k] for k in ("size", "details", "modified_at")
                   if k in self._installed}
        if self.capabilities is not None:
            details["capabilities"] = list(self.capabilities)
        if self.footprint:
            details["loaded"] = dict(self.footprint)
        digest = self._installed.get("digest")
        digest = digest if isinstance(digest, str) else None
        return ModelIdentity(self.name, self.candidate.model, public_url(self.base_url),
                             f"sha256:{digest}" if digest and ":" not in digest else digest,
                             details)
