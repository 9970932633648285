"""The route table: what the registry says each task is served with, kept current.

The registry is read once and again only when its version changed; the
version is checked at most every ``refresh_s`` (on the calling path by
:meth:`RouteTable.current`, or off it by :meth:`RouteTable.watch`, which the
gateway runs in the background so no request ever waits on the database).
Environment overrides (``CHAMPION_<TASK>_MODEL`` ...) apply whenever the
registry is read. Each model keeps one slot (breaker, providers, admission)
for as long as some route names it. A task with a canary in progress also has
a :class:`~champion._registry.routes.CanaryRoute`: the canary's own pair, its
share and its interval (every canary event changes the registry's version).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from champion._errors import ChampionError, InputError
from champion._providers.candidate import Candidate, parse_spec
from champion._registry.answers import UnknownTask
from champion._registry.routes import (
    CanaryRoute,
    ModelSlot,
    OutputFormat,
    Route,
    SlotLimits,
    model_key,
    override_candidate,
)
from champion._secrets import redact

if TYPE_CHECKING:
    from champion._registry.router import RouterConfig
    from champion._suite.model import Suite

__all__ = ["RegistryReader", "RouteTable"]

log = logging.getLogger("champion._registry")


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
    """What the route table reads from the registry."""

    def entries(self, stage: str | None = None) -> Sequence[_Entry]:
        """Every registered task at ``stage``."""
        ...

    def version(self) -> int:
        """A number that changes with every promotion or rollback."""
        ...


class RouteTable:
    """Routes by task and models by name, rebuilt when the registry changes.

    Args:
        registry: where promotions are read.
        config: the stage, deadlines, breaker, limits and refresh interval.
        environ: where overrides are read.
    """

    def __init__(self, registry: RegistryReader, config: RouterConfig,
                 environ: Mapping[str, str]) -> None:
        self.registry = registry
        self.config = config
        self._environ = environ
        self._lock = threading.Lock()
        self._version: int | None = None
        self._next_check = 0.0
        self._routes: dict[str, Route] = {}
        self._canaries: dict[str, CanaryRoute] = {}
        self._slots: dict[str, ModelSlot] = {}
        self._by_name: dict[str, ModelSlot] = {}
        self._by_spec: dict[str, ModelSlot] = {}
        self._limits = SlotLimits(config.max_in_flight, config.max_queue)
        #: Told a model's id and its queue's length whenever that changes.
        self.on_queue: Callable[[str, int], None] | None = None

    @property
    def version(self) -> int | None:
        """The registry version the routes were built from (None before the first read)."""
        return self._version

    def current(self) -> dict[str, Route]:
        """The routes, after checking the registry's version when ``refresh_s`` has passed
        (or, until the registry was first read, every time: a read in progress elsewhere
        must not make a caller see no routes)."""
        if self._version is None or time.monotonic() >= self._next_check:
            self.refresh()
        return self._routes

    def refresh(self) -> bool:
        """Check the registry's version now and rebuild the routes if it changed;
        True when they changed. A registry that cannot be read keeps the last routes."""
        self._next_check = time.monotonic() + self.config.refresh_s
        try:
            version = self.registry.version()
            if version != self._version:
                self._load(version)
                return True
        except ChampionError as exc:
            if self._version is None:
                raise
            log.warning("registry unreadable, serving the last routes read: %s",
                        redact(str(exc)))
        return False

    async def read_now(self) -> None:
        """Read the registry in a worker thread (a gateway does so before it accepts
        calls); a registry that cannot be read yet is read again later."""
        try:
            await asyncio.to_thread(self.refresh)
        except ChampionError as exc:
            log.warning("registry unreadable: %s", redact(str(exc)))

    async def watch(self) -> None:
        """Refresh every ``refresh_s`` in a worker thread, until cancelled."""
        while True:
            await asyncio.sleep(self.config.refresh_s)
            try:
                await asyncio.to_thread(self.refresh)
            except ChampionError as exc:  # not read yet: try again next time
                log.warning("registry unreadable: %s", redact(str(exc)))
            self._next_check = float("inf")  # the watcher alone checks from now on

    def route(self, task: str) -> Route:
        """How ``task`` is served now.

        Raises:
            UnknownTask: nothing is registered for it at this stage.
        """
        route = self.current().get(task)
        if route is None:
            raise UnknownTask(task, self.config.stage)
        return route

    def tasks(self) -> list[str]:
        """The tasks registered at this stage."""
        return sorted(self.current())

    def canary(self, task: str) -> CanaryRoute | None:
        """The canary in progress for ``task``, if any (as last read; never reads)."""
        return self._canaries.get(task)

    def canaries(self) -> list[CanaryRoute]:
        """Every canary in progress at this stage (as last read; never reads)."""
        return list(self._canaries.values())

    def models(self) -> dict[str, Candidate]:
        """Every model the routes name, by id and by backend model name."""
        self.current()
        return {name: slot.candidate for name, slot in self._by_name.items()}

    def slots(self) -> list[ModelSlot]:
        """Every model slot the routes use."""
        self.current()
        return list(self._slots.values())

    def find(self, name: str) -> ModelSlot | None:
        """The registered model ``name`` names: its id, its backend's model name, or
        its ``-m`` spec (``openai/m1@http://…``); never any other model."""
        self.current()
        slot = self._by_name.get(name)
        if slot is not None or "/" not in name:
            return slot
        try:
            key = model_key(parse_spec(name))
        except (InputError, ValueError):
            return None
        return self._by_spec.get(key)

    def _load(self, version: int) -> None:
        with self._lock:
            if version == self._version:
                return
            config, environ, limits = self.config, self._environ, self._limits
            slots: dict[str, ModelSlot] = {}
            entries = self.registry.entries(config.stage)
            measured = [m for e in entries for m in (e.champion, e.runner_up) if m is not None]
            registered = {m.id: m.candidate for m in measured}

            def slot(candidate: Candidate, measured: _Model | None) -> ModelSlot:
                key = measured.key if measured is not None else model_key(candidate)
                found = slots.get(key) or self._slots.get(key)
                if found is None or found.candidate != candidate:
                    found = ModelSlot(candidate, key, config.breaker, limits, self._queue)
                if measured is not None:  # the figures of the latest promotion
                    found.median_ms, found.p90_ms = measured.median_ms, measured.p90_ms
                slots[key] = found
                return found

            def resolve(task: str, role: str, model: _Model | None) -> ModelSlot | None:
                chosen = override_candidate(task, "champion" if role == "champion"
                                            else "runner-up",
                                            None if model is None else model.candidate,
                                            environ, registered)
                if chosen is None:  # no override
                    return None if model is None else slot(model.candidate, model)
                if model is not None and chosen == model.candidate:
                    return slot(model.candidate, model)
                same = next((m for m in measured if m.candidate == chosen), None)
                return slot(chosen, same)

            routes: dict[str, Route] = {}
            deadline = (config.timeout_s, config.p90_factor, config.min_timeout_s)
            canaries: dict[str, CanaryRoute] = {}
            for entry in entries:  # first, so that the serving pairs' figures win below
                canary = getattr(entry, "canary", None)
                if canary is None:
                    continue
                pair, state = canary.pair, canary.state
                lead = slot(pair.champion.candidate, pair.champion)
                backup = None if pair.runner_up is None else slot(pair.runner_up.candidate,
                                                                  pair.runner_up)
                canaries[entry.task] = CanaryRoute(
                    state.id, entry.task, state.share, state.interval_no,
                    state.interval_started_at, state.interval_s, Route(
                        entry.task, pair.suite, OutputFormat(pair.suite), lead, backup,
                        lead.deadline_s(pair.suite, *deadline),
                        backup.deadline_s(pair.suite, *deadline) if backup else 0.0,
                        pair.run_id, canary_id=state.id))
            for entry in entries:
                first = resolve(entry.task, "champion", entry.champion)
                second = resolve(entry.task, "runner-up", entry.runner_up)
                assert first is not None  # a registered champion, or its override
                suite = entry.suite
                routes[entry.task] = Route(
                    entry.task, suite, OutputFormat(suite), first, second,
                    first.deadline_s(suite, *deadline),
                    second.deadline_s(suite, *deadline) if second else 0.0, entry.run_id)
            by_name: dict[str, ModelSlot] = {}
            for model in slots.values():
                by_name.setdefault(model.name, model)
            for model in slots.values():
                by_name.setdefault(model.candidate.model, model)
            self._by_spec = {model_key(model.candidate): model for model in slots.values()}
            for old in self._slots.values():
                if slots.get(old.key) is not old:
                    old.retire()
            self._routes, self._slots, self._by_name = routes, slots, by_name
            self._canaries = canaries
            self._version = version

    def _queue(self, model: str, waiting: int) -> None:
        watcher = self.on_queue
        if watcher is not None:
            watcher(model, waiting)
