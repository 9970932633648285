"""One call of a task: the champion, and the runner-up when the champion does not serve.

:class:`FallbackPair` is a :class:`~champion._providers.base.Provider` (like
pydantic-ai's ``FallbackModel``): anything that calls a provider can call a
task's pair and get its fallback, breaker, backpressure and output check.
Each model's turn (:func:`take_turn`):

1. its circuit breaker may skip it (``circuit_open``);
2. it waits for a turn in its admission (bounded in flight and in queue); a
   full queue, or a turn that would come too late to answer within the
   deadline, skips it (``over_capacity``) without counting against its breaker;
3. the call runs through :func:`champion._runner.calls.call` (the runner's
   call-with-retries) within what is left of its deadline after queueing;
4. the answer is parsed and validated with the task's own parser.

A call whose answer text already went to a live stream is never handed to the
next model: its failure ends the call, and its answer is served even when the
parser rejects it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import ClassVar

from champion._errors import CandidateError, ChampionError, ProviderError
from champion._providers.base import Completion, GenerateRequest, PieceSink, Provider
from champion._registry.answers import AllModelsFailed, ModelFailure, OverCapacity
from champion._registry.routes import ModelSlot, Role, Route
from champion._runner.calls import RetryPolicy, call
from champion._scoring.parsers import Parsed
from champion._secrets import redact

__all__ = ["CallCosts", "FallbackPair", "Served", "take_turn"]


@dataclass(slots=True)
class Served:
    """A model's answer to one call, and what it took.

    Attributes:
        slot: the model that answered.
        role: ``champion`` or ``runner-up``.
        completion: its answer, timings and token counts.
        parsed: what the task's parser made of it (``ok`` is False only when a
            live stream already carried it).
        failures: why the models tried before did not serve (empty: no fallback).
        queue_ns: time spent waiting for a turn, over every model tried.
        inference_ns: time spent in model calls (retries and waits included).
        parse_ns: time spent parsing and validating answers.
        judge_ns: time spent asking the task's judge (``verify="judge"``).
    """

    slot: ModelSlot
    role: Role
    completion: Completion
    parsed: Parsed
    failures: tuple[ModelFailure, ...] = ()
    queue_ns: int = 0
    inference_ns: int = 0
    parse_ns: int = 0
    judge_ns: int = 0

    @property
    def fallback_reason(self) -> str | None:
        """Why the champion did not serve, None when it did."""
        return "; ".join(map(str, self.failures)) if self.failures else None


@dataclass(slots=True)
class CallCosts:
    """What a call has cost and tried so far (read by a live stream before the call ends).

    Attributes:
        queue_ns, inference_ns, parse_ns: time spent so far, over every model tried.
        failures: why the models tried so far did not serve.
        refusals: the models that had no room.
        current: the model being called now (or last).
    """

    queue_ns: int = 0
    inference_ns: int = 0
    parse_ns: int = 0
    failures: list[ModelFailure] = field(default_factory=list)
    refusals: list[OverCapacity] = field(default_factory=list)
    current: ModelSlot | None = None


class _Watched:
    """Forwards pieces to a live stream and remembers that it did."""

    __slots__ = ("sink", "used")

    def __init__(self, sink: PieceSink) -> None:
        self.sink = sink
        self.used = False

    def __call__(self, piece: str) -> None:
        self.used = True
        self.sink(piece)


def _failure(slot: ModelSlot, role: Role, error: ChampionError, attempts: int) -> ModelFailure:
    kind = error.kind if isinstance(error, ProviderError) else (
        "rejected" if isinstance(error, CandidateError) else "internal")
    message = str(error)
    if not message.startswith(kind):
        message = f"{kind}: {message}"
    return ModelFailure(slot.name, role, kind, redact(message), attempts)


def _quote(text: str, limit: int = 80) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


async def take_turn(route: Route, role: Role, slot: ModelSlot, deadline_s: float,
                    request: GenerateRequest, policy: RetryPolicy, costs: CallCosts | None = None,
                    sink: _Watched | None = None) -> Served | ModelFailure:
    """One model's turn at a call (see the module's docstring); never raises for the
    model's own failures."""
    costs = costs if costs is not None else CallCosts()
    breaker = slot.breaker
    if not breaker.allow():
        return ModelFailure(slot.name, role, "circuit_open",
                            f"circuit open: skipped for another {breaker.retry_in_s():.1f} s", 0)
    try:
        provider = slot.provider()
        admission = slot.admission()
    except ChampionError as exc:  # the candidate cannot even be set up
        breaker.record(False)
        return _failure(slot, role, exc, 0)
    expected_s = slot.expected_s()
    try:
        queued = await admission.acquire(deadline_s - expected_s)
    except OverCapacity as exc:
        costs.refusals.append(exc)
        return ModelFailure(slot.name, role, "over_capacity", f"over_capacity: {exc}", 0)
    costs.queue_ns += queued
    costs.current = slot
    start = time.perf_counter_ns()
    try:
        completion = await call(provider, request, policy, timeout_s=deadline_s - queued / 1e9,
                                expected_s=expected_s, sink=sink)
    except ChampionError as exc:
        breaker.record(False)
        return _failure(slot, role, exc, 1)
    except Exception as exc:  # a provider bug is this model's failure, not the caller's
        breaker.record(False)
        return _failure(slot, role, ProviderError(f"{type(exc).__name__}: {exc}"), 1)
    finally:
        admission.release()
        took = time.perf_counter_ns() - start
        costs.inference_ns += took
    slot.answered(took / 1e9)
    parse_start = time.perf_counter_ns()
    parsed = route.output.parse(completion.text)
    costs.parse_ns += time.perf_counter_ns() - parse_start
    breaker.record(parsed.ok)
    if parsed.ok or (sink is not None and sink.used):
        return Served(slot, role, completion, parsed)
    return ModelFailure(slot.name, role, "unparseable",
                        f"unparseable: {parsed.error}: {_quote(completion.text)}", 1)


class FallbackPair(Provider):
    """A task's champion and runner-up, called as one provider.

    Args:
        route: the task's route (models, deadlines, output format).
        policy: retries of transient errors within each model's deadline.
    """

    name: ClassVar[str] = "fallback"

    def __init__(self, route: Route, policy: RetryPolicy) -> None:
        super().__init__(route.champion.candidate)
        self.route = route
        self.policy = policy

    async def serve(self, request: GenerateRequest, sink: PieceSink | None = None,
                    costs: CallCosts | None = None) -> Served:
        """The first usable answer, champion first.

        Args:
            sink: a live stream's consumer: answer text goes to it as it arrives,
                and after the first piece there is no fallback.
            costs: filled as the call goes (a live stream reads it at its first piece).

        Raises:
            OverCapacity: every model that was tried had no room (a 429).
            AllModelsFailed: every model failed; ``failures`` says how.
        """
        costs = costs if costs is not None else CallCosts()
        failures = costs.failures
        watched = None if sink is None else _Watched(sink)
        for role, slot, deadline in self.route.chain():
            outcome = await take_turn(self.route, role, slot, deadline, request, self.policy,
                                      costs, watched)
            if isinstance(outcome, Served):
                outcome.failures = tuple(failures)
                outcome.queue_ns, outcome.inference_ns = costs.queue_ns, costs.inference_ns
                outcome.parse_ns = costs.parse_ns
                return outcome
            failures.append(outcome)
            if watched is not None and watched.used:
                break  # the caller has part of this answer: no other model may follow
        if costs.refusals and all(f.kind in ("over_capacity", "circuit_open")
                                  for f in failures):
            raise costs.refusals[0]  # nobody failed: the models are busy, come back later
        raise AllModelsFailed(self.route.task, tuple(failures))

    async def generate(self, request: GenerateRequest) -> Completion:
        """The served answer's completion (see :meth:`serve`)."""
        return (await self.serve(request)).completion
