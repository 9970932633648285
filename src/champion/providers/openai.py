"""Any OpenAI-compatible endpoint: vLLM, llama.cpp server, LM Studio, OpenRouter,
Cloudflare Workers AI, OpenAI itself.

Streams by default (``stream_options.include_usage``). TTFT is the first chunk
with non-empty content or reasoning, never the role-only first chunk. Token
counts come from ``usage``, else llama.cpp's ``timings``, else a chunk count
flagged as an estimate. Options (models file)::

    options:
      stream: true                # false: one JSON answer (no TTFT)
      constrain_with: json_schema # json_schema | json_object | grammar | guided
      extra_body: {}              # merged into every request body
"""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

import httpx

from champion.errors import ProviderError, ProviderProtocolError
from champion.providers.base import Completion, GenerateRequest, ModelIdentity
from champion.providers.candidate import Candidate, public_url
from champion.providers.grammar import labels_grammar
from champion.providers.http import HttpProvider
from champion.providers.memo import RequestMemo
from champion.providers.pricing import ListPrice, litellm_price
from champion.providers.stream import StreamedAnswer, decode_event

__all__ = ["OpenAIProvider"]


class _Stream:
    """What a chat completion has delivered so far (filled inside the timed loop)."""

    __slots__ = ("answer", "done", "finish", "model", "timings", "usage")

    def __init__(self, start_ns: int) -> None:
        self.answer = StreamedAnswer(start_ns)
        self.finish: str | None = None
        self.usage: dict[str, Any] | None = None
        self.timings: dict[str, Any] | None = None
        self.model: str | None = None
        self.done = False


class OpenAIProvider(HttpProvider):
    """Chat completions over the OpenAI protocol."""

    name: ClassVar[str] = "openai"

    def __init__(self, candidate: Candidate, client: httpx.AsyncClient | None = None) -> None:
        super().__init__(candidate, client)
        self._served_model: str | None = None
        self._encoded: RequestMemo[bytes] = RequestMemo()
        self._model_info: dict[str, Any] = {}

    async def load(self) -> None:
        """Ready check: ``GET /models`` (endpoints without it are fine)."""
        try:
            listing = await self.get_json("/models")
        except ProviderError as exc:
            if "HTTP 404" in str(exc) or "HTTP 405" in str(exc):
                return
            raise
        for item in listing.get("data", []) if isinstance(listing, dict) else []:
            if isinstance(item, dict) and item.get("id") == self.candidate.model:
                self._model_info = {k: v for k, v in item.items()
                                    if k in ("owned_by", "created", "meta")}

    def body(self, request: GenerateRequest, stream: bool) -> dict[str, Any]:
        """The JSON body of a chat completion request."""
        body: dict[str, Any] = {
            "model": self.candidate.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        if request.seed is not None:
            body["seed"] = request.seed
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.stop:
            body["stop"] = list(request.stop)
        constraint = request.constraint
        style = str(self.candidate.options.get("constrain_with", "json_schema"))
        if constraint is not None and constraint.labels:
            if style == "grammar":
                body["grammar"] = labels_grammar(constraint.labels)
            elif style == "guided":
                body["guided_choice"] = list(constraint.labels)
        elif constraint is not None and constraint.json_schema is not None:
            schema = constraint.json_schema
            if style == "json_schema":
                body["response_format"] = {"type": "json_schema", "json_schema": {
                    "name": "output", "schema": schema, "strict": True}}
            elif style == "json_object":
                body["response_format"] = {"type": "json_object", "schema": schema}
            elif style == "guided":
                body["guided_json"] = schema
        body.update(self.candidate.options.get("extra_body", {}))
        return body

    async def generate(self, request: GenerateRequest) -> Completion:
        """One chat completion, streamed unless ``options.stream`` is false."""
        stream = bool(self.candidate.options.get("stream", True))
        body = self._encoded.get(request, lambda r: json.dumps(self.body(r, stream)).encode())
        start = time.perf_counter_ns()
        state = _Stream(start)
        async with self.stream("POST", "/chat/completions", body) as response:
            if stream and response.headers.get("content-type", "").startswith(
                    "text/event-stream"):
                latency = await self._read_events(response, state)
            else:
                self._read_whole(await response.aread(), state)
                latency = time.perf_counter_ns() - start
        return self._completion(state, latency)

    async def _read_events(self, response: httpx.Response, state: _Stream) -> int:
        """Read the event stream; returns the latency (ns) at ``[DONE]`` or end of stream."""
        end: int | None = None
        async for line in response.aiter_lines():
            if end is not None or not line.startswith("data:"):
                continue  # after [DONE]: drain, so the connection can be reused
            data = line[5:].strip()
            if data == "[DONE]":
                end = time.perf_counter_ns() - state.answer.start_ns
                state.done = True
                continue
            event = decode_event(data, "event in stream")
            for choice in event.get("choices") or ():
                delta = choice.get("delta") or {}
                state.answer.add(delta.get("content"),
                                 delta.get("reasoning_content") or delta.get("reasoning"))
                state.finish = choice.get("finish_reason") or state.finish
            if event.get("usage"):
                state.usage = event["usage"]
            if event.get("timings"):
                state.timings = event["timings"]
            state.model = event.get("model") or state.model
        if end is None:
            end = time.perf_counter_ns() - state.answer.start_ns
        if not state.done and state.finish is None:
            raise ProviderProtocolError("protocol: stream ended before [DONE]")
        return end

    def _read_whole(self, raw: bytes, state: _Stream) -> None:
        try:
            answer = json.loads(raw)
            message = answer["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ProviderProtocolError(
                f"protocol: not a chat completion: {raw[:120]!r}") from None
        # One answer, no stream: nothing to time but the whole call (TTFT stays null).
        state.answer.content.append(message.get("content") or "")
        reasoning = message.get("reasoning_content") or message.get("reasoning")
        if reasoning:
            state.answer.reasoning.append(reasoning)
        state.finish = answer["choices"][0].get("finish_reason")
        state.usage = answer.get("usage")
        state.timings = answer.get("timings")
        state.model = answer.get("model")
        state.done = True

    def _completion(self, state: _Stream, latency: int) -> Completion:
        answer, reasoning = state.answer.split()
        usage, timings = state.usage or {}, state.timings or {}
        prompt_tokens = usage.get("prompt_tokens")
        completion_tokens = usage.get("completion_tokens")
        details = usage.get("completion_tokens_details") or {}
        estimated = False
        if completion_tokens is None and "predicted_n" in timings:
            completion_tokens = timings["predicted_n"]
            prompt_tokens = timings.get("prompt_n", 0) + timings.get("cache_n", 0)
        if completion_tokens is None and state.answer.pieces:
            # No server count: one streamed chunk ≈ one token (GuideLLM's fallback).
            completion_tokens = state.answer.pieces
            estimated = True
        if state.model:
            self._served_model = state.model
        speed = timings.get("predicted_per_second")
        return Completion(
            text=answer, latency_ns=latency, ttft_ns=state.answer.first_ns,
            ttfot_ns=state.answer.ttfot_ns, reasoning=reasoning, prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            reasoning_tokens=details.get("reasoning_tokens"), tokens_estimated=estimated,
            finish_reason=state.finish,
            server_timings={"timings": timings, "usage": usage} if (timings or usage) else None,
            server_tokens_per_s=float(speed) if isinstance(speed, int | float) else None,
        )

    def identity(self) -> ModelIdentity:
        """Endpoint (no credentials), requested and served model names."""
        details: dict[str, Any] = dict(self._model_info)
        if self._served_model:
            details["served_model"] = self._served_model
        return ModelIdentity(self.name, self.candidate.model, public_url(self.base_url), None,
                             details)

    def list_price(self) -> ListPrice | None:
        """LiteLLM's list price for this model, when litellm is installed."""
        return litellm_price(self.candidate.model, self.base_url)
