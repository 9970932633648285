"""The provider contract: one async ``generate`` that returns a timed Completion.

Providers know nothing of suites. They receive messages and generation
parameters, and they measure their own call with ``time.perf_counter_ns`` so
the timed region holds nothing but the call itself.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar

from champion.providers.candidate import Candidate

__all__ = [
    "Completion",
    "Constraint",
    "GenerateRequest",
    "Message",
    "ModelIdentity",
    "Provider",
]


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message."""

    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Constraint:
    """Restrict decoding to one of ``labels`` or to a JSON Schema."""

    labels: tuple[str, ...] = ()
    json_schema: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class GenerateRequest:
    """Everything a provider needs for one call."""

    messages: tuple[Message, ...]
    max_tokens: int = 256
    temperature: float = 0.0
    timeout_s: float = 120.0
    seed: int | None = 0
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    constraint: Constraint | None = None


@dataclass(slots=True)
class Completion:
    """A finished call with its timings (ns from the call's own start).

    ``ttft_ns`` counts the first token of reasoning or answer; ``ttfot_ns`` the
    first answer token. ``server_timings`` keeps the backend's own figures raw.
    """

    text: str
    latency_ns: int
    ttft_ns: int | None = None
    ttfot_ns: int | None = None
    reasoning: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    tokens_estimated: bool = False
    finish_reason: str | None = None
    server_timings: dict[str, Any] | None = None
    #: Output tokens per second as the server measured it, when it does.
    server_tokens_per_s: float | None = None


@dataclass(frozen=True, slots=True)
class ModelIdentity:
    """What exactly answered: recorded with every trial."""

    provider: str
    model: str
    base_url: str | None = None
    digest: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Provider(abc.ABC):
    """A backend that can run one model configuration.

    Lifecycle: ``load`` (may be slow; part of the cold start), any number of
    ``generate`` calls, ``aclose``.
    """

    name: ClassVar[str]
    #: In-process providers run model-major with concurrency 1.
    local: ClassVar[bool] = False

    def __init__(self, candidate: Candidate) -> None:
        self.candidate = candidate

    async def load(self) -> None:  # noqa: B027 - optional hook
        """Load weights or check the endpoint; default does nothing."""

    @abc.abstractmethod
    async def generate(self, request: GenerateRequest) -> Completion:
        """Run one call. Raises a ProviderError subclass on failure."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release the model or connections."""

    def identity(self) -> ModelIdentity:
        """Provider, model, base URL (no credentials) and digest if known."""
        return ModelIdentity(self.name, self.candidate.model, self.candidate.base_url)

    def list_price(self) -> tuple[float, float, str] | None:
        """(input, output) USD per million tokens and where that came from, if known."""
        return None

    def concurrency_key(self) -> str:
        """Calls sharing a key share one concurrency limit."""
        return f"{self.name}:{self.candidate.base_url or self.candidate.model}"
