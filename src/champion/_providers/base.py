"""The provider contract: one async ``generate`` that returns a timed Completion.

Providers know nothing of suites. They receive messages and generation
parameters, and they measure their own call with ``time.perf_counter_ns`` so
the timed region holds nothing but the call itself.

Each provider reads its ``options`` once, into a frozen pydantic model
(:func:`parse_options`): a value of the wrong type is a ``CandidateError``, an
unknown key is never sent and is reported by :meth:`Provider.unapplied_settings`,
with every other setting the backend cannot apply.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from champion._errors import CandidateError
from champion._providers.candidate import Candidate
from champion._secrets import redact

__all__ = [
    "Completion",
    "Constraint",
    "GenerateRequest",
    "Image",
    "Message",
    "ModelIdentity",
    "PieceSink",
    "Provider",
    "ProviderOptions",
    "parse_options",
]

#: The default cap on an answer (content and reasoning), in characters.
MAX_ANSWER_CHARS = 1_000_000

#: Receives each piece of answer text as the backend sends it (see
#: :meth:`Provider.generate_streaming`); called inside the timed loop, so it must be cheap.
PieceSink = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Image:
    """An image sent with a message: its media type and its bytes in base64."""

    media_type: str
    data: str

    @property
    def data_uri(self) -> str:
        """The image as a ``data:`` URI."""
        return f"data:{self.media_type};base64,{self.data}"


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message; ``images`` go with it (user messages of image cases)."""

    role: str
    content: str
    images: tuple[Image, ...] = ()


@dataclass(frozen=True, slots=True)
class Constraint:
    """Restrict decoding to one of ``labels`` or to a JSON Schema."""

    labels: tuple[str, ...] = ()
    json_schema: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class GenerateRequest:
    """Everything a provider needs for one call.

    ``extra_params`` holds generation parameters beyond the common ones (a
    suite's ``top_k``, ``min_p``, ...): a provider sends those its backend
    takes and names the others in :meth:`Provider.unapplied_settings`.
    ``stream`` False asks for one whole answer where the protocol allows it
    (cheaper to read; no TTFT); None leaves it to the provider's own setting.
    """

    messages: tuple[Message, ...]
    max_tokens: int = 256
    temperature: float = 0.0
    timeout_s: float = 120.0
    seed: int | None = 0
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    constraint: Constraint | None = None
    extra_params: Mapping[str, Any] = field(default_factory=dict)
    stream: bool | None = None


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


class ProviderOptions(BaseModel):
    """Base of every provider's typed options (the models file's ``options``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


_O = TypeVar("_O", bound=ProviderOptions)


def parse_options(model: type[_O], candidate: Candidate,
                  known: frozenset[str] = frozenset()) -> tuple[_O, tuple[str, ...]]:
    """The candidate's options as ``model``, and the keys neither it nor ``known`` has.

    Raises:
        CandidateError: an option has a value of the wrong type.
    """
    fields = set(model.model_fields)
    unknown = tuple(sorted(k for k in candidate.options if k not in fields and k not in known))
    try:
        parsed = model.model_validate({k: v for k, v in candidate.options.items()
                                       if k in fields})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise CandidateError(redact(f"{candidate.id or candidate.model}: options.{where}:"
                                    f" {error['msg']}")) from None
    return parsed, unknown


class Provider(abc.ABC):
    """A backend that can run one model configuration.

    Lifecycle: ``load`` (may be slow; part of the cold start), any number of
    ``generate`` calls, ``aclose``.
    """

    name: ClassVar[str]
    #: In-process providers run model-major with concurrency 1 (a Ray executor runs
    #: them in an actor on a worker). A class may let a candidate's options decide.
    local: bool = False

    #: ``GenerateRequest.extra_params`` keys this provider applies.
    extra_params: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, candidate: Candidate) -> None:
        self.candidate = candidate
        #: Option keys the provider does not know; never sent.
        self.unknown_options: tuple[str, ...] = ()

    def preflight(self) -> None:  # noqa: B027 - optional hook
        """Check what can be known before any call (a key's variable is set, ...).

        Raises:
            ProviderError: a subclass naming the problem (``MissingKey``, ...).
        """

    async def load(self) -> None:  # noqa: B027 - optional hook
        """Load weights or check the endpoint; default does nothing."""

    @abc.abstractmethod
    async def generate(self, request: GenerateRequest) -> Completion:
        """Run one call. Raises a ProviderError subclass on failure."""

    async def generate_streaming(self, request: GenerateRequest, sink: PieceSink) -> Completion:
        """:meth:`generate`, handing each piece of answer text to ``sink`` as it arrives.

        The default hands over the whole answer at the end; streaming providers
        override it. The returned Completion is the same as :meth:`generate`'s.
        """
        completion = await self.generate(request)
        if completion.text:
            sink(completion.text)
        return completion

    def unapplied_settings(self, request: GenerateRequest) -> list[str]:
        """One human-readable note per setting this provider cannot apply to ``request``.

        The base class names unknown options and extra parameters outside
        :attr:`extra_params`; providers add what their backend cannot do.
        """
        notes = [f"option {key!r} is unknown to the {self.name} provider; it is not sent"
                 for key in self.unknown_options]
        notes += [f"parameter {key!r} is not applied by the {self.name} provider"
                  for key in sorted(request.extra_params) if key not in self.extra_params]
        return notes

    async def release(self) -> None:  # noqa: B027 - optional hook
        """Free what the loaded model holds (weights, a server's memory), keeping
        connections; ``load`` brings it back. Default: nothing to free."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release the model and close connections."""

    def identity(self) -> ModelIdentity:
        """Provider, model, base URL (no credentials) and digest if known."""
        return ModelIdentity(self.name, self.candidate.model, self.candidate.base_url)

    def key_suffix(self) -> str:
        """What sets this configuration apart from the plain model in its key
        (``+lora:<sha256[:12]>`` for an adapter); empty when nothing does."""
        return ""

    def settled_options(self) -> dict[str, Any]:
        """Options the provider settled on while warming up (``constrain_with: auto``
        resolved, ...): recorded with the candidate, so production calls the model
        the way it was measured. Default: none."""
        return {}

    def threads(self) -> int | None:
        """CPU threads the loaded model computes with, when the backend says; None
        otherwise (recorded with each trial run on a Ray worker)."""
        return None

    def memory_mb(self) -> float | None:
        """Memory the loaded model takes as its backend reports it (MB), None when it
        does not say; in-process models are measured by the runner instead."""
        return None

    def list_price(self) -> tuple[float, float, str] | None:
        """(input, output) USD per million tokens and where that came from, if known."""
        return None

