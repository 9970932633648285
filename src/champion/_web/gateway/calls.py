"""What the gateway knows about one call once it is answered, and who is told.

A :class:`CallRecord` goes to every observer after the answer was sent (off
the response path): the metrics, the access log, the production sample
recorder. It holds timings, models, outcome and token counts; the prompt and
the answer ride along for observers that may keep them (the recorder, with
``--record-text``), and no observer logs or labels them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from champion._providers.base import GenerateRequest, Message
from champion._registry.answers import ModelFailure
from champion._registry.routes import Route

__all__ = ["CallObserver", "CallRecord", "Stages"]


@dataclass(slots=True)
class Stages:
    """Where one call's time went, in ns from the request's arrival."""

    prompt_build_ns: int = 0
    queue_ns: int = 0
    inference_ns: int = 0
    parse_ns: int = 0
    total_ns: int = 0
    #: Until the first chunk of a streamed answer left the gateway.
    first_chunk_ns: int | None = None

    def header(self) -> str:
        """The ``x-champion-timing`` value (ms):
        ``prompt_build=…;queue=…;inference=…;parse=…;total=…``."""
        return (f"prompt_build={self.prompt_build_ns / 1e6:.3f};queue={self.queue_ns / 1e6:.3f};"
                f"inference={self.inference_ns / 1e6:.3f};parse={self.parse_ns / 1e6:.3f};"
                f"total={self.total_ns / 1e6:.3f}")


@dataclass(slots=True)
class CallRecord:
    """One answered call (any status).

    Attributes:
        task: the task of a ``task:`` call; empty for a pass-through call.
        requested: the ``model`` the client sent.
        served_by: the id of the model that answered; empty when none did.
        status: the HTTP status sent.
        error_type: empty when served; else what went wrong (a closed set:
            provider error kinds, ``all_models_failed``, ``disagreement``,
            ``judge_rejected``, ``over_capacity``).
        fallbacks: why each model before ``served_by`` did not serve.
        stream: ``none``, ``validated`` or ``live``.
        stages: where the time went.
        parse_ok: whether the task's parser accepted the answer (None: not parsed).
        prompt_tokens, completion_tokens, finish_reason: as the backend said.
        messages: the prompt sent (never logged).
        answer: the answer text (never logged).
        at: when the request arrived.
        route: the pair chosen for a task's call (a canary's, maybe).
        request: the request the models of a task's call were sent (never logged).
        value: what the task's parser made of the answer.
        vars: the task's template vars, when the caller sent them (never logged).
    """

    task: str
    requested: str
    served_by: str = ""
    status: int = 200
    error_type: str = ""
    fallbacks: tuple[ModelFailure, ...] = ()
    stream: str = "none"
    stages: Stages = field(default_factory=Stages)
    parse_ok: bool | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    messages: tuple[Message, ...] = ()
    answer: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    route: Route | None = None
    request: GenerateRequest | None = None
    value: Any = None
    vars: dict[str, Any] | None = None

    @property
    def fallback_kinds(self) -> str:
        """The kinds of failure that led to a fallback, e.g. ``timeout``; empty: none."""
        return ",".join(f.kind for f in self.fallbacks)


class CallObserver(Protocol):
    """Told of every answered call, after its answer was sent; must not block."""

    def observe(self, call: CallRecord) -> None:
        """Take note of ``call``."""
        ...
