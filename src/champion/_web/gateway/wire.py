"""The OpenAI chat completions protocol as the gateway reads and writes it.

A request body becomes a :class:`ChatCall` (or a :class:`Refused` that says
why not); answers go back as a ``chat.completion`` object or as server-sent
events of ``chat.completion.chunk`` objects ending with ``data: [DONE]``.
Errors use OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from champion._providers.base import GenerateRequest, Message
from champion._secrets import redact

__all__ = ["TASK_PREFIX", "ChatCall", "Refused", "chunk", "completion_body", "error_body",
           "header_text", "parse_call", "usage_of"]

TASK_PREFIX = "task:"
#: Requests that ask for these get a 400 rather than an answer that ignores them.
UNSUPPORTED = ("tools", "functions", "logprobs")
STREAM_MODES = ("validated", "live")
_HEADER_UNSAFE = re.compile(r"[^\x20-\x7e]")
_DONE = b"data: [DONE]\n\n"


class Refused(Exception):
    """A request the gateway answers with an OpenAI-shaped error."""

    def __init__(self, status: int, message: str, kind: str, code: str,
                 headers: Mapping[str, str] | None = None, error_type: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code
        self.headers = dict(headers or {})
        #: The ``error_type`` label of the call's metrics (empty: a bad request, not counted).
        self.error_type = error_type


def error_body(message: str, kind: str = "authentication_error",
               code: str = "invalid_api_key") -> bytes:
    """An error in OpenAI's shape, as JSON bytes."""
    return json.dumps({"error": {"message": redact(message), "type": kind, "param": None,
                                 "code": code}}).encode()


def header_text(text: str, limit: int = 300) -> str:
    """Untrusted text made safe for a header value: printable ASCII, cut at ``limit``."""
    return _HEADER_UNSAFE.sub("?", text)[:limit]


def _bad(message: str, code: str = "invalid_parameter") -> Refused:
    return Refused(400, message, "invalid_request_error", code)


@dataclass(frozen=True, slots=True)
class ChatCall:
    """One chat completion request, read and checked.

    Attributes:
        model: what the client asked for (``task:<task>`` or a model).
        body: the request body as sent.
        messages: the client's messages.
        stream: answer with server-sent events.
        include_usage: a last chunk with ``usage`` (``stream_options.include_usage``).
        vars: the task's template vars (``champion.vars``), if sent.
        verify: ask both models (``champion.verify: true``), or the task's judge
            (``champion.verify: "judge"``).
        stream_mode: ``validated`` or ``live`` when the client chose (``champion.stream``
            or the ``x-champion-stream`` header); None: the gateway's default.
        caller: who calls, when the client says (the ``x-champion-caller`` header, else
            the body's ``user``): a canary serves the same caller the same way.
    """

    model: str
    body: Mapping[str, Any]
    messages: tuple[Message, ...]
    stream: bool
    include_usage: bool
    vars: Mapping[str, Any] | None
    verify: bool | Literal["judge"]
    stream_mode: str | None
    caller: str | None = None

    @property
    def task(self) -> str | None:
        """The task a ``task:<task>`` model names; None for any other model."""
        return self.model[len(TASK_PREFIX):] if self.model.startswith(TASK_PREFIX) else None

    def max_tokens(self) -> int | None:
        """The client's ``max_completion_tokens`` or ``max_tokens``, if sent."""
        value = self.body.get("max_completion_tokens") or self.body.get("max_tokens")
        if value is None:
            return None
        if type(value) is not int or value < 1:
            raise _bad("'max_tokens' must be a positive integer")
        return value

    def request(self, timeout_s: float) -> GenerateRequest:
        """The client's own parameters, for a model called straight through."""
        body = self.body
        try:
            stop = body.get("stop")
            defaults = GenerateRequest(self.messages)
            max_tokens = self.max_tokens()
            return GenerateRequest(
                self.messages,
                max_tokens=defaults.max_tokens if max_tokens is None else max_tokens,
                temperature=float(body.get("temperature", defaults.temperature)),
                timeout_s=timeout_s,
                seed=int(body["seed"]) if body.get("seed") is not None else None,
                top_p=float(body["top_p"]) if body.get("top_p") is not None else None,
                stop=(stop,) if isinstance(stop, str) else tuple(map(str, stop or ())),
                stream=self.stream,
            )
        except (TypeError, ValueError) as exc:
            raise _bad(f"bad parameter: {exc}") from None


def _messages(raw: Any) -> tuple[Message, ...]:
    if not isinstance(raw, list) or not raw:
        raise _bad("'messages' must be a non-empty list", "invalid_messages")
    messages = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("role"), str):
            raise _bad("each message needs a 'role' and a 'content'", "invalid_messages")
        content = item.get("content")
        if isinstance(content, list):
            if any(not isinstance(p, dict) or p.get("type") != "text" for p in content):
                raise _bad("only text content parts are supported", "invalid_messages")
            content = "".join(str(p.get("text", "")) for p in content)
        if not isinstance(content, str):
            raise _bad("each message needs a 'role' and a 'content'", "invalid_messages")
        messages.append(Message(item["role"], content))
    return tuple(messages)


def parse_call(raw: bytes, stream_header: str | None,
               caller_header: str | None = None) -> ChatCall:
    """Read a request body (and the ``x-champion-stream`` and ``x-champion-caller``
    headers).

    Raises:
        Refused: 400, saying what is wrong.
    """
    try:
        body = json.loads(raw)
    except ValueError:
        raise _bad("the body is not JSON", "invalid_json") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object", "invalid_json")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("'model' is required: 'task:<task>' or a model id", "invalid_model")
    unsupported = [name for name in UNSUPPORTED if body.get(name)]
    if body.get("n", 1) != 1:
        unsupported.append("n")
    if unsupported:
        raise _bad("not supported by this gateway: " + ", ".join(unsupported),
                   "unsupported_parameter")
    extension = body.get("champion") or {}
    if not isinstance(extension, dict):
        raise _bad("'champion' must be an object")
    variables = extension.get("vars")
    if variables is not None and not isinstance(variables, dict):
        raise _bad("'champion.vars' must be an object")
    mode = extension.get("stream") or stream_header
    if mode is not None and mode not in STREAM_MODES:
        raise _bad(f"stream mode {str(mode)[:40]!r}: expected validated or live")
    options = body.get("stream_options")
    user = body.get("user")
    caller = caller_header or (user if isinstance(user, str) else None)
    return ChatCall(
        model=model, body=body,
        messages=_messages(body.get("messages")) if variables is None or "messages" in body
        else (), stream=bool(body.get("stream")),
        include_usage=isinstance(options, dict) and bool(options.get("include_usage")),
        vars=variables, verify="judge" if extension.get("verify") == "judge"
        else bool(extension.get("verify", False)), stream_mode=mode, caller=caller or None)


def usage_of(prompt_tokens: int | None, completion_tokens: int | None) -> dict[str, int] | None:
    """OpenAI's ``usage`` object, when the backend counted both."""
    if prompt_tokens is None or completion_tokens is None:
        return None
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def completion_body(ident: str, created: int, model: str, text: str, finish_reason: str,
                    usage: dict[str, int] | None) -> bytes:
    """A whole ``chat.completion`` object."""
    answer: dict[str, Any] = {
        "id": ident, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": finish_reason}]}
    if usage is not None:
        answer["usage"] = usage
    return json.dumps(answer).encode()


def chunk(ident: str, created: int, model: str, delta: dict[str, Any] | None,
          finish_reason: str | None = None, usage: dict[str, int] | None = None) -> bytes:
    """One server-sent event with a ``chat.completion.chunk``; ``delta`` None: the
    usage chunk (no choices)."""
    event: dict[str, Any] = {"id": ident, "object": "chat.completion.chunk",
                             "created": created, "model": model,
                             "choices": [] if delta is None else [
                                 {"index": 0, "delta": delta, "finish_reason": finish_reason}]}
    if usage is not None:
        event["usage"] = usage
    return b"data: " + json.dumps(event).encode() + b"\n\n"


def stream_end(ident: str, created: int, model: str, finish_reason: str,
               usage: dict[str, int] | None, include_usage: bool) -> bytes:
    """The last events of a stream: the finish chunk, usage when asked, ``[DONE]``."""
    end = chunk(ident, created, model, {}, finish_reason)
    if include_usage and usage is not None:
        end += chunk(ident, created, model, None, usage=usage)
    return end + _DONE


def stream_error(message: str, code: str) -> bytes:
    """An error inside a stream that has already begun, then ``[DONE]``."""
    return b"data: " + error_body(message, "upstream_error", code) + b"\n\n" + _DONE
