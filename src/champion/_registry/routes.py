"""What the router serves a task with: its suite, its output format, and the
champion and runner-up as callable model slots.

A route is built when the registry is read (and again only when it changed).
Environment variables override the registered models of one task:
``CHAMPION_<TASK>_MODEL``, ``_PROVIDER`` and ``_BASE_URL`` for the champion,
``CHAMPION_<TASK>_FALLBACK_MODEL``, ``_FALLBACK_PROVIDER`` and
``_FALLBACK_BASE_URL`` for the runner-up (TASK upper-cased, every
non-alphanumeric character turned into ``_``): the variables
``champion registry --format env`` writes.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from champion._providers.candidate import Candidate, public_url
from champion._registry.admission import Admission
from champion._registry.breaker import BreakerConfig, CircuitBreaker
from champion._scoring.outputs import OutputFormat
from champion._suite.model import Suite

if TYPE_CHECKING:
    from champion._providers.base import Provider

__all__ = ["HTTP_IN_FLIGHT", "LOCAL_IN_FLIGHT", "LOCAL_QUEUE", "CanaryRoute", "ModelSlot",
           "OutputFormat", "Route", "SlotLimits", "env_prefix", "override_candidate"]

#: Calls in flight per model and event loop (a gateway worker) by default: an HTTP model...
HTTP_IN_FLIGHT = 256
#: ...and an in-process model, which answers one call at a time,
LOCAL_IN_FLIGHT = 1
#: with this many more waiting (an HTTP model's queue is as long as its in-flight bound).
LOCAL_QUEUE = 16

Role = Literal["champion", "runner-up"]


@dataclass(frozen=True, slots=True)
class SlotLimits:
    """Calls in flight and waiting per model; None: sized from the backend
    (:data:`HTTP_IN_FLIGHT`, or :data:`LOCAL_IN_FLIGHT` and :data:`LOCAL_QUEUE`)."""

    max_in_flight: int | None = None
    max_queue: int | None = None

    def of(self, local: bool) -> tuple[int, int]:
        """(in flight, queue) for an in-process (``local``) or HTTP model."""
        limit = self.max_in_flight or (LOCAL_IN_FLIGHT if local else HTTP_IN_FLIGHT)
        default_queue = LOCAL_QUEUE if local and self.max_in_flight is None else limit
        return limit, default_queue if self.max_queue is None else self.max_queue


class ModelSlot:
    """One model the router calls: its candidate, figures, breaker, providers and admission.

    Providers and admissions are created on first use, once per event loop
    (an HTTP client's connections belong to the loop that opened them), and
    then reused.
    """

    __slots__ = ("_admissions", "_on_queue", "_providers", "breaker", "candidate", "key",
                 "limits", "median_ms", "name", "p90_ms", "recent_s")

    def __init__(self, candidate: Candidate, key: str, breaker: BreakerConfig,
                 limits: SlotLimits | None = None,
                 on_queue: Callable[[str, int], None] | None = None, *,
                 median_ms: float | None = None, p90_ms: float | None = None) -> None:
        self.candidate = candidate
        self.key = key
        self.name = candidate.id or candidate.model
        self.median_ms = median_ms
        self.p90_ms = p90_ms
        self.breaker = CircuitBreaker(breaker)
        #: A moving average of this model's recent answered calls (s), None before one.
        self.recent_s: float | None = None
        self.limits = limits or SlotLimits()
        self._on_queue = on_queue
        self._providers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Provider] = \
            weakref.WeakKeyDictionary()
        self._admissions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Admission] = \
            weakref.WeakKeyDictionary()

    def provider(self) -> Provider:
        """This loop's provider for the model."""
        loop = asyncio.get_running_loop()
        provider = self._providers.get(loop)
        if provider is None:
            from champion._providers.registry import create_provider

            provider = create_provider(self.candidate)
            self._providers[loop] = provider
        return provider

    def admission(self) -> Admission:
        """This loop's bound on the model's calls in flight and waiting."""
        loop = asyncio.get_running_loop()
        admission = self._admissions.get(loop)
        if admission is None:
            limit, queue = self.limits.of(self.provider().local)
            admission = Admission(self.name, limit, queue, self._on_queue)
            self._admissions[loop] = admission
        return admission

    def expected_s(self) -> float:
        """How long a call to this model is expected to take: its registered median,
        else the average of its recent calls, else 0."""
        if self.median_ms is not None:
            return self.median_ms / 1000
        return self.recent_s or 0.0

    def answered(self, seconds: float) -> None:
        """Count an answered call's duration into :attr:`recent_s`."""
        recent = self.recent_s
        self.recent_s = seconds if recent is None else recent + 0.1 * (seconds - recent)

    @property
    def waiting(self) -> int:
        """Calls waiting for this model now, over every loop."""
        return sum(admission.waiting for admission in list(self._admissions.values()))

    async def aclose(self) -> None:
        """Close this loop's provider (connections of other loops close with them)."""
        provider = self._providers.pop(asyncio.get_running_loop(), None)
        if provider is not None:
            await provider.aclose()

    def retire(self) -> None:
        """Close the providers of a model no route uses any more, each on its own loop."""
        for loop, provider in list(self._providers.items()):
            if not loop.is_closed():
                loop.call_soon_threadsafe(_close_soon, provider)
        self._providers.clear()

    def deadline_s(self, suite: Suite, fixed_s: float | None, p90_factor: float,
                   floor_s: float) -> float:
        """The deadline of one call to this model for ``suite``.

        ``fixed_s`` when set; else ``p90_factor`` × the registered p90 latency,
        at least ``floor_s``; never beyond the suite's own ``timeout_s``.
        """
        ceiling = suite.params.timeout_s
        if fixed_s is not None:
            return fixed_s
        if self.p90_ms is None:
            return ceiling
        return min(ceiling, max(floor_s, p90_factor * self.p90_ms / 1000))


_closing: set[asyncio.Task[None]] = set()  # held until done: a loop keeps weak references


def _close_soon(provider: Provider) -> None:
    task = asyncio.get_running_loop().create_task(provider.aclose())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


@dataclass(frozen=True, slots=True)
class Route:
    """How one task is served."""

    task: str
    suite: Suite
    output: OutputFormat
    champion: ModelSlot
    runner_up: ModelSlot | None
    champion_deadline_s: float
    runner_up_deadline_s: float
    run_id: str | None = None
    #: Set on a canary's own pair: the canary's id.
    canary_id: int | None = None

    def chain(self) -> tuple[tuple[Role, ModelSlot, float], ...]:
        """(role, model, deadline) in the order they are tried."""
        first: tuple[Role, ModelSlot, float] = ("champion", self.champion,
                                                self.champion_deadline_s)
        if self.runner_up is None:
            return (first,)
        return (first, ("runner-up", self.runner_up, self.runner_up_deadline_s))


@dataclass(frozen=True, slots=True)
class CanaryRoute:
    """A canary in progress on a task: its own pair (``route``) serves ``share`` % of
    the calls, in the interval ``interval_no`` that started at ``interval_started_at``
    and lasts ``interval_s``."""

    id: int
    task: str
    share: float
    interval_no: int
    interval_started_at: datetime
    interval_s: float
    route: Route


def env_prefix(task: str) -> str:
    """``CHAMPION_<TASK>_``: TASK upper-cased, non-alphanumerics turned into ``_``."""
    return "CHAMPION_" + re.sub(r"[^A-Za-z0-9]", "_", task).upper() + "_"


def model_key(candidate: Candidate) -> str:
    """provider/model@endpoint: the same model has the same key wherever it is named."""
    url = public_url(candidate.resolved_base_url())
    return f"{candidate.provider}/{candidate.model}" + (f"@{url}" if url else "")


def override_candidate(task: str, role: Role, registered: Candidate | None,
                       environ: Mapping[str, str],
                       known: Mapping[str, Candidate] | None = None) -> Candidate | None:
    """The candidate the environment names for ``role`` of ``task``: None when it names
    none, ``registered`` when it names that very model.

    A model the environment names by the id or backend name of another registered
    model on the same provider (and endpoint, when one is given) is that model, so it
    serves under its id. Settings the environment leaves out come from the registered
    model when it runs on the same provider (its endpoint, API key variable and options).
    """
    prefix = env_prefix(task) + ("" if role == "champion" else "FALLBACK_")
    model = environ.get(prefix + "MODEL")
    if not model:
        return None
    provider = environ.get(prefix + "PROVIDER") or (
        registered.provider if registered is not None else "openai")
    base_url = environ.get(prefix + "BASE_URL") or None
    if (registered is not None and registered.provider == provider
            and registered.model == model and base_url in (None, registered.base_url)):
        return registered
    for candidate in (known or {}).values():
        if (model in (candidate.id, candidate.model) and candidate.provider == provider
                and base_url in (None, candidate.base_url)):
            return candidate
    if registered is not None and registered.provider == provider:
        return registered.model_copy(update={
            "id": model, "model": model, "base_url": base_url or registered.base_url})
    return Candidate(id=model, provider=provider, model=model, base_url=base_url)
