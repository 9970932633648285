"""The gateway's part in rollouts: shadow calls and canary counts, told after each answer.

:class:`ShadowObserver` hands every task call served with a parsed answer to
the worker's :class:`~champion._registry.rollout.shadow.Shadows`;
:class:`CanaryCounter` counts the calls of every task with a canary in
progress, by cohort (the canary's pair, or the pair it is compared with), for
the worker's :class:`~champion._registry.rollout.keeper.CanaryKeeper`. Both run
on the event loop after the answer was sent, and do nothing slow.
:func:`rollout_parts` builds them for one worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from champion._providers.candidate import Candidate
from champion._registry.rollout.compare import ServedCall
from champion._registry.rollout.keeper import CanaryKeeper
from champion._registry.rollout.outcomes import ShadowRecorder
from champion._registry.rollout.shadow import Shadows, ShadowSpec, resolve_shadows
from champion._registry.rollout.tally import CanaryTally
from champion._registry.router import Router
from champion._registry.table import RouteTable
from champion._store import Store
from champion._web.gateway.calls import CallObserver, CallRecord
from champion._web.gateway.metrics import GatewayMetrics

__all__ = ["CanaryCounter", "RolloutSettings", "ShadowObserver", "registered_models",
           "rollout_parts"]


@dataclass(frozen=True)
class RolloutSettings:
    """Shadow calls and canary upkeep of a gateway.

    Attributes:
        shadows: ``TASK=MODEL`` specs (``--shadow``).
        shadow_sample: the share of a shadowed task's served calls sent to its shadows.
        shadow_in_flight: shadow calls at once per worker; more are skipped and counted.
        tick_s: how often counts and outcomes are written, and canaries looked at.
        settle_s: how long after its end a canary interval is decided (None:
            ``tick_s`` + 0.5 s).
    """

    shadows: tuple[str, ...] = ()
    shadow_sample: float = 0.05
    shadow_in_flight: int = 32
    tick_s: float = 1.0
    settle_s: float | None = None

    def specs(self) -> tuple[ShadowSpec, ...]:
        """The ``--shadow`` specs, read.

        Raises:
            InputError: one is not ``TASK=MODEL``.
        """
        return tuple(ShadowSpec.parse(text) for text in self.shadows)


class ShadowObserver:
    """Offers every task call served with a parsed answer to the shadows."""

    def __init__(self, shadows: Shadows, judges: object = None) -> None:
        self.shadows = shadows
        self.judges = judges

    def observe(self, call: CallRecord) -> None:
        route, request = call.route, call.request
        if (call.status != 200 or not call.parse_ok or route is None or request is None
                or route.task not in self.shadows.by_task):
            return
        self.shadows.offer(ServedCall(
            route, request, call.served_by, call.answer or "", call.value,
            call.stages.inference_ns / 1e6, call.vars, self.judges))


class CanaryCounter:
    """Counts the calls of tasks with a canary in progress, by cohort.

    A call the models answered or failed counts; a call refused before any model
    could take it (400, 429) does not.
    """

    def __init__(self, table: RouteTable, tally: CanaryTally) -> None:
        self.table = table
        self.tally = tally

    def observe(self, call: CallRecord) -> None:
        route = call.route
        if route is None:
            return
        canary = self.table.canary(route.task)
        if canary is None or (route.canary_id is not None and route.canary_id != canary.id):
            return
        if call.status != 200 and call.status < 500:
            return
        error = call.status != 200 or not call.served_by
        self.tally.count(
            canary.id, canary.interval_no, "canary" if route.canary_id == canary.id
            else "baseline", error=error,
            fallback=not error and call.served_by != route.champion.name,
            latency_ms=None if error else call.stages.total_ns / 1e6)


def registered_models(store: Store) -> dict[str, Candidate]:
    """Every model a registry entry names, on any stage, by id."""
    from champion._registry.entries import Registry

    models: dict[str, Candidate] = {}
    for entry in Registry(store).entries():
        for model in (entry.champion, entry.runner_up):
            if model is not None:
                models.setdefault(model.id, model.candidate)
    return models


@dataclass
class RolloutParts:
    """What one gateway worker adds for rollouts."""

    observers: list[CallObserver] = field(default_factory=list)
    on_start: list[Callable[[], None]] = field(default_factory=list)
    on_stop: list[Callable[[], object]] = field(default_factory=list)


def rollout_parts(settings: RolloutSettings, store: Store, router: Router,
                  metrics: GatewayMetrics, stage: str, record_text: bool) -> RolloutParts:
    """Canary counting and upkeep (always), and shadow calls (when ``--shadow`` names
    some), for one worker.

    Raises:
        InputError: a ``--shadow`` spec names no usable model.
    """
    parts = RolloutParts()
    tally = CanaryTally()
    keeper = CanaryKeeper(store, router.table, tally, tick_s=settings.tick_s,
                          settle_s=settings.settle_s, on_share=metrics.canary)
    parts.observers.append(CanaryCounter(router.table, tally))
    parts.on_start.append(keeper.start)
    parts.on_stop.append(keeper.stop)
    specs: Sequence[ShadowSpec] = settings.specs()
    if specs:
        recorder = ShadowRecorder(store, stage, record_text, interval_s=settings.tick_s)
        config = router.config
        shadows = Shadows(resolve_shadows(specs, registered_models(store)), recorder.record,
                          sample=settings.shadow_sample,
                          max_in_flight=settings.shadow_in_flight, timeout_s=config.timeout_s,
                          p90_factor=config.p90_factor, min_timeout_s=config.min_timeout_s,
                          on_result=metrics.shadow)
        recorder.skipped = shadows.take_skipped
        parts.observers.append(ShadowObserver(shadows, router.judges))
        parts.on_start.append(recorder.start)
        parts.on_stop += [shadows.aclose, recorder.stop]
    return parts
