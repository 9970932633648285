"""The gateway as a plain ASGI application: no framework on the request path.

Routes: ``POST /v1/chat/completions``, ``GET /v1/models``, ``GET /metrics``.
One chat call: read and check the body, decide what serves it
(:meth:`Gateway.choose`: the one place where a task's call is given to a
pair of models), serve it (task route or pass-through; whole, validated
stream or live stream), send the answer with its headers, then tell the
observers (metrics, access log, recorder) off the response path.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from champion._errors import InputError, ProviderError, ProviderTimeout, RateLimited
from champion._judge.production import JudgeRejected
from champion._providers.base import Completion
from champion._registry.answers import (
    AllModelsFailed,
    DisagreementError,
    OverCapacity,
    UnknownTask,
)
from champion._registry.rollout.canary import takes
from champion._registry.router import Router, build_request
from champion._registry.routes import Route
from champion._registry.serving import CallCosts, Served
from champion._web.gateway.calls import CallObserver, CallRecord
from champion._web.gateway.metrics import CONTENT_TYPE, GatewayMetrics
from champion._web.gateway.wire import (
    TASK_PREFIX,
    ChatCall,
    Refused,
    chunk,
    completion_body,
    error_body,
    header_text,
    parse_call,
    stream_end,
    stream_error,
    usage_of,
)
from champion._web.security import Receive, Scope, Send

__all__ = ["Gateway", "GatewayConfig"]

MAX_BODY_BYTES = 8 * 1024 * 1024
_JSON = b"application/json"
_EVENTS = b"text/event-stream"


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """How the gateway serves, beyond the Router's own settings.

    Attributes:
        stream: how a task's streamed answer is sent by default: ``validated``
            (parsed and checked first, then sent whole, so a fallback is still
            possible) or ``live`` (tokens as they come; fallback only before the
            first one). A request may choose with ``champion: {"stream": ...}``
            or the ``x-champion-stream`` header.
        passthrough_timeout_s: the deadline of a call straight to a model.
        watch_registry: check the registry in the background (never on a request).
    """

    stream: str = "validated"
    passthrough_timeout_s: float = 120.0
    watch_registry: bool = True


def _retry_after(seconds: float | None) -> dict[str, str]:
    return {"retry-after": str(max(1, math.ceil(seconds or 1.0)))}


def _refusal(exc: Exception, task: str) -> Refused:
    """The HTTP answer to a routing error."""
    if isinstance(exc, OverCapacity):
        return Refused(429, str(exc), "rate_limit_error", exc.reason,
                       _retry_after(exc.retry_after_s), "over_capacity")
    if isinstance(exc, UnknownTask):
        return Refused(404, str(exc), "invalid_request_error", "model_not_found")
    if isinstance(exc, InputError):
        return Refused(400, str(exc), "invalid_request_error", "invalid_parameter")
    if isinstance(exc, AllModelsFailed):
        if exc.timed_out:
            return Refused(504, str(exc), "timeout_error", "deadline_exceeded",
                           error_type="timeout")
        return Refused(502, str(exc), "upstream_error", "all_models_failed",
                       error_type="all_models_failed")
    if isinstance(exc, DisagreementError):
        return Refused(502, str(exc), "upstream_error", "models_disagree",
                       error_type="disagreement")
    if isinstance(exc, JudgeRejected):
        return Refused(502, str(exc), "upstream_error", "judge_rejected",
                       error_type="judge_rejected")
    raise exc


def _upstream(exc: ProviderError, model: str) -> Refused:
    """The HTTP answer when a model called straight through failed."""
    message = f"{model}: {exc}"
    if isinstance(exc, ProviderTimeout):
        return Refused(504, message, "timeout_error", "deadline_exceeded", error_type="timeout")
    if isinstance(exc, RateLimited):
        return Refused(429, message, "rate_limit_error", "upstream_rate_limited",
                       _retry_after(exc.retry_after_s), "rate_limited")
    if exc.status in (400, 404, 413, 422):  # the request itself: the client can fix it
        return Refused(exc.status, message, "invalid_request_error", "upstream_rejected",
                       error_type=exc.kind)
    return Refused(502, message, "upstream_error", "upstream_error", error_type=exc.kind)


def _headers(*pairs: tuple[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode("latin-1")) for name, value in pairs]


async def _respond(send: Send, status: int, body: bytes, content_type: bytes,
                   headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", content_type), (b"content-length", str(len(body)).encode()),
        *headers]})
    await send({"type": "http.response.body", "body": body})


class _Answer:
    """What goes back for a served call."""

    __slots__ = ("completion", "fallback", "model")

    def __init__(self, model: str, completion: Completion, fallback: str | None) -> None:
        self.model, self.completion, self.fallback = model, completion, fallback

    def usage(self) -> dict[str, int] | None:
        completion = self.completion
        if completion.tokens_estimated:
            return None
        return usage_of(completion.prompt_tokens, completion.completion_tokens)

    @property
    def finish_reason(self) -> str:
        return self.completion.finish_reason or "stop"


class Gateway:
    """The ASGI application over a Router.

    Args:
        router: serves tasks and finds models.
        config: stream mode, pass-through deadline, registry watching.
        metrics: the metrics every call updates.
        observers: told of every call after its answer was sent.
        on_start, on_stop: run at the ASGI lifespan's start and end (an ``on_stop``
            that returns an awaitable is awaited).
    """

    def __init__(self, router: Router, config: GatewayConfig, metrics: GatewayMetrics,
                 observers: Sequence[CallObserver] = (),
                 on_start: Sequence[Callable[[], None]] = (),
                 on_stop: Sequence[Callable[[], object]] = ()) -> None:
        self.router = router
        self.config = config
        self.metrics = metrics
        self.observers = tuple(observers)
        self._on_start, self._on_stop = tuple(on_start), tuple(on_stop)
        self._watcher: asyncio.Task[None] | None = None
        router.table.on_queue = metrics.queue_depth

    # -- ASGI ----------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path, method = scope["path"], scope["method"]
            if path == "/v1/chat/completions":
                if method == "POST":
                    await self._chat(scope, receive, send)
                    return
            elif path == "/v1/models":
                if method in ("GET", "HEAD"):
                    await _respond(send, 200, self._models(), _JSON)
                    return
            elif path == "/metrics":
                if method in ("GET", "HEAD"):
                    await _respond(send, 200, self.metrics.exposition(),
                                   CONTENT_TYPE.encode())
                    return
            else:
                await self._error(send, Refused(
                    404, "unknown path; this gateway serves /v1/chat/completions,"
                    " /v1/models and /metrics", "invalid_request_error", "not_found"))
                return
            await self._error(send, Refused(405, "method not allowed",
                                            "invalid_request_error", "method_not_allowed"))
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for start in self._on_start:
                    start()
                if self.config.watch_registry:
                    await self.router.table.read_now()
                    self._watcher = asyncio.create_task(self.router.table.watch())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._watcher is not None:
                    self._watcher.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._watcher
                await self.router.aclose()
                for stop in self._on_stop:
                    stopped = stop()
                    if inspect.isawaitable(stopped):
                        await stopped
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _error(self, send: Send, refused: Refused) -> None:
        await _respond(send, refused.status,
                       error_body(refused.message, refused.kind, refused.code), _JSON,
                       _headers(*refused.headers.items()))

    def _models(self) -> bytes:
        data = [{"id": TASK_PREFIX + task, "object": "model", "created": 0,
                 "owned_by": "champion"} for task in self.router.tasks()]
        data += [{"id": name, "object": "model", "created": 0, "owned_by": candidate.provider}
                 for name, candidate in sorted(self.router.models().items())]
        return json.dumps({"object": "list", "data": data}).encode()

    # -- one chat call -------------------------------------------------------

    async def _chat(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter_ns()
        record = CallRecord(task="", requested="")
        try:
            call = parse_call(await _read_body(scope, receive),
                              _header(scope, b"x-champion-stream"),
                              _header(scope, b"x-champion-caller"))
            record.requested, record.messages = call.model, call.messages
            if call.task is not None:
                record.task = call.task
                await self._task(call, record, start, send)
            else:
                await self._passthrough(call, record, start, send)
        except Refused as refused:
            record.status, record.error_type = refused.status, refused.error_type
            record.stages.total_ns = time.perf_counter_ns() - start
            await self._error(send, refused)
        finally:
            if record.requested:
                self._observe(record)

    def choose(self, task: str, call: ChatCall) -> Route:
        """Which pair of models serves this call of ``task``: the one decision point.
        A canary in progress takes its share of the calls (always the same side for
        the same caller).

        Raises:
            UnknownTask: nothing is registered for ``task``.
        """
        route = self.router.route(task)
        canary = self.router.table.canary(task)
        if canary is not None and takes(canary, call.caller):
            return canary.route
        return route

    async def _task(self, call: ChatCall, record: CallRecord, start: int, send: Send) -> None:
        task = record.task
        try:
            route = record.route = self.choose(task, call)
            request = build_request(route.suite, call.vars,
                                    call.messages if call.vars is None else None)
        except (UnknownTask, InputError) as exc:
            raise _refusal(exc, task) from None
        record.vars = None if call.vars is None else dict(call.vars)
        limit = call.max_tokens()
        if limit is not None and limit < request.max_tokens:  # the caller wants it shorter
            request = replace(request, max_tokens=limit)
        mode = (call.stream_mode or self.config.stream) if call.stream else "none"
        if mode != "live":  # the answer goes out whole: ask the model for it whole
            request = replace(request, stream=False)
        record.messages, record.request = request.messages, request
        built = time.perf_counter_ns()
        record.stages.prompt_build_ns = built - start
        record.stream = mode
        costs = CallCosts()
        try:
            if mode == "live" and not call.verify:
                await self._live(send, record, start, built, costs, lambda sink: self.router.aserve(
                    route, request, sink=sink, costs=costs), call)
                return
            served = await self.router.aserve(route, request, verify=call.verify, costs=costs,
                                              vars=call.vars)
        except (OverCapacity, AllModelsFailed, DisagreementError, JudgeRejected,
                InputError) as exc:
            record.fallbacks = tuple(costs.failures)
            self._route_outcome(route, record)
            refused = _refusal(exc, task)
            if isinstance(exc, OverCapacity):
                self.metrics.refusal(task, exc.reason)
            raise refused from None
        stages = record.stages
        stages.queue_ns, stages.parse_ns = served.queue_ns, served.parse_ns
        stages.inference_ns = (time.perf_counter_ns() - built - served.queue_ns - served.parse_ns
                               - served.judge_ns)
        self._served(record, served)
        self._route_outcome(route, record)
        answer = _Answer(served.slot.name, served.completion, served.fallback_reason)
        await self._send_answer(send, call, record, start, answer)

    def _served(self, record: CallRecord, served: Served) -> None:
        record.served_by, record.fallbacks = served.slot.name, served.failures
        record.parse_ok, record.value = served.parsed.ok, served.parsed.value
        completion = served.completion
        record.prompt_tokens, record.completion_tokens = (completion.prompt_tokens,
                                                          completion.completion_tokens)
        record.finish_reason, record.answer = completion.finish_reason, completion.text

    def _route_outcome(self, route: Route, record: CallRecord) -> None:
        metrics = self.metrics
        for role_slot in (route.champion, route.runner_up):
            if role_slot is not None:
                metrics.breaker_state(role_slot.name, role_slot.breaker.state != "closed")
        tried = [f.model for f in record.fallbacks] + ([record.served_by]
                                                        if record.served_by else [])
        for failure, then in zip(record.fallbacks, tried[1:], strict=False):
            metrics.fallback(record.task, failure.model, then, failure.kind)

    async def _passthrough(self, call: ChatCall, record: CallRecord, start: int,
                           send: Send) -> None:
        slot = self.router.find(call.model)
        if slot is None:
            raise Refused(404, f"unknown model {call.model[:200]!r}: use 'task:<task>' or a"
                          " registered model's id, name or -m spec (GET /v1/models)",
                          "invalid_request_error", "model_not_found")
        request = call.request(self.config.passthrough_timeout_s)
        built = time.perf_counter_ns()
        record.stages.prompt_build_ns = built - start
        record.stream = "live" if call.stream else "none"
        costs = CallCosts()

        async def serve(sink: Callable[[str], None] | None) -> Completion:
            costs.current = slot
            completion, costs.queue_ns = await self.router.apassthrough(slot, request, sink)
            return completion

        try:
            if call.stream:
                await self._live(send, record, start, built, costs, serve, call)
                return
            completion = await serve(None)
        except OverCapacity as exc:
            self.metrics.refusal("", exc.reason)
            raise _refusal(exc, "") from None
        except ProviderError as exc:
            raise _upstream(exc, slot.name) from None
        except InputError as exc:  # the model's provider cannot be set up
            raise Refused(502, f"{slot.name}: {exc}", "upstream_error", "upstream_error",
                          error_type="rejected") from None
        record.stages.queue_ns = costs.queue_ns
        record.stages.inference_ns = time.perf_counter_ns() - built - costs.queue_ns
        record.served_by = slot.name
        record.prompt_tokens, record.completion_tokens = (completion.prompt_tokens,
                                                          completion.completion_tokens)
        record.finish_reason, record.answer = completion.finish_reason, completion.text
        await self._send_answer(send, call, record, start, _Answer(slot.name, completion, None))

    async def _send_answer(self, send: Send, call: ChatCall, record: CallRecord, start: int,
                           answer: _Answer) -> None:
        """A whole answer: one JSON object, or (validated stream) all its events at once."""
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        usage = answer.usage()
        stages = record.stages
        if call.stream:
            body = (chunk(ident, created, answer.model, {"role": "assistant", "content": ""})
                    + chunk(ident, created, answer.model, {"content": answer.completion.text})
                    + stream_end(ident, created, answer.model, answer.finish_reason, usage,
                                 call.include_usage))
            content_type = _EVENTS
        else:
            body = completion_body(ident, created, answer.model, answer.completion.text,
                                   answer.finish_reason, usage)
            content_type = _JSON
        stages.total_ns = time.perf_counter_ns() - start
        if call.stream:
            stages.first_chunk_ns = stages.total_ns
        await _respond(send, 200, body, content_type, _headers(
            ("x-champion-served-by", header_text(answer.model)),
            ("x-champion-fallback", header_text(answer.fallback or "none")),
            ("x-champion-timing", stages.header()),
            *((("cache-control", "no-cache"),) if call.stream else ())))

    async def _live(self, send: Send, record: CallRecord, start: int, built: int,
                    costs: CallCosts,
                    serve: Callable[[Callable[[str], None]], Awaitable[Served | Completion]],
                    call: ChatCall) -> None:
        """A live stream: each piece of answer text is sent as it arrives; the headers
        go with the first piece, so errors before it are ordinary error answers."""
        pieces: asyncio.Queue[str | None] = asyncio.Queue()
        job = asyncio.ensure_future(serve(pieces.put_nowait))
        job.add_done_callback(lambda _job: pieces.put_nowait(None))
        stages = record.stages
        try:
            first = await pieces.get()
            if first is None:  # ended before any text: an error, or an empty answer
                result = job.result()
                self._finish_live(record, result, costs, built)
                model = costs.current.name if costs.current is not None else record.requested
                completion = result.completion if isinstance(result, Served) else result
                await self._send_answer(send, call, record, start, _Answer(
                    model, completion, "; ".join(map(str, costs.failures)) or None))
                return
            now = time.perf_counter_ns()
            model = costs.current.name if costs.current is not None else record.requested
            stages.queue_ns = costs.queue_ns
            stages.inference_ns = now - built - costs.queue_ns
            stages.total_ns = stages.first_chunk_ns = now - start
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", _EVENTS), (b"cache-control", b"no-cache"),
                *_headers(("x-champion-served-by", header_text(model)),
                          ("x-champion-fallback", header_text(
                              "; ".join(map(str, costs.failures)) or "none")),
                          ("x-champion-timing", stages.header()))]})
            ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
            text = first
            body = chunk(ident, created, model, {"role": "assistant", "content": ""})
            while True:
                while not pieces.empty():  # whatever else arrived goes in the same write
                    more = pieces.get_nowait()
                    if more is None:
                        pieces.put_nowait(None)
                        break
                    text += more
                body += chunk(ident, created, model, {"content": text})
                await send({"type": "http.response.body", "body": body, "more_body": True})
                following = await pieces.get()
                if following is None:
                    break
                text, body = following, b""
            try:
                result = job.result()
            except (ProviderError, AllModelsFailed) as exc:
                record.status, record.served_by = 200, ""
                record.error_type = getattr(exc, "kind", "all_models_failed")
                record.fallbacks = tuple(costs.failures)
                await send({"type": "http.response.body", "more_body": False,
                            "body": stream_error(f"{model}: the answer broke off: {exc}",
                                                 "stream_interrupted")})
                return
            self._finish_live(record, result, costs, built)
            completion = result.completion if isinstance(result, Served) else result
            answer = _Answer(model, completion, None)
            await send({"type": "http.response.body", "more_body": False, "body": stream_end(
                ident, created, model, answer.finish_reason, answer.usage(),
                call.include_usage)})
        finally:
            if not job.done():
                job.cancel()
                with contextlib.suppress(BaseException):
                    await job
            elif not job.cancelled():
                job.exception()  # retrieved: never "exception was never retrieved"

    def _finish_live(self, record: CallRecord, result: Served | Completion, costs: CallCosts,
                     built: int) -> None:
        if isinstance(result, Served):
            self._served(record, result)
            record.stages.parse_ns = result.parse_ns
        else:
            record.served_by = costs.current.name if costs.current is not None else ""
            record.prompt_tokens, record.completion_tokens = (result.prompt_tokens,
                                                              result.completion_tokens)
            record.finish_reason, record.answer = result.finish_reason, result.text
        record.stages.queue_ns = costs.queue_ns

    def _observe(self, record: CallRecord) -> None:
        stages = record.stages
        first = stages.first_chunk_ns
        self.metrics.call(record.task, record.requested, record.served_by, record.error_type,
                          stages.total_ns / 1e9, record.prompt_tokens, record.completion_tokens,
                          None if first is None else first / 1e9)
        for observer in self.observers:
            observer.observe(record)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    length = _header(scope, b"content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise Refused(413, "request body too large", "invalid_request_error", "body_too_large")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(499, "the client went away", "invalid_request_error", "disconnected")
        body = message.get("body", b"")
        size += len(body)
        if size > MAX_BODY_BYTES:
            raise Refused(413, "request body too large", "invalid_request_error",
                          "body_too_large")
        chunks.append(body)
        if not message.get("more_body", False):
            return b"".join(chunks) if len(chunks) != 1 else chunks[0]
