"""The Ray executor: embedded candidates in actors on the workers of a Ray cluster.

Every in-process candidate (``llamacpp``, a ``test`` model with ``local: true``)
gets one long-lived actor that holds exactly the slot the local executor would
(:mod:`._ray_actor`): load and warm-up are timed inside the actor, each trial
is timed inside its call with that host's monotonic clock and only durations
come back. A few calls are kept in flight per actor and collected as each
finishes, so trials stream back to the session (and the store) while the
actor works; once the strategy stops the model no new call is submitted and
only those already in flight finish. HTTP candidates keep running from this
process, through the local executor.

Placement: each actor holds one unit of the benchmark slot resource
(``champion_bench``, one per node), so one timed model runs per node at a
time, plus what the candidate's ``placement`` asks (CPUs, GPUs, memory, custom
resources, node labels, one node). Each actor model is its own lane, so models
run side by side across nodes. A model no live node can hold is excluded before
any call, with each node's unmet need.

Faults: Ray never retries on its own (``max_restarts=0``, ``max_task_retries=0``:
a silent retry would time a cold restart). When an actor is lost (its node
died, its process crashed) the trials it had in flight are yielded as
:class:`TrialLost` and run again in a new actor on a node that can hold the
model; after ``max_replacements`` losses, or when no node can hold it any more,
the model stops with the reason. Secrets reach a worker only as the variables
the candidate names (``api_key_env``, ``${VAR}`` in ``base_url`` and headers).

Without an address (``--ray-address``, ``RAY_ADDRESS``) a local Ray instance is
started with one benchmark slot and a small object store, and stopped after
the run. A connection the caller made already (``ray.init``) is used as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import ray
from pydantic import Field
from ray.exceptions import RayActorError, RayError

from champion._errors import ChampionError
from champion._providers.registry import providers
from champion._records import ModelRun, Trial
from champion._runner.executors._ray_actor import ModelActor
from champion._runner.executors._ray_cluster import (
    actor_options,
    cause_line,
    cluster_nodes,
    connect,
    named_variables,
)
from champion._runner.executors._ray_nodes import needs_of, unplaceable
from champion._runner.executors.base import (
    Executor,
    ExecutorEvent,
    ExecutorOptions,
    ModelReady,
    RunSetup,
    TrialLost,
    Work,
)
from champion._runner.executors.local import LocalExecutor
from champion._runner.lanes import Placement
from champion._runner.slot import ModelSlot
from champion._suite.model import Case

__all__ = ["RayExecutor", "RayOptions"]

#: How often a model waiting for a node checks the cluster can still hold it.
_POLL_S = 0.5


class RayOptions(ExecutorOptions):
    """The Ray executor's options (``executor_options``).

    Attributes:
        address: the cluster (``auto``, ``HOST:6379``, ``ray://HOST:10001``);
            default ``RAY_ADDRESS``, else a local Ray instance for this run.
        slot_resource: the per-node benchmark slot every actor holds one of.
        in_flight: calls queued per actor (the actor runs them one at a time).
        load_timeout_s: longest load and warm-up of a model once it has a node.
        max_replacements: times a model's lost actor is replaced before the
            model stops.
        object_store_mb: the object store of a local Ray instance.
    """

    address: str | None = None
    slot_resource: str = "champion_bench"
    in_flight: int = Field(default=2, ge=1, le=32)
    load_timeout_s: float = Field(default=600.0, gt=0)
    max_replacements: int = Field(default=3, ge=0)
    object_store_mb: int = Field(default=128, ge=80)


class _Lost(Exception):
    """The actor was lost before or while loading."""


class _CannotRun(Exception):
    """The model cannot run (any more): no node can hold it, or its actor cannot start."""


@dataclass(slots=True)
class _Actor:
    handle: Any
    where: dict[str, Any]
    ready: ModelReady | None = None


class RayExecutor(Executor):
    """Embedded candidates in actors on Ray workers; HTTP candidates from this process."""

    name: ClassVar[str] = "ray"
    Options: ClassVar[type[ExecutorOptions]] = RayOptions

    def __init__(self, setup: RunSetup, options: ExecutorOptions | None = None) -> None:
        super().__init__(setup, options)
        self.ray_options = (self.options if isinstance(self.options, RayOptions)
                            else RayOptions.model_validate(self.options.model_dump()))
        wanted = self.ray_options
        self._started = connect(wanted.address, wanted.slot_resource, wanted.object_store_mb)
        # Every candidate's slot here: HTTP ones run from it; an embedded one only
        # lends its record (key, price), computed where the driver can.
        self.local = LocalExecutor(setup)
        self.actor_models = {m: slot.candidate for m, slot in self.local.slots.items()
                             if _runs_in_actor(slot)}
        nodes = cluster_nodes()
        self._needs = {m: needs_of(c, self.ray_options.slot_resource)
                       for m, c in self.actor_models.items()}
        self._records: dict[str, ModelRun] = {}
        self._unplaceable: dict[str, str] = {}
        for model in self.actor_models:
            self._records[model] = self._record(model, nodes)
        self._actor_class = ray.remote(ModelActor)
        self._actors: dict[str, _Actor] = {}
        self._parked: set[str] = set()
        self._waiting = 0
        self._loaded: set[str] = set()
        self._last_runs: dict[str, ModelRun] = {}

    def _record(self, model: str, nodes: list[dict[str, Any]]) -> ModelRun:
        slot = self.local.slots[model]
        # A model file only the workers have: the key comes from the worker at load.
        record = slot.run if slot.skip_reason is None and slot.excluded is None else replace(
            slot.run, key="", error=None)
        why = unplaceable(self._needs[model], nodes)
        if why is not None:
            self._unplaceable[model] = why
            record = replace(record, error=f"excluded before any call: {why}")
        return record

    # -- what the session asks before the run ------------------------------------

    def models(self) -> Mapping[str, ModelRun]:
        """Every model's record: from its actor's node for embedded ones, else local."""
        return {m: self._records.get(m, slot.run) for m, slot in self.local.slots.items()}

    def placement(self, model: str) -> Placement:
        """An actor model is its own lane (the slot resource keeps one per node)."""
        if model in self.actor_models:
            return Placement(f"ray actor {model}", f"ray actor {model}")
        return self.local.placement(model)

    def preflight(self) -> Mapping[str, str]:
        """HTTP models' preflight here; embedded models no live node can hold."""
        local = {m: why for m, why in self.local.preflight().items()
                 if m not in self.actor_models}
        return {**local, **self._unplaceable}

    # -- running -----------------------------------------------------------------

    @asynccontextmanager
    async def wave(self, models: Sequence[str]) -> AsyncIterator[None]:
        """Free the nodes of parked actors this wave does not need."""
        for model in [m for m in self._parked if m not in models]:
            self._kill(model)
        async with self.local.wave(models):
            yield

    async def execute(self, work: Work) -> AsyncGenerator[ExecutorEvent, None]:
        """An actor model's trials on its actor; any other model's through the local executor."""
        if work.model not in self.actor_models:
            async for local_event in self.local.execute(work):
                yield local_event
            return
        async for event in self._on_actor(work):
            yield event

    async def _on_actor(self, work: Work) -> AsyncIterator[ModelReady | Trial | TrialLost]:
        model, planned = work.model, work.trials
        again: deque[tuple[Case, int]] = deque()
        in_flight: dict[asyncio.Future[Trial], tuple[Case, int]] = {}
        actor: _Actor | None = None
        losses, finished = 0, False
        try:
            while True:
                if actor is None:
                    if not work.keep_running() or not _peek(planned, again):
                        finished = True
                        return
                    try:
                        actor, ready = await self._acquire(model)
                    except _Lost as loss:
                        losses += 1
                        if losses > self.ray_options.max_replacements:
                            yield self._stopped(model, _gave_up(losses, str(loss)))
                            return
                        continue
                    except _CannotRun as cannot:
                        yield self._stopped(model, str(cannot))
                        return
                    yield ready
                    if ready.excluded is not None:
                        return
                while len(in_flight) < self.ray_options.in_flight and work.keep_running():
                    planned_trial = again.popleft() if again else next(planned, None)
                    if planned_trial is None:
                        break
                    case, batch = planned_trial
                    in_flight[_awaitable(actor.handle.trial.remote(case.id, batch))] = (
                        planned_trial)
                if not in_flight:
                    finished = True
                    return
                done, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for future in [f for f in in_flight if f in done]:
                    case, batch = in_flight.pop(future)
                    try:
                        trial = future.result()
                    except RayActorError as exc:
                        reason = _loss(actor.where, exc)
                        lost = [(case, batch), *in_flight.values()]
                        for other in in_flight:  # they fail the same way; nobody waits
                            other.cancel()
                        in_flight.clear()
                        self._kill(model)
                        actor, losses = None, losses + 1
                        for lost_case, lost_batch in lost:
                            yield TrialLost(model, lost_case.id, lost_batch, reason)
                        again.extendleft(reversed(lost))
                        if losses > self.ray_options.max_replacements:
                            yield self._stopped(model, _gave_up(losses, reason))
                            return
                        break
                    yield trial
        finally:
            for future in in_flight:
                future.cancel()
            if actor is not None:
                self._release(model, finished)

    async def _acquire(self, model: str) -> tuple[_Actor, ModelReady]:
        """The model's parked actor, or a new one placed, loaded and warmed up.

        Raises:
            _Lost: the actor was lost on its way (its node died).
            _CannotRun: no live node can hold the model, or its actor cannot start.
        """
        if model in self._parked:
            self._parked.discard(model)
            actor = self._actors[model]
            assert actor.ready is not None
            return actor, replace(actor.ready, first_load=False)
        needs = self._needs[model]
        nodes = cluster_nodes()
        why = unplaceable(needs, nodes)
        if why is not None:
            raise _CannotRun(why)
        candidate = self.actor_models[model]
        options = actor_options(needs, nodes, named_variables(candidate))
        handle: Any = self._actor_class.options(**options).remote(
            RunSetup(self.setup.suite, (candidate,), self.setup.config))
        actor = self._actors[model] = _Actor(handle, {})
        try:
            actor.where = await self._placed(model, actor)
            opened = _awaitable(handle.open.remote())
            try:
                ready: ModelReady = await asyncio.wait_for(opened,
                                                           self.ray_options.load_timeout_s)
            except TimeoutError:
                raise _CannotRun(f"its load and warm-up took longer than load_timeout_s="
                                 f"{self.ray_options.load_timeout_s:g}") from None
        except RayActorError as exc:
            self._kill(model)
            if exc.actor_init_failed:
                raise _CannotRun(_no_start(exc)) from None
            raise _Lost(_loss(actor.where, exc)) from None
        except RayError as exc:
            self._kill(model)
            raise _CannotRun(_no_start(exc)) from None
        except BaseException:
            self._kill(model)
            raise
        actor.ready = ready
        self._last_runs[model] = ready.run
        first = model not in self._loaded
        self._loaded.add(model)
        return actor, replace(ready, first_load=first)

    async def _placed(self, model: str, actor: _Actor) -> dict[str, Any]:
        """Wait for a node; while waiting, parked actors give theirs up, and a model
        no live node can hold any more (its node died) fails instead of waiting."""
        placed = _awaitable(actor.handle.where.remote())
        self._waiting += 1
        try:
            while True:
                done, _ = await asyncio.wait({placed}, timeout=_POLL_S)
                if done:
                    where: dict[str, Any] = placed.result()
                    return where
                for parked in list(self._parked):
                    self._kill(parked)
                why = unplaceable(self._needs[model], cluster_nodes())
                if why is not None:
                    raise _CannotRun(why)
        finally:
            self._waiting -= 1
            if not placed.done():
                placed.cancel()

    def _stopped(self, model: str, why: str) -> ModelReady:
        """The model can run no more trials: the session stops it with ``why``."""
        run = replace(self._last_runs.get(model) or self._records[model], error=why)
        return ModelReady(run, first_load=False, excluded=why)

    def _release(self, model: str, finished: bool) -> None:
        """Park the actor (a later wave may use it) unless another model waits for a node."""
        if finished and self._waiting == 0 and model in self._actors:
            self._parked.add(model)
        else:
            self._kill(model)

    def _kill(self, model: str) -> None:
        self._parked.discard(model)
        actor = self._actors.pop(model, None)
        if actor is not None:
            with contextlib.suppress(RayError, ValueError):
                ray.kill(actor.handle, no_restart=True)

    async def aclose(self) -> None:
        """Kill every actor, close the local models, stop a Ray instance started here."""
        for model in list(self._actors):
            self._kill(model)
        await self.local.aclose()
        if self._started:
            self._started = False
            ray.shutdown()


def _runs_in_actor(slot: ModelSlot) -> bool:
    """An in-process model: the provider says so (or its class, when the provider
    could not be built here, e.g. a model file only the workers have)."""
    if slot.provider is not None:
        return slot.provider.local
    try:
        return providers.get(slot.candidate.provider).local
    except ChampionError:
        return False


def _peek(planned: Any, again: deque[tuple[Case, int]]) -> bool:
    """Whether a trial is left to run (taking the next planned one into ``again``)."""
    if again:
        return True
    following = next(planned, None)
    if following is None:
        return False
    again.append(following)
    return True


def _awaitable(ref: Any) -> asyncio.Future[Any]:
    """An object ref as an asyncio future: collected as it finishes, on the event loop
    (a blocking ``ray.wait`` would stall the HTTP models timed on this loop)."""
    return asyncio.wrap_future(ref.future())


def _loss(where: Mapping[str, Any], exc: BaseException) -> str:
    node = str(where.get("node") or "?")[:8]
    return f"actor on node {node} ({where.get('ip') or '?'}) lost: {type(exc).__name__}"


def _no_start(exc: BaseException) -> str:
    return (f"its actor could not start on the worker: {cause_line(exc)} (every node needs"
            " the same champion installed: pip install 'champion[local,ray]')")


def _gave_up(losses: int, reason: str) -> str:
    return f"its actor was lost {losses} times (last: {reason}); not run further"
