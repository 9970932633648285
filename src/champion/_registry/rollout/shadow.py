"""Shadow traffic: a sample of served calls sent again to another model, off the response path.

A gateway offers each answered call to :meth:`Shadows.offer` after the
caller's answer has gone out. For a sampled call of a shadowed task, the
shadow model gets the same request (as a whole answer, never streamed) in a
task of its own: it cannot delay, change or fail the caller's answer. At most
``max_in_flight`` shadow calls run at once (per gateway worker); a sampled
call beyond that is skipped and counted. The shadow's answer is compared with
the served one by the task's comparer (:mod:`champion._registry.rollout.compare`)
and the outcome goes to a sink (the store, in the background): agreement, the
kind of disagreement, and the latency of both.

A shadow model is ``runner-up`` (the task's runner-up, whoever it is at the
time), a registered model's id (on any stage), or any ``-m`` spec.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from champion._errors import CandidateError, ChampionError, InputError, ProviderError
from champion._providers.candidate import Candidate, default_id, parse_spec
from champion._registry.breaker import BreakerConfig
from champion._registry.rollout.compare import Comparison, ServedCall, comparer_for
from champion._registry.routes import ModelSlot, model_key
from champion._runner.calls import RetryPolicy, call
from champion._secrets import redact
from champion._suite.model import TASK_ID

__all__ = ["RUNNER_UP", "ShadowOutcome", "ShadowSpec", "ShadowTarget", "Shadows",
           "resolve_shadows"]

log = logging.getLogger("champion.gateway")

#: A shadow named so is the task's runner-up.
RUNNER_UP = "runner-up"
_NO_RETRY = RetryPolicy(retries=0, backoff_s=0.0)


@dataclass(frozen=True, slots=True)
class ShadowSpec:
    """``TASK=MODEL`` as given to ``--shadow``."""

    task: str
    model: str

    @classmethod
    def parse(cls, text: str) -> ShadowSpec:
        """Read ``TASK=MODEL``.

        Raises:
            InputError: not of that form.
        """
        task, equals, model = text.partition("=")
        task, model = task.strip(), model.strip()
        if not equals or not TASK_ID.fullmatch(task) or not model:
            raise InputError(f"shadow {text!r}: expected TASK=MODEL, MODEL being runner-up,"
                             " a registered model's id or a model spec"
                             " (PROVIDER/MODEL[@URL])")
        return cls(task, model)

    def __str__(self) -> str:
        return f"{self.task}={self.model}"


@dataclass(frozen=True, slots=True)
class ShadowTarget:
    """A resolved shadow: the model of ``task``'s shadow calls (None: its runner-up)."""

    task: str
    name: str
    candidate: Candidate | None


def resolve_shadows(specs: Sequence[ShadowSpec],
                    registered: Mapping[str, Candidate]) -> tuple[ShadowTarget, ...]:
    """The model each spec names: ``runner-up``, a model in ``registered`` (by id), or
    a ``-m`` spec.

    Raises:
        InputError: a model that is none of these.
    """
    from champion._providers.registry import provider_names

    targets = []
    for spec in specs:
        if spec.model == RUNNER_UP:
            targets.append(ShadowTarget(spec.task, RUNNER_UP, None))
            continue
        candidate = registered.get(spec.model)
        if candidate is None:
            try:
                parsed = parse_spec(spec.model)
            except CandidateError:
                raise InputError(f"shadow {spec}: {spec.model!r} is neither runner-up nor a"
                                 " registered model's id, nor a model spec"
                                 " (PROVIDER/MODEL[@URL])") from None
            if parsed.provider not in provider_names():
                raise InputError(f"shadow {spec}: unknown provider {parsed.provider!r}"
                                 f" (known: {', '.join(provider_names())})")
            candidate = parsed.model_copy(update={"id": default_id(parsed)})
        targets.append(ShadowTarget(spec.task, candidate.id or candidate.model, candidate))
    return tuple(targets)


@dataclass(frozen=True, slots=True)
class ShadowOutcome:
    """One shadow call, compared.

    Attributes:
        task, shadow_model: whose shadow call it was.
        served: the call the caller got an answer to.
        result: ``agree`` or ``disagree``.
        kind: why they disagree (a comparer's kind, or the shadow's failure kind:
            ``timeout``, ``unavailable``, ...).
        shadow_ms: how long the shadow took (None: it never answered).
        shadow_text, shadow_value: its answer and parsed value (None without one).
        at: when the served call's answer was compared.
    """

    task: str
    shadow_model: str
    served: ServedCall
    result: str
    kind: str | None
    shadow_ms: float | None
    shadow_text: str | None = None
    shadow_value: Any = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class Shadows:
    """Shadow calls of a gateway worker.

    Args:
        targets: which model shadows which task.
        sink: takes each outcome (must not block).
        sample: the share of a shadowed task's served calls sent to its shadows.
        max_in_flight: shadow calls at once; a sampled call beyond is skipped.
        timeout_s: a shadow call's deadline; None: 3 × its benchmark p90 when known
            (at least ``min_timeout_s``), else the suite's ``timeout_s``.
        on_result: told (task, shadow model, ``agree``/``disagree``/``skipped``).
        rng: draws the sample.
    """

    def __init__(self, targets: Sequence[ShadowTarget], sink: Callable[[ShadowOutcome], None],
                 *, sample: float = 0.05, max_in_flight: int = 32,
                 timeout_s: float | None = None, p90_factor: float = 3.0,
                 min_timeout_s: float = 1.0,
                 on_result: Callable[[str, str, str], None] | None = None,
                 rng: random.Random | None = None) -> None:
        self.by_task: dict[str, list[ShadowTarget]] = {}
        for target in targets:
            self.by_task.setdefault(target.task, []).append(target)
        self.sink = sink
        self.sample = sample
        self.max_in_flight = max_in_flight
        self._deadline = (timeout_s, p90_factor, min_timeout_s)
        self.on_result = on_result
        self.random = (rng or random.Random()).random
        self.in_flight = 0
        self._skipped: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._slots: dict[str, ModelSlot] = {}
        self._jobs: set[asyncio.Task[None]] = set()

    def offer(self, served: ServedCall) -> None:
        """Maybe send ``served``'s request to its task's shadows; returns at once and
        never raises. Runs on the event loop."""
        route = served.route
        for target in self.by_task.get(route.task, ()):
            if self.sample < 1 and self.random() >= self.sample:
                continue
            if target.candidate is None:  # the runner-up of the pair that served
                source = route.runner_up
                if source is None:
                    continue
                name, candidate, key = source.name, source.candidate, source.key
            else:
                source = None
                name, candidate = target.name, target.candidate
                key = model_key(candidate)
            if name == served.served_by:
                continue  # the shadow itself gave the answer: nothing to compare
            if self.in_flight >= self.max_in_flight:
                with self._lock:
                    self._skipped[(route.task, name)] = \
                        self._skipped.get((route.task, name), 0) + 1
                self._told(route.task, name, "skipped")
                continue
            slot = self._slots.get(key)
            if slot is None or slot.candidate != candidate:
                slot = self._slots[key] = ModelSlot(
                    candidate, key, BreakerConfig(),
                    median_ms=None if source is None else source.median_ms,
                    p90_ms=None if source is None else source.p90_ms)
            self.in_flight += 1
            job = asyncio.get_running_loop().create_task(self._shadow(name, slot, served))
            self._jobs.add(job)
            job.add_done_callback(self._finished)

    def _finished(self, job: asyncio.Task[None]) -> None:
        self._jobs.discard(job)
        self.in_flight -= 1
        if not job.cancelled() and job.exception() is not None:
            log.warning("a shadow call failed: %s", redact(str(job.exception())))

    def take_skipped(self) -> dict[tuple[str, str], int]:
        """(task, shadow model) → calls skipped since the last call (any thread)."""
        with self._lock:
            skipped, self._skipped = self._skipped, {}
        return skipped

    async def _shadow(self, name: str, slot: ModelSlot, served: ServedCall) -> None:
        route = served.route
        request = replace(served.request, stream=False)
        start = time.perf_counter_ns()
        text: str | None = None
        try:
            deadline = slot.deadline_s(route.suite, *self._deadline)
            completion = await call(slot.provider(), request, _NO_RETRY, timeout_s=deadline)
            text = completion.text
            took: float | None = (time.perf_counter_ns() - start) / 1e6
            comparison = await comparer_for(route.suite.check_spec.type).compare(served, text)
        except ChampionError as exc:
            took = None
            kind = exc.kind if isinstance(exc, ProviderError) else "rejected"
            comparison = Comparison(False, kind)
        except Exception as exc:  # a provider's or comparer's bug is the shadow's failure
            took = None
            log.warning("shadow %s of %s: %s: %s", name, route.task, type(exc).__name__,
                        redact(str(exc)))
            comparison = Comparison(False, "internal")
        result = "agree" if comparison.agree else "disagree"
        self.sink(ShadowOutcome(route.task, name, served, result, comparison.kind, took,
                                text, comparison.value))
        self._told(route.task, name, result)

    def _told(self, task: str, model: str, result: str) -> None:
        if self.on_result is not None:
            self.on_result(task, model, result)

    async def aclose(self) -> None:
        """Cancel the shadow calls in flight and close the shadow models' connections."""
        jobs = list(self._jobs)
        for job in jobs:
            job.cancel()
        if jobs:
            await asyncio.gather(*jobs, return_exceptions=True)
        for slot in self._slots.values():
            await slot.aclose()
