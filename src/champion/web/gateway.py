"""An OpenAI-compatible gateway over the Router (``champion gateway``).

``POST /v1/chat/completions``, streamed (server-sent events of
``chat.completion.chunk`` objects, then ``data: [DONE]``) or not:

- ``model: "task:<task>"`` is served by the task's registered champion, with
  the Router's fallback to the runner-up, circuit breaker and output
  validation. The client's messages are sent as they are, with the task's own
  generation parameters; or, when the body carries the task's template vars as
  ``champion: {"vars": {...}}``, the task's own prompt is rendered from them
  (``champion: {"verify": true}`` asks both models and answers only when they
  agree). A task's answer is validated before it is sent, so a streamed answer
  arrives whole, in one content chunk.
- any other ``model`` that names a registered model (its id or the model name
  its backend knows) goes straight to that model, with the client's own
  parameters.

The answer's ``model`` field names the model that served; the headers
``x-champion-served-by`` and ``x-champion-fallback`` (``none``, or why the
champion did not serve) say what happened. ``GET /v1/models`` lists the tasks
(``task:<task>``) and the models. Errors use OpenAI's shape,
``{"error": {"message", "type", "code"}}``: 400 bad request (also for
``tools``, ``functions``, ``logprobs`` or ``n`` other than 1, which the gateway
does not serve), 401 without the bearer token, 404 unknown model or task, 502
when no model gave a usable answer, 504 when every model ran out of time.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from champion.errors import InputError, ProviderError, ProviderTimeout
from champion.providers.base import GenerateRequest, Message
from champion.registry.answers import (
    AllModelsFailed,
    Answer,
    DisagreementError,
    UnknownTask,
)
from champion.registry.router import Router
from champion.secrets import redact
from champion.web.security import ASGIApp, BearerTokenMiddleware

__all__ = ["create_gateway", "error_body"]

TASK_PREFIX = "task:"
MAX_BODY_BYTES = 8 * 1024 * 1024
#: Requests that ask for these get a 400 rather than an answer that ignores them.
UNSUPPORTED = ("tools", "functions", "logprobs")
_HEADER_UNSAFE = re.compile(r"[^\x20-\x7e]")


class _Refused(Exception):
    """A request the gateway answers with an OpenAI-shaped error."""

    def __init__(self, status: int, message: str, kind: str, code: str) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code


def error_body(message: str, kind: str = "authentication_error",
               code: str = "invalid_api_key") -> bytes:
    """An error in OpenAI's shape, as JSON bytes."""
    return json.dumps({"error": {"message": redact(message), "type": kind, "param": None,
                                 "code": code}}).encode()


def _error(refused: _Refused) -> Response:
    return Response(error_body(refused.message, refused.kind, refused.code),
                    refused.status, media_type="application/json")


def _header(text: str, limit: int = 300) -> str:
    return _HEADER_UNSAFE.sub("?", text)[:limit]


def _messages(body: Mapping[str, Any]) -> tuple[Message, ...]:
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise _Refused(400, "'messages' must be a non-empty list", "invalid_request_error",
                       "invalid_messages")
    messages = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("role"), str):
            raise _Refused(400, "each message needs a 'role' and a 'content'",
                           "invalid_request_error", "invalid_messages")
        content = item.get("content")
        if isinstance(content, list):
            if any(not isinstance(p, dict) or p.get("type") != "text" for p in content):
                raise _Refused(400, "only text content parts are supported",
                               "invalid_request_error", "invalid_messages")
            content = "".join(str(p.get("text", "")) for p in content)
        if not isinstance(content, str):
            raise _Refused(400, "each message needs a 'role' and a 'content'",
                           "invalid_request_error", "invalid_messages")
        messages.append(Message(item["role"], content))
    return tuple(messages)


def _client_request(body: Mapping[str, Any], messages: tuple[Message, ...]) -> GenerateRequest:
    """The client's own parameters, for a model called straight through."""
    try:
        stop = body.get("stop")
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        defaults = GenerateRequest(messages)
        return GenerateRequest(
            messages,
            max_tokens=int(max_tokens) if max_tokens is not None else defaults.max_tokens,
            temperature=float(body.get("temperature", defaults.temperature)),
            seed=int(body["seed"]) if body.get("seed") is not None else None,
            top_p=float(body["top_p"]) if body.get("top_p") is not None else None,
            stop=(stop,) if isinstance(stop, str) else tuple(map(str, stop or ())),
        )
    except (TypeError, ValueError) as exc:
        raise _Refused(400, f"bad parameter: {exc}", "invalid_request_error",
                       "invalid_parameter") from None


class _Served:
    """What goes back to the client."""

    __slots__ = ("completion_tokens", "fallback", "model", "prompt_tokens", "text")

    def __init__(self, text: str, model: str, fallback: str | None,
                 prompt_tokens: int | None, completion_tokens: int | None) -> None:
        self.text, self.model, self.fallback = text, model, fallback
        self.prompt_tokens, self.completion_tokens = prompt_tokens, completion_tokens

    @classmethod
    def of(cls, answer: Answer) -> _Served:
        return cls(answer.text, answer.served_by, answer.fallback_reason,
                   answer.prompt_tokens, answer.completion_tokens)

    def usage(self) -> dict[str, int] | None:
        if self.prompt_tokens is None or self.completion_tokens is None:
            return None
        return {"prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens}

    def headers(self) -> dict[str, str]:
        return {"x-champion-served-by": _header(self.model),
                "x-champion-fallback": _header(self.fallback or "none")}


async def _serve_task(router: Router, task: str, body: Mapping[str, Any]) -> _Served:
    extension = body.get("champion") or {}
    if not isinstance(extension, dict):
        raise _Refused(400, "'champion' must be an object", "invalid_request_error",
                       "invalid_parameter")
    variables = extension.get("vars")
    verify = bool(extension.get("verify", False))
    try:
        if variables is not None:
            if not isinstance(variables, dict):
                raise _Refused(400, "'champion.vars' must be an object",
                               "invalid_request_error", "invalid_parameter")
            answer = await router.acomplete(task, variables, verify=verify)
        else:
            answer = await router.acomplete(task, messages=_messages(body), verify=verify)
    except UnknownTask as exc:
        raise _Refused(404, str(exc), "invalid_request_error", "model_not_found") from None
    except InputError as exc:
        raise _Refused(400, str(exc), "invalid_request_error", "invalid_parameter") from None
    except AllModelsFailed as exc:
        if exc.timed_out:
            raise _Refused(504, str(exc), "timeout_error", "deadline_exceeded") from None
        raise _Refused(502, str(exc), "upstream_error", "all_models_failed") from None
    except DisagreementError as exc:
        raise _Refused(502, str(exc), "upstream_error", "models_disagree") from None
    return _Served.of(answer)


async def _serve_model(router: Router, model: str, body: Mapping[str, Any]) -> _Served:
    if model not in router.models():
        raise _Refused(404, f"unknown model {model!r}: use 'task:<task>' or a registered"
                       " model (GET /v1/models)", "invalid_request_error", "model_not_found")
    request = _client_request(body, _messages(body))
    try:
        completion = await router.agenerate(model, request)
    except ProviderTimeout as exc:
        raise _Refused(504, f"{model}: {exc}", "timeout_error", "deadline_exceeded") from None
    except ProviderError as exc:
        raise _Refused(502, f"{model}: {exc}", "upstream_error", "upstream_error") from None
    candidate = router.models()[model]
    return _Served(completion.text, candidate.id or model, None, completion.prompt_tokens,
                   completion.completion_tokens)


def _completion(served: _Served, ident: str, created: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": ident, "object": "chat.completion", "created": created, "model": served.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": served.text},
                     "finish_reason": "stop"}]}
    usage = served.usage()
    if usage is not None:
        answer["usage"] = usage
    return answer


def _events(served: _Served, ident: str, created: int, include_usage: bool) -> Iterable[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        event = {"id": ident, "object": "chat.completion.chunk", "created": created,
                 "model": served.model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return b"data: " + json.dumps(event).encode() + b"\n\n"

    yield chunk({"role": "assistant", "content": ""})
    yield chunk({"content": served.text})
    yield chunk({}, "stop")
    usage = served.usage()
    if include_usage and usage is not None:
        event = {"id": ident, "object": "chat.completion.chunk", "created": created,
                 "model": served.model, "choices": [], "usage": usage}
        yield b"data: " + json.dumps(event).encode() + b"\n\n"
    yield b"data: [DONE]\n\n"


def create_gateway(router: Router, token: str | None = None) -> ASGIApp:
    """The gateway's ASGI app over ``router``; with ``token``, every request
    needs ``Authorization: Bearer <token>``."""

    async def chat_completions(request: Request) -> Response:
        try:
            if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
                raise _Refused(413, "request body too large", "invalid_request_error",
                               "body_too_large")
            try:
                body = json.loads(await request.body())
            except ValueError:
                raise _Refused(400, "the body is not JSON", "invalid_request_error",
                               "invalid_json") from None
            if not isinstance(body, dict):
                raise _Refused(400, "the body must be a JSON object", "invalid_request_error",
                               "invalid_json")
            model = body.get("model")
            if not isinstance(model, str) or not model:
                raise _Refused(400, "'model' is required: 'task:<task>' or a model id",
                               "invalid_request_error", "invalid_model")
            unsupported = [name for name in UNSUPPORTED if body.get(name)]
            if body.get("n", 1) != 1:
                unsupported.append("n")
            if unsupported:
                raise _Refused(400, "not supported by this gateway: " + ", ".join(unsupported),
                               "invalid_request_error", "unsupported_parameter")
            if model.startswith(TASK_PREFIX):
                served = await _serve_task(router, model.removeprefix(TASK_PREFIX), body)
            else:
                served = await _serve_model(router, model, body)
        except _Refused as refused:
            return _error(refused)
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if body.get("stream"):
            options = body.get("stream_options")
            include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
            # The answer is whole and validated by now: its events go in one body.
            return Response(b"".join(_events(served, ident, created, include_usage)),
                            media_type="text/event-stream",
                            headers={**served.headers(), "cache-control": "no-cache"})
        return JSONResponse(_completion(served, ident, created), headers=served.headers())

    async def list_models(_request: Request) -> Response:
        data = [{"id": TASK_PREFIX + task, "object": "model", "created": 0,
                 "owned_by": "champion"} for task in router.tasks()]
        data += [{"id": name, "object": "model", "created": 0, "owned_by": candidate.provider}
                 for name, candidate in sorted(router.models().items())]
        return JSONResponse({"object": "list", "data": data})

    async def not_found(_request: Request, _exc: Exception) -> Response:
        return _error(_Refused(404, "unknown path; this gateway serves /v1/chat/completions"
                               " and /v1/models", "invalid_request_error", "not_found"))

    async def not_allowed(_request: Request, _exc: Exception) -> Response:
        return _error(_Refused(405, "method not allowed", "invalid_request_error",
                               "method_not_allowed"))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await router.aclose()

    app = Starlette(
        routes=[Route("/v1/chat/completions", chat_completions, methods=["POST"]),
                Route("/v1/models", list_models, methods=["GET"])],
        exception_handlers={404: not_found, 405: not_allowed},
        lifespan=lifespan,
    )
    if token is None:
        return app
    return BearerTokenMiddleware(app, token, error_body=error_body)
