"""Any OpenAI-compatible endpoint: vLLM, llama.cpp server, LM Studio, OpenRouter,
Cloudflare Workers AI, OpenAI itself.

Streams by default (``stream_options.include_usage``). TTFT is the first chunk
with non-empty content or reasoning, never the role-only first chunk. Token
counts come from ``usage``, else llama.cpp's ``timings``, else a chunk count
flagged as an estimate. Options (models file)::

    options:
      stream: true                # false: one JSON answer (no TTFT)
      constrain_with: auto        # auto | json_schema | json_object | grammar | guided
      extra_body: {}              # merged into every request body
      max_answer_chars: 1000000   # an answer past this is cut and recorded as an error

A message with images is sent as content parts: its text, then one
``image_url`` part per image with a ``data:`` URI.

Labels can be enforced only with ``grammar`` (llama.cpp server) or ``guided``
(vLLM); a JSON Schema only with ``json_schema``, ``json_object`` or
``guided``. ``auto`` (the default) sends a JSON Schema as ``json_schema`` and,
once, if the server rejects that, as ``json_object`` (llama-cpp-python's server
takes only that); a server that rejects both is a ``ConstraintRejected``. A
constraint the chosen style cannot carry is not sent and is named by
``unapplied_settings``, as are unknown options and suite parameters outside
the chat API (``frequency_penalty`` and ``presence_penalty`` are sent; others
such as ``top_k`` go through ``extra_body`` when the server takes them).
"""

from __future__ import annotations

import json
import time
from contextlib import aclosing
from dataclasses import replace
from typing import Any, ClassVar, Literal

import aiohttp
from pydantic import Field

from champion._errors import (
    ConstraintRejected,
    MissingKey,
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    ProviderUnavailable,
    UnknownModel,
)
from champion._providers.base import (
    Completion,
    Constraint,
    GenerateRequest,
    Message,
    ModelIdentity,
    PieceSink,
    parse_options,
)
from champion._providers.candidate import Candidate, public_url
from champion._providers.grammar import labels_grammar
from champion._providers.http import HttpOptions, HttpProvider, body_chunks
from champion._providers.memo import RequestMemo
from champion._providers.pricing import ListPrice, litellm_price
from champion._providers.stream import (
    DRAIN_LINES,
    JSON,
    LineReader,
    StreamedAnswer,
    decode_event,
    optional_int,
    optional_str,
)
from champion._secrets import redact

__all__ = ["OpenAIOptions", "OpenAIProvider"]

#: Suite parameters beyond the common ones that the chat completions API defines.
_CHAT_PARAMS = frozenset({"frequency_penalty", "presence_penalty"})


class OpenAIOptions(HttpOptions):
    """Options of an OpenAI-compatible candidate."""

    stream: bool = True
    constrain_with: Literal["auto", "json_schema", "json_object", "grammar",
                            "guided"] = "auto"
    extra_body: dict[str, Any] = Field(default_factory=dict)


def _object(value: Any, what: str) -> dict[str, Any]:
    """A JSON object field that may be absent or null (then empty)."""
    if value is None:
        return {}
    if type(value) is dict:
        return value
    raise ProviderProtocolError(f"protocol: {what} is a {type(value).__name__}, not an object")


def _message(message: Message) -> dict[str, Any]:
    """A chat message; one with images has content parts: its text, then each
    image as an ``image_url`` part with a ``data:`` URI."""
    if not message.images:
        return {"role": message.role, "content": message.content}
    parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}]
    parts += [{"type": "image_url", "image_url": {"url": image.data_uri}}
              for image in message.images]
    return {"role": message.role, "content": parts}


class _Stream:
    """What a chat completion has delivered so far (filled inside the timed loop)."""

    __slots__ = ("answer", "done", "finish", "model", "timings", "usage")

    def __init__(self, start_ns: int, limit: int, sink: PieceSink | None = None) -> None:
        self.answer = StreamedAnswer(start_ns, limit, sink)
        self.finish: str | None = None
        self.usage: dict[str, Any] | None = None
        self.timings: dict[str, Any] | None = None
        self.model: str | None = None
        self.done = False


class OpenAIProvider(HttpProvider):
    """Chat completions over the OpenAI protocol."""

    name: ClassVar[str] = "openai"
    extra_params: ClassVar[frozenset[str]] = _CHAT_PARAMS

    def __init__(self, candidate: Candidate,
                 session: aiohttp.ClientSession | None = None) -> None:
        options, unknown = parse_options(OpenAIOptions, candidate)
        super().__init__(candidate, session)
        self.options, self.unknown_options = options, unknown
        self._served_model: str | None = None
        self._encoded: RequestMemo[bytes] = RequestMemo()
        # What ``auto`` settled on for JSON Schemas (None: not asked yet).
        self._schema_style: str | None = None
        self._model_info: dict[str, Any] = {}

    async def load(self) -> None:
        """Ready check: ``GET /models`` (endpoints without it are fine)."""
        try:
            listing = await self.get_json("/models")
        except ProviderError as exc:
            if exc.status in (404, 405):
                return
            raise
        data = listing.get("data") if isinstance(listing, dict) else None
        for item in data if isinstance(data, list) else ():
            if isinstance(item, dict) and item.get("id") == self.candidate.model:
                self._model_info = {k: v for k, v in item.items()
                                    if k in ("owned_by", "created", "meta")}

    def body(self, request: GenerateRequest, stream: bool) -> dict[str, Any]:
        """The JSON body of a chat completion request."""
        body: dict[str, Any] = {
            "model": self.candidate.model,
            "messages": [_message(m) for m in request.messages],
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
        for key, value in request.extra_params.items():
            if key in _CHAT_PARAMS:
                body[key] = value
        constraint = request.constraint
        style = self._style(constraint)
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
        body.update(self.options.extra_body)
        return body

    def unapplied_settings(self, request: GenerateRequest) -> list[str]:
        """Unknown options, parameters outside the chat API, constraints the style cannot carry."""
        notes = [f"option {key!r} is unknown to the {self.name} provider; it is not sent"
                 for key in self.unknown_options]
        notes += [f"parameter {key!r} is not part of the chat completions API and is not"
                  " sent; put it in options.extra_body if this server takes it"
                  for key in sorted(request.extra_params)
                  if key not in _CHAT_PARAMS and key not in self.options.extra_body]
        constraint, style = request.constraint, self._style(request.constraint)
        if (self.options.constrain_with == "auto" and self._schema_style is not None
                and constraint is not None and constraint.json_schema is not None
                and not constraint.labels):
            notes.append(f"constrain_with: auto sends JSON Schemas as {self._schema_style}"
                         + (" (this server rejects json_schema)"
                            if self._schema_style == "json_object" else ""))
        if constraint is not None and constraint.labels and style in ("json_schema",
                                                                      "json_object"):
            notes.append(f"constrain: labels cannot be enforced with constrain_with: {style};"
                         " decoding is not constrained (use constrain_with: grammar for a"
                         " llama.cpp server or guided for vLLM)")
        elif (constraint is not None and not constraint.labels
              and constraint.json_schema is not None and style == "grammar"):
            notes.append("constrain: a JSON Schema cannot be sent with constrain_with: grammar;"
                         " decoding is not constrained (use json_schema, json_object or"
                         " guided)")
        return notes

    def _style(self, constraint: Constraint | None) -> str:
        """The constrain_with style in force (``auto`` resolved as far as known)."""
        style = self.options.constrain_with
        if style != "auto":
            return style
        if constraint is not None and constraint.labels:
            return "json_schema"  # labels cannot be carried: a note says so
        return self._schema_style or "json_schema"

    def settled_options(self) -> dict[str, Any]:
        """``constrain_with`` as ``auto`` settled it, once it did."""
        if self.options.constrain_with == "auto" and self._schema_style is not None:
            return {"constrain_with": self._schema_style}
        return {}

    def _auto_schema_pending(self, constraint: Constraint | None) -> bool:
        """``auto`` has a JSON Schema to send and has not settled how yet."""
        return (self.options.constrain_with == "auto" and self._schema_style is None
                and constraint is not None and constraint.json_schema is not None
                and not constraint.labels)

    async def generate(self, request: GenerateRequest) -> Completion:
        """One chat completion, streamed unless ``options.stream`` is false.

        Raises:
            ConstraintRejected: the server refuses the constrained-output mode
                (it answers the same request without the constraint).
        """
        return await self._constrained(request, None)

    async def generate_streaming(self, request: GenerateRequest, sink: PieceSink) -> Completion:
        """One chat completion, each piece of content handed to ``sink`` as it arrives
        (all at once when the server answers one JSON document)."""
        return await self._constrained(request, sink)

    async def _constrained(self, request: GenerateRequest, sink: PieceSink | None
                           ) -> Completion:
        """The call, and when the server refuses a constraint: whose fault it is."""
        constraint = request.constraint
        if constraint is None or (constraint.labels and self._style(constraint) not in (
                "grammar", "guided")):
            return await self._generate(request, sink)
        pending = self._auto_schema_pending(constraint)
        try:
            completion = await self._generate(request, sink)
        except (MissingKey, UnknownModel):
            raise
        except ProviderRejected as exc:  # refused before any piece was streamed
            if pending:  # auto: the other way to send a schema, once
                self._settle("json_object")
                try:
                    return await self._generate(request, sink)
                except ProviderRejected:
                    self._settle(None)
            await self._blame_constraint(request, exc, pending)
            raise  # not the constraint: the plain request is refused too
        if pending:
            self._settle("json_schema")
        return completion

    def _settle(self, style: str | None) -> None:
        self._schema_style = style
        self._encoded.clear()

    async def _blame_constraint(self, request: GenerateRequest, error: ProviderRejected,
                                auto: bool) -> None:
        """After a refused constrained request, the same request without its
        constraint: if the server answers that, the constraint is to blame.

        Raises:
            ConstraintRejected: the plain request is answered.
        """
        try:
            await self._generate(replace(request, constraint=None), None)
        except ProviderError:
            return
        tried = "json_schema or json_object" if auto else self._style(request.constraint)
        raise ConstraintRejected(
            f"the server refuses constrained output with constrain_with: {tried} and"
            f" answers without it ({error}); set options.constrain_with to a style it takes"
            " or output.constrain: false", status=error.status) from error

    async def _generate(self, request: GenerateRequest, sink: PieceSink | None) -> Completion:
        stream = self.options.stream and request.stream is not False
        limit = self.options.max_answer_chars
        body = self._encoded.get(request, lambda r: json.dumps(self.body(r, stream)).encode())
        start = time.perf_counter_ns()
        state = _Stream(start, limit, sink)
        async with self.stream("POST", "/chat/completions", body) as response:
            if stream and response.headers.get("content-type", "").startswith(
                    "text/event-stream"):
                latency = await self._read_events(response, state)
            else:
                raw = await self.read_answer_body(response, limit)
                latency = time.perf_counter_ns() - start
                self._read_whole(raw, state)
                if sink is not None and state.answer.content:
                    sink("".join(state.answer.content))
        return self._completion(state, latency)

    async def _read_events(self, response: aiohttp.ClientResponse, state: _Stream) -> int:
        """Read the event stream; returns the latency (ns) at ``[DONE]`` or end of stream."""
        end: int | None = None
        drained = 0
        async with aclosing(LineReader(body_chunks(response), state.answer)) as lines:
            async for line in lines:
                if end is not None:  # after [DONE]: drain, so the connection can be reused
                    drained += 1
                    if drained > DRAIN_LINES:
                        break  # a server that goes on after [DONE]: drop the connection
                    continue
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    end = time.perf_counter_ns() - state.answer.start_ns
                    state.done = True
                    continue
                self._take(decode_event(data, "event in stream"), state)
        if end is None:
            end = time.perf_counter_ns() - state.answer.start_ns
        if not state.done and state.finish is None:
            raise ProviderProtocolError("protocol: stream ended before [DONE]")
        return end

    @staticmethod
    def _take(event: dict[str, Any], state: _Stream) -> None:
        """One chunk of the stream into ``state``: a few type checks and appends."""
        choices = event.get("choices")
        if choices:
            if type(choices) is not list:
                raise ProviderProtocolError("protocol: choices is not a list")
            for choice in choices:
                choice = _object(choice, "a choice")
                delta = _object(choice.get("delta"), "delta")
                state.answer.add(delta.get("content"),
                                 delta.get("reasoning_content") or delta.get("reasoning"))
                finish = choice.get("finish_reason")
                if finish is not None:
                    state.finish = optional_str(finish, "finish_reason")
        usage = event.get("usage")
        if usage is not None:
            state.usage = _object(usage, "usage") or state.usage
        timings = event.get("timings")
        if timings is not None:
            state.timings = _object(timings, "timings") or state.timings
        model = event.get("model")
        if model is not None:
            state.model = optional_str(model, "model")

    def _read_whole(self, raw: bytes, state: _Stream) -> None:
        try:
            answer = JSON.decode(raw.decode("utf-8"))
        except ValueError:
            raise ProviderProtocolError(
                f"protocol: not a chat completion: {redact(repr(raw[:120]))}") from None
        if type(answer) is not dict:
            raise ProviderProtocolError("protocol: not a chat completion: not an object")
        if "error" in answer:
            raise ProviderUnavailable(redact(f"error: {str(answer['error'])[:300]}"))
        choices = answer.get("choices")
        if type(choices) is not list or not choices:
            raise ProviderProtocolError("protocol: not a chat completion: no choices")
        choice = _object(choices[0], "a choice")
        message = _object(choice.get("message"), "message")
        # One answer, no stream: nothing to time but the whole call (TTFT stays null).
        content = optional_str(message.get("content"), "content") or ""
        reasoning = optional_str(message.get("reasoning_content") or message.get("reasoning"),
                                 "reasoning")
        state.answer.content.append(content)
        state.answer.size += len(content)
        if reasoning:
            state.answer.reasoning.append(reasoning)
            state.answer.reasoning_chars += len(reasoning)
            state.answer.size += len(reasoning)
        if state.answer.size > state.answer.limit:
            raise state.answer.too_large()
        state.finish = optional_str(choice.get("finish_reason"), "finish_reason")
        state.usage = _object(answer.get("usage"), "usage") or None
        state.timings = _object(answer.get("timings"), "timings") or None
        state.model = optional_str(answer.get("model"), "model")
        state.done = True

    def _completion(self, state: _Stream, latency: int) -> Completion:
        answer, reasoning = state.answer.split()
        usage, timings = state.usage or {}, state.timings or {}
        prompt_tokens = optional_int(usage.get("prompt_tokens"), "usage.prompt_tokens")
        completion_tokens = optional_int(usage.get("completion_tokens"),
                                         "usage.completion_tokens")
        details = _object(usage.get("completion_tokens_details"), "completion_tokens_details")
        reasoning_tokens = optional_int(details.get("reasoning_tokens"), "reasoning_tokens")
        estimated = False
        if completion_tokens is None and "predicted_n" in timings:
            completion_tokens = optional_int(timings["predicted_n"], "timings.predicted_n")
            prompt_tokens = ((optional_int(timings.get("prompt_n"), "timings.prompt_n") or 0)
                             + (optional_int(timings.get("cache_n"), "timings.cache_n") or 0))
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
            reasoning_tokens=reasoning_tokens, tokens_estimated=estimated,
            finish_reason=state.finish,
            server_timings={"timings": timings, "usage": usage} if (timings or usage) else None,
            server_tokens_per_s=(float(speed) if type(speed) is float
                                 or (type(speed) is int and speed < 2**63) else None),
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
