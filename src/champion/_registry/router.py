"""The Router: serve a task with its registered champion, fall back to the runner-up.

>>> router = Router.from_env()                                   # doctest: +SKIP
>>> answer = router.complete("ticket-triage", {"ticket": "charged twice"})  # doctest: +SKIP
>>> answer.value, answer.served_by, answer.fallback_reason       # doctest: +SKIP

One call renders the task's own prompt, calls the champion, and parses and
validates the output with the task's own parser (the format, never the gold
answer). An error, a timeout or output the parser rejects sends the call to the
runner-up at once. Transient errors are retried only while a retry still fits
in the model's deadline. A circuit breaker per model skips a model that failed
most of its recent calls, for a cool-down. Each model takes a bounded number of
calls in flight and in queue; beyond that it is skipped, and a call no model
has room for is refused with :class:`OverCapacity`. ``verify=True`` asks both
models at the same time and accepts only an answer they agree on;
``verify="judge"`` (a judged task) accepts only an answer the task's judge
passes (:mod:`champion._judge.production`).

The router is three parts: the :class:`~champion._registry.table.RouteTable`
(what the registry says, kept current), the
:class:`~champion._registry.serving.FallbackPair` of each route (one call,
champion then runner-up), and this class, which builds requests, times the
stages and offers the synchronous forms. Providers are created once per model
and event loop, and reused.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from champion._errors import InputError, ProviderTimeout
from champion._judge.production import RouteJudges
from champion._providers.base import Completion, GenerateRequest, Message, PieceSink
from champion._providers.candidate import Candidate
from champion._registry.answers import (
    AllModelsFailed,
    Answer,
    DisagreementError,
    ModelFailure,
    OverCapacity,
    RoutingError,
    UnknownTask,
)
from champion._registry.breaker import BreakerConfig
from champion._registry.portal import Portal
from champion._registry.routes import ModelSlot, Route
from champion._registry.serving import CallCosts, FallbackPair, Served, take_turn
from champion._registry.table import RegistryReader, RouteTable
from champion._runner.calls import RetryPolicy
from champion._runner.requests import messages_request, render_request

if TYPE_CHECKING:
    from champion._store import Store
    from champion._suite.model import Suite

__all__ = ["AllModelsFailed", "Answer", "BreakerConfig", "DisagreementError", "ModelFailure",
           "OverCapacity", "RegistryReader", "Router", "RouterConfig", "RoutingError",
           "UnknownTask"]

perf_log = logging.getLogger("champion.perf")

#: ``True``: both models must agree; ``"judge"``: the task's judge must pass the answer.
Verify = bool | Literal["judge"]


@dataclass(frozen=True, slots=True)
class RouterConfig:
    """How the router serves calls.

    Attributes:
        stage: the registry stage to serve (``dev``, ``preprod``, ``prod``).
        timeout_s: a fixed deadline per model call; None derives it from the
            model's registered p90 latency (``p90_factor`` × p90, at least
            ``min_timeout_s``), never beyond the suite's own ``timeout_s``.
            Time spent waiting for a turn counts against it.
        p90_factor: see ``timeout_s``.
        min_timeout_s: see ``timeout_s``.
        retries: retries of a transient error (5xx, 429, connection, timeout),
            each only when it still fits in the model's deadline.
        retry_backoff_s: the first retry's wait, doubled for each next one; a
            server's ``Retry-After`` is waited instead when it sends one.
        breaker: when a model's circuit breaker opens, and for how long.
        refresh_s: how often, at most, the registry's version is checked.
        max_in_flight: calls in flight per model and event loop; None: 256 for
            an HTTP model, 1 for an in-process one.
        max_queue: calls waiting per model and event loop; None: as many as
            ``max_in_flight`` (16 for an in-process model by default).
    """

    stage: str = "prod"
    timeout_s: float | None = None
    p90_factor: float = 3.0
    min_timeout_s: float = 1.0
    retries: int = 2
    retry_backoff_s: float = 0.05
    breaker: BreakerConfig = field(default_factory=BreakerConfig)
    refresh_s: float = 1.0
    max_in_flight: int | None = None
    max_queue: int | None = None


class Router:
    """Serves tasks with their registered champion and runner-up.

    Args:
        registry: a Registry, or a Store to read one from.
        config: deadlines, retries, breaker, limits and refresh settings.
        environ: where ``CHAMPION_<TASK>_MODEL`` overrides are read; default
            ``os.environ``, read whenever the registry is (re)read.
    """

    def __init__(self, registry: RegistryReader | Store, config: RouterConfig | None = None,
                 *, environ: Mapping[str, str] | None = None) -> None:
        self.config = config or RouterConfig()
        reader = registry if isinstance(registry, RegistryReader) \
            else _registry_over(registry)
        self.table = RouteTable(reader, self.config, os.environ if environ is None else environ)
        self.policy = RetryPolicy(self.config.retries, self.config.retry_backoff_s)
        self.judges = RouteJudges(reader, self.policy)
        self._portal = Portal("champion-router")

    @classmethod
    def from_env(cls, config: RouterConfig | None = None) -> Router:
        """A router over ``CHAMPION_DB`` at stage ``CHAMPION_STAGE`` (default prod)."""
        from champion._store import Store

        stage = os.environ.get("CHAMPION_STAGE") or (config.stage if config else "prod")
        return cls(Store(os.environ.get("CHAMPION_DB") or None),
                   replace(config or RouterConfig(), stage=stage))

    # -- what is served ----------------------------------------------------

    def route(self, task: str) -> Route:
        """How ``task`` is served now.

        Raises:
            UnknownTask: nothing is registered for it at this stage.
        """
        return self.table.route(task)

    def tasks(self) -> list[str]:
        """The tasks registered at this stage."""
        return self.table.tasks()

    def models(self) -> dict[str, Candidate]:
        """Every model the routes name, by id and by backend model name."""
        return self.table.models()

    def find(self, model: str) -> ModelSlot | None:
        """The registered model ``model`` names (its id, backend name or ``-m`` spec)."""
        return self.table.find(model)

    def pair(self, route: Route) -> FallbackPair:
        """The route's champion and runner-up as one provider."""
        return FallbackPair(route, self.policy)

    # -- serving -----------------------------------------------------------

    def complete(self, task: str, vars: Mapping[str, Any] | None = None, *,
                 verify: Verify = False, messages: Sequence[Message] | None = None) -> Answer:
        """Synchronous :meth:`acomplete`; also works inside a running event loop."""
        return self._portal.call(self.acomplete(task, vars, verify=verify, messages=messages))

    async def acomplete(self, task: str, vars: Mapping[str, Any] | None = None, *,
                        verify: Verify = False, messages: Sequence[Message] | None = None
                        ) -> Answer:
        """Answer ``task`` for ``vars`` with its champion, or its runner-up.

        Args:
            task: a registered task.
            vars: the task's template vars; its own prompt is rendered from them.
            verify: ask both models at once; accept only an answer they agree on.
                ``"judge"``: accept only an answer the task's judge passes (the
                champion's, else the runner-up's).
            messages: send these messages instead of rendering the prompt (the
                task's parameters, parser and validation still apply).

        Raises:
            UnknownTask: nothing is registered for ``task``.
            InputError: a template var is missing; ``verify`` without a runner-up.
            OverCapacity: no model had room for the call.
            AllModelsFailed: every model failed; ``failures`` says how.
            DisagreementError: ``verify`` and the models did not agree.
            JudgeRejected: ``verify="judge"`` and the judge passed no answer.
        """
        start = time.perf_counter_ns()
        route = self.route(task)
        request = build_request(route.suite, vars, messages)
        built = time.perf_counter_ns()
        served = await self.aserve(route, request, verify=verify, vars=vars)
        end = time.perf_counter_ns()
        answer = answer_of(route, served, bool(verify), timings(start, built, end, served))
        if perf_log.isEnabledFor(logging.INFO):
            for stage, ms in answer.timings.items():
                perf_log.info("[PERF] task=%s stage=%s ms=%.3f served_by=%s", task,
                              stage.removesuffix("_ms"), ms, answer.served_by)
        return answer

    async def aserve(self, route: Route, request: GenerateRequest, *, verify: Verify = False,
                     sink: PieceSink | None = None, costs: CallCosts | None = None,
                     vars: Mapping[str, Any] | None = None) -> Served:
        """Serve ``request`` on ``route``: the pair's first usable answer, or (``verify``)
        the champion's when both agree. ``sink`` gets answer text as it arrives (no
        fallback after the first piece; not with ``verify``); ``costs`` is filled as
        the call goes; ``vars`` are the task's vars (the judge sees them).

        Raises:
            InputError: ``verify`` without a runner-up.
            OverCapacity, AllModelsFailed, DisagreementError: see :meth:`acomplete`.
        """
        if verify == "judge":
            return await self.judges.serve(route, request, vars, costs)
        if verify:
            return await self._verify(route, request)
        return await FallbackPair(route, self.policy).serve(request, sink, costs)

    async def _verify(self, route: Route, request: GenerateRequest) -> Served:
        if route.runner_up is None:
            raise InputError(f"{route.task}: verify=True needs a runner-up, and none is"
                             " registered")
        first, second = await asyncio.gather(
            *(take_turn(route, role, slot, deadline, request, self.policy)
              for role, slot, deadline in route.chain()))
        if isinstance(first, Served) and isinstance(second, Served):
            if first.parsed.value == second.parsed.value:
                first.queue_ns = max(first.queue_ns, second.queue_ns)
                return first
            raise DisagreementError(route.task, _bare(route, first), _bare(route, second))
        failures = tuple(r for r in (first, second) if isinstance(r, ModelFailure))
        if len(failures) == 2:
            raise AllModelsFailed(route.task, failures)
        raise DisagreementError(
            route.task, _bare(route, first) if isinstance(first, Served) else None,
            _bare(route, second) if isinstance(second, Served) else None, failures)

    # -- pass-through ------------------------------------------------------

    async def agenerate(self, model: str, request: GenerateRequest) -> Completion:
        """Call one registered model directly (its id, backend model name or ``-m``
        spec), within ``request.timeout_s``; no fallback, no retry, no parsing.

        Raises:
            KeyError: no route names ``model``.
            OverCapacity: the model has no room for the call.
            ProviderError: the call failed.
        """
        slot = self.find(model)
        if slot is None:
            raise KeyError(model)
        completion, _queued = await self.apassthrough(slot, request)
        return completion

    async def apassthrough(self, slot: ModelSlot, request: GenerateRequest,
                           sink: PieceSink | None = None) -> tuple[Completion, int]:
        """One call to ``slot``'s model through its admission, within
        ``request.timeout_s`` (queueing included); returns the completion and the
        ns spent waiting for a turn.

        Raises:
            OverCapacity: the model has no room for the call.
            ProviderError: the call failed.
        """
        admission = slot.admission()
        queued = await admission.acquire(request.timeout_s - slot.expected_s())
        budget = request.timeout_s - queued / 1e9
        provider = slot.provider()
        start = time.perf_counter()
        try:
            async with asyncio.timeout(budget):
                if sink is None:
                    completion = await provider.generate(request)
                else:
                    completion = await provider.generate_streaming(request, sink)
        except TimeoutError:
            raise ProviderTimeout(f"no answer within {request.timeout_s:g} s") from None
        finally:
            admission.release()
        slot.answered(time.perf_counter() - start)
        return completion, queued

    # -- lifecycle ---------------------------------------------------------

    async def aclose(self) -> None:
        """Close this event loop's connections."""
        for slot in self.table.slots():
            await slot.aclose()
        await self.judges.aclose()

    def close(self) -> None:
        """Close every connection and stop the loop of synchronous calls."""
        if self._portal.started:
            self._portal.call(self.aclose())
            self._portal.stop()

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Router:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()
        self.close()


def _registry_over(store: Store) -> RegistryReader:
    from champion._registry.entries import Registry

    return Registry(store)


def build_request(suite: Suite, vars: Mapping[str, Any] | None,
                  messages: Sequence[Message] | None) -> GenerateRequest:
    """The task's request: its own prompt rendered from ``vars``, or ``messages``
    with the task's parameters and constraint.

    Raises:
        InputError: a var the prompt needs is missing.
    """
    if messages is not None:
        return messages_request(suite, messages)
    try:
        return render_request(suite, vars or {})
    except KeyError as exc:
        raise InputError(f"{suite.task}: the prompt needs the var {exc.args[0]!r}") from None


def timings(start: int, built: int, end: int, served: Served) -> Mapping[str, float]:
    """The stages of one call in ms, from its start, the request built, and its end
    (``judge_ms`` too when the task's judge was asked)."""
    stages = {
        "prompt_build_ms": (built - start) / 1e6,
        "queue_ms": served.queue_ns / 1e6,
        "inference_ms": (end - built - served.parse_ns - served.queue_ns - served.judge_ns)
        / 1e6,
        "parse_ms": served.parse_ns / 1e6,
        "total_ms": (end - start) / 1e6,
    }
    if served.judge_ns:
        stages["judge_ms"] = served.judge_ns / 1e6
    return MappingProxyType(stages)


def answer_of(route: Route, served: Served, verified: bool,
              stages: Mapping[str, float]) -> Answer:
    """The :class:`Answer` of a served call."""
    completion = served.completion
    return Answer(route.task, served.parsed.value, completion.text, served.slot.name,
                  served.slot.candidate.model, served.fallback_reason, stages, verified,
                  completion.prompt_tokens, completion.completion_tokens,
                  completion.finish_reason)


def _bare(route: Route, served: Served) -> Answer:
    return answer_of(route, served, False, MappingProxyType({}))
