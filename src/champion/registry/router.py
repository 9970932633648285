"""The Router: serve a task with its registered champion, fall back to the runner-up.

>>> router = Router.from_env()                                   # doctest: +SKIP
>>> answer = router.complete("ticket-triage", {"ticket": "charged twice"})  # doctest: +SKIP
>>> answer.value, answer.served_by, answer.fallback_reason       # doctest: +SKIP

One call renders the task's own prompt, calls the champion, and parses and
validates the output with the task's own parser (the format, never the gold
answer). An error, a timeout or output the parser rejects sends the call to the
runner-up at once. Transient errors are retried only while a retry still fits
in the model's deadline. A circuit breaker per model skips a model that failed
most of its recent calls, for a cool-down. ``verify=True`` asks both models at
the same time and accepts only an answer they agree on.

The registry is read once and again only when its version changed (checked at
most every ``refresh_s``). Providers are created once per model and reused.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from champion.errors import ChampionError, InputError, ProviderError, ProviderTimeout
from champion.providers.base import Completion, GenerateRequest, Message
from champion.providers.candidate import Candidate
from champion.registry.answers import (
    AllModelsFailed,
    Answer,
    DisagreementError,
    ModelFailure,
    RoutingError,
    UnknownTask,
)
from champion.registry.breaker import BreakerConfig
from champion.registry.portal import Portal
from champion.registry.routes import (
    ModelSlot,
    OutputFormat,
    Role,
    Route,
    model_key,
    override_candidate,
)
from champion.runner.requests import messages_request, render_request
from champion.scoring.parsers import Parsed
from champion.secrets import redact

if TYPE_CHECKING:
    from champion.store import Store
    from champion.suite.model import Suite

__all__ = ["AllModelsFailed", "Answer", "BreakerConfig", "DisagreementError", "ModelFailure",
           "Router", "RouterConfig", "RoutingError", "UnknownTask"]

perf_log = logging.getLogger("champion.perf")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RouterConfig:
    """How the router serves calls.

    Attributes:
        stage: the registry stage to serve (``dev``, ``preprod``, ``prod``).
        timeout_s: a fixed deadline per model call; None derives it from the
            model's registered p90 latency (``p90_factor`` × p90, at least
            ``min_timeout_s``), never beyond the suite's own ``timeout_s``.
        p90_factor: see ``timeout_s``.
        min_timeout_s: see ``timeout_s``.
        retries: retries of a transient error (5xx, 429, connection, timeout),
            each only when it still fits in the model's deadline.
        retry_backoff_s: the first retry's wait; doubled for each next one, and
            at least the server's ``Retry-After``.
        breaker: when a model's circuit breaker opens, and for how long.
        refresh_s: how often, at most, the registry's version is checked.
    """

    stage: str = "prod"
    timeout_s: float | None = None
    p90_factor: float = 3.0
    min_timeout_s: float = 1.0
    retries: int = 2
    retry_backoff_s: float = 0.05
    breaker: BreakerConfig = field(default_factory=BreakerConfig)
    refresh_s: float = 1.0


class _Model(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def candidate(self) -> Candidate: ...
    @property
    def median_ms(self) -> float | None: ...
    @property
    def p90_ms(self) -> float | None: ...


class _Entry(Protocol):
    @property
    def task(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def champion(self) -> _Model: ...
    @property
    def runner_up(self) -> _Model | None: ...
    @property
    def suite(self) -> Suite: ...


@runtime_checkable
class RegistryReader(Protocol):
    """What the router reads from the registry."""

    def entries(self, stage: str | None = None) -> Sequence[_Entry]:
        """Every registered task at ``stage``."""
        ...

    def version(self) -> int:
        """A number that changes with every promotion or rollback."""
        ...


class _Served:
    """A model's accepted answer."""

    __slots__ = ("attempts", "completion", "parsed", "role", "slot")

    def __init__(self, slot: ModelSlot, role: Role, completion: Completion, parsed: Parsed,
                 attempts: int) -> None:
        self.slot, self.role, self.completion = slot, role, completion
        self.parsed, self.attempts = parsed, attempts


_Outcome = tuple[_Served | ModelFailure, int]  # and the ns spent parsing


class Router:
    """Serves tasks with their registered champion and runner-up.

    Args:
        registry: a Registry, or a Store to read one from.
        config: deadlines, retries, breaker and refresh settings.
        environ: where ``CHAMPION_<TASK>_MODEL`` overrides are read; default
            ``os.environ``, read whenever the registry is (re)read.
    """

    def __init__(self, registry: RegistryReader | Store, config: RouterConfig | None = None,
                 *, environ: Mapping[str, str] | None = None) -> None:
        self.config = config or RouterConfig()
        self._registry = registry if isinstance(registry, RegistryReader) \
            else _registry_over(registry)
        self._environ = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self._version: int | None = None
        self._next_check = 0.0
        self._routes: dict[str, Route] = {}
        self._slots: dict[str, ModelSlot] = {}
        self._by_name: dict[str, ModelSlot] = {}
        self._portal = Portal("champion-router")

    @classmethod
    def from_env(cls, config: RouterConfig | None = None) -> Router:
        """A router over ``CHAMPION_DB`` at stage ``CHAMPION_STAGE`` (default prod)."""
        from dataclasses import replace

        from champion.store import Store

        stage = os.environ.get("CHAMPION_STAGE") or (config.stage if config else "prod")
        return cls(Store(os.environ.get("CHAMPION_DB") or None),
                   replace(config or RouterConfig(), stage=stage))

    # -- the registry ------------------------------------------------------

    def _current(self) -> dict[str, Route]:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + self.config.refresh_s
            try:
                version = self._registry.version()
                if version != self._version:
                    self._load(version)
            except ChampionError as exc:
                if self._version is None:
                    raise
                log.warning("registry unreadable, serving the last routes read: %s",
                            redact(str(exc)))
        return self._routes

    def _load(self, version: int) -> None:
        with self._lock:
            if version == self._version:
                return
            config, environ = self.config, self._environ
            slots: dict[str, ModelSlot] = {}

            def slot(candidate: Candidate, registered: _Model | None) -> ModelSlot:
                key = registered.key if registered is not None and \
                    registered.candidate == candidate else model_key(candidate)
                found = slots.get(key) or self._slots.get(key)
                if found is None or found.candidate != candidate:
                    found = ModelSlot(candidate, key, config.breaker)
                if registered is not None:  # the figures of the latest promotion
                    found.median_ms, found.p90_ms = registered.median_ms, registered.p90_ms
                slots[key] = found
                return found

            routes: dict[str, Route] = {}
            for entry in self._registry.entries(config.stage):
                champion = entry.champion
                runner_up = entry.runner_up
                first = override_candidate(entry.task, "champion", champion.candidate, environ)
                second = override_candidate(entry.task, "runner-up",
                                            runner_up.candidate if runner_up else None, environ)
                first_slot = slot(first, None) if first is not None and \
                    first != champion.candidate else slot(champion.candidate, champion)
                second_slot: ModelSlot | None = None
                if second is not None and (runner_up is None or second != runner_up.candidate):
                    second_slot = slot(second, None)
                elif runner_up is not None:
                    second_slot = slot(runner_up.candidate, runner_up)
                suite = entry.suite
                deadline = (config.timeout_s, config.p90_factor, config.min_timeout_s)
                routes[entry.task] = Route(
                    entry.task, suite, OutputFormat(suite), first_slot, second_slot,
                    first_slot.deadline_s(suite, *deadline),
                    second_slot.deadline_s(suite, *deadline) if second_slot else 0.0,
                    entry.run_id)
            by_name: dict[str, ModelSlot] = {}
            for model in slots.values():
                by_name.setdefault(model.name, model)
            for model in slots.values():
                by_name.setdefault(model.candidate.model, model)
            for old in self._slots.values():
                if slots.get(old.key) is not old:
                    old.retire()
            self._routes, self._slots, self._by_name = routes, slots, by_name
            self._version = version

    def route(self, task: str) -> Route:
        """How ``task`` is served now.

        Raises:
            UnknownTask: nothing is registered for it at this stage.
        """
        route = self._current().get(task)
        if route is None:
            raise UnknownTask(task, self.config.stage)
        return route

    def tasks(self) -> list[str]:
        """The tasks registered at this stage."""
        return sorted(self._current())

    def models(self) -> dict[str, Candidate]:
        """Every model the routes name, by id and by backend model name."""
        self._current()
        return {name: slot.candidate for name, slot in self._by_name.items()}

    # -- serving -----------------------------------------------------------

    def complete(self, task: str, vars: Mapping[str, Any] | None = None, *,
                 verify: bool = False, messages: Sequence[Message] | None = None) -> Answer:
        """Synchronous :meth:`acomplete`; also works inside a running event loop."""
        return self._portal.call(self.acomplete(task, vars, verify=verify, messages=messages))

    async def acomplete(self, task: str, vars: Mapping[str, Any] | None = None, *,
                        verify: bool = False, messages: Sequence[Message] | None = None
                        ) -> Answer:
        """Answer ``task`` for ``vars`` with its champion, or its runner-up.

        Args:
            task: a registered task.
            vars: the task's template vars; its own prompt is rendered from them.
            verify: ask both models at once; accept only an answer they agree on.
            messages: send these messages instead of rendering the prompt (the
                task's parameters, parser and validation still apply).

        Raises:
            UnknownTask: nothing is registered for ``task``.
            InputError: a template var is missing; ``verify`` without a runner-up.
            AllModelsFailed: every model failed; ``failures`` says how.
            DisagreementError: ``verify`` and the models did not agree.
        """
        start = time.perf_counter_ns()
        route = self.route(task)
        request = _build(route.suite, vars, messages)
        built = time.perf_counter_ns()
        if verify:
            served, fallback, parse_ns = await self._verify(route, request)
        else:
            served, fallback, parse_ns = await self._serve(route, request)
        end = time.perf_counter_ns()
        completion = served.completion
        timings = MappingProxyType({
            "prompt_build_ms": (built - start) / 1e6,
            "inference_ms": (end - built - parse_ns) / 1e6,
            "parse_ms": parse_ns / 1e6,
            "total_ms": (end - start) / 1e6,
        })
        answer = Answer(task, served.parsed.value, completion.text, served.slot.name,
                        served.slot.candidate.model, fallback, timings, verify,
                        completion.prompt_tokens, completion.completion_tokens)
        if perf_log.isEnabledFor(logging.INFO):
            for stage, ms in timings.items():
                perf_log.info("[PERF] task=%s stage=%s ms=%.3f served_by=%s", task,
                              stage.removesuffix("_ms"), ms, answer.served_by)
        return answer

    async def _serve(self, route: Route, request: GenerateRequest
                     ) -> tuple[_Served, str | None, int]:
        failures: list[ModelFailure] = []
        parse_total = 0
        for role, slot, deadline in route.chain():
            result, parse_ns = await self._call(route, role, slot, deadline, request)
            parse_total += parse_ns
            if isinstance(result, _Served):
                reason = "; ".join(map(str, failures)) if failures else None
                return result, reason, parse_total
            failures.append(result)
        raise AllModelsFailed(route.task, tuple(failures))

    async def _verify(self, route: Route, request: GenerateRequest
                      ) -> tuple[_Served, str | None, int]:
        if route.runner_up is None:
            raise InputError(f"{route.task}: verify=True needs a runner-up, and none is"
                             " registered")
        (first, first_ns), (second, second_ns) = await asyncio.gather(
            *(self._call(route, role, slot, deadline, request)
              for role, slot, deadline in route.chain()))
        if isinstance(first, _Served) and isinstance(second, _Served):
            if first.parsed.value == second.parsed.value:
                return first, None, max(first_ns, second_ns)
            raise DisagreementError(route.task, _answer(route, first), _answer(route, second))
        failures = tuple(r for r in (first, second) if isinstance(r, ModelFailure))
        if len(failures) == 2:
            raise AllModelsFailed(route.task, failures)
        raise DisagreementError(
            route.task, _answer(route, first) if isinstance(first, _Served) else None,
            _answer(route, second) if isinstance(second, _Served) else None, failures)

    async def _call(self, route: Route, role: Role, slot: ModelSlot, deadline_s: float,
                    request: GenerateRequest) -> _Outcome:
        """One model's turn: calls within its deadline, transient errors retried
        while a retry still fits, the answer parsed and validated."""
        breaker = slot.breaker
        if not breaker.allow():
            return ModelFailure(slot.name, role, "circuit_open",
                                f"circuit open: skipped for another"
                                f" {breaker.retry_in_s():.1f} s", 0), 0
        config = self.config
        start = time.perf_counter()
        end = start + deadline_s
        attempts = 0
        while True:
            attempts += 1
            attempt_start = time.perf_counter()
            error: ProviderError
            try:
                provider = slot.provider()
                async with asyncio.timeout(end - attempt_start):
                    completion = await provider.generate(request)
            except TimeoutError:
                error = ProviderTimeout(f"no answer within {deadline_s:g} s")
            except ProviderError as exc:
                error = exc
            except ChampionError as exc:  # the candidate cannot even be set up
                error = ProviderError(str(exc))
            except Exception as exc:  # a provider bug is this model's failure, not the caller's
                error = ProviderError(f"{type(exc).__name__}: {exc}")
            else:
                parse_start = time.perf_counter_ns()
                parsed = route.output.parse(completion.text)
                parse_ns = time.perf_counter_ns() - parse_start
                breaker.record(parsed.ok)
                if parsed.ok:
                    return _Served(slot, role, completion, parsed, attempts), parse_ns
                return ModelFailure(slot.name, role, "unparseable",
                                    f"unparseable: {parsed.error}: {_quote(completion.text)}",
                                    attempts), parse_ns
            now = time.perf_counter()
            if error.retryable and attempts <= config.retries:
                wait = max(config.retry_backoff_s * 2 ** (attempts - 1),
                           error.retry_after_s or 0.0)
                expected = max((slot.median_ms or 0.0) / 1000, now - attempt_start)
                if now + wait + expected < end:
                    await asyncio.sleep(wait)
                    continue
            breaker.record(False)
            message = str(error)
            if not message.startswith(error.kind):
                message = f"{error.kind}: {message}"
            return ModelFailure(slot.name, role, error.kind, redact(message), attempts), 0

    # -- pass-through ------------------------------------------------------

    async def agenerate(self, model: str, request: GenerateRequest) -> Completion:
        """Call one registered model directly (its id or backend model name),
        within ``request.timeout_s``; no fallback, no parsing.

        Raises:
            KeyError: no route names ``model``.
            ProviderError: the call failed.
        """
        self._current()
        slot = self._by_name[model]
        try:
            async with asyncio.timeout(request.timeout_s):
                return await slot.provider().generate(request)
        except TimeoutError:
            raise ProviderTimeout(f"no answer within {request.timeout_s:g} s") from None

    # -- lifecycle ---------------------------------------------------------

    async def aclose(self) -> None:
        """Close this event loop's connections."""
        for slot in list(self._slots.values()):
            await slot.aclose()

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
    from champion.registry.entries import Registry

    return Registry(store)


def _build(suite: Suite, vars: Mapping[str, Any] | None,
           messages: Sequence[Message] | None) -> GenerateRequest:
    if messages is not None:
        return messages_request(suite, messages)
    try:
        return render_request(suite, vars or {})
    except KeyError as exc:
        raise InputError(f"{suite.task}: the prompt needs the var {exc.args[0]!r}") from None


def _answer(route: Route, served: _Served) -> Answer:
    completion = served.completion
    return Answer(route.task, served.parsed.value, completion.text, served.slot.name,
                  served.slot.candidate.model, None, MappingProxyType({}), False,
                  completion.prompt_tokens,
                  completion.completion_tokens)


def _quote(text: str, limit: int = 80) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
