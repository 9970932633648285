"""A measured check of a plan: sample items through the planned models, step by step.

Items go through the steps as the workflow's flow says (``wave``: every item
through a step, then the next step; ``item``: one item through every step,
then the next item) on the real providers. Before a step runs, the models
resident are made what the plan says for that step: models not resident then
are released, models missing are loaded and warmed up with one call, as the
cold start was measured. A step's parsed output fills later steps' vars as
its ``inputs`` say; an item whose step failed (error or unparseable output)
goes no further.

Measured per step: its loads (load + warm-up) and its calls (each call's own
latency, as the benchmark measures it). Projected per step: the plan's
projection for these items (each step's share is the share of these items
that reach it). Where an item names a case of the step's suite, the output is
checked against that case's gold answer. What was measured is stored after
every step (wave) or item (item flow), and kept when the run is interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from champion._errors import ChampionError, InputError, ProviderError
from champion._providers.base import Provider
from champion._providers.registry import create_provider
from champion._registry.entries import candidate_of
from champion._registry.routes import OutputFormat
from champion._runner.calls import RetryPolicy, call
from champion._runner.requests import render_request, warmup_request
from champion._scoring import Scorer
from champion._secrets import redact
from champion._store import Store
from champion._sync import run_sync
from champion._workflow.figures import StepChoice
from champion._workflow.items import Item
from champion._workflow.model import ITEM
from champion._workflow.plan import Plan, plan_inputs, projection_of
from champion._workflow.render import plan_json
from champion._workflow.verification import CallRecord, StepMeasure, Verification

__all__ = ["averify_plan", "verify_plan"]

#: Characters of each output kept in the stored record.
OUTPUT_CHARS = 2000
Progress = Callable[[CallRecord], None]


class _Models:
    """One provider per model key, loaded and released as the plan's residency says."""

    def __init__(self, plan: Plan) -> None:
        self.sources: dict[str, StepChoice] = {}
        for step in plan.steps:
            for option in step.choice.options:
                self.sources.setdefault(option.key, step.choice)
        self.providers: dict[str, Provider] = {}
        self.loaded: set[str] = set()
        self.failed: dict[str, str] = {}

    def provider(self, key: str) -> Provider:
        if key not in self.providers:
            choice = self.sources[key]
            option = choice.option(key)
            assert option is not None
            self.providers[key] = create_provider(candidate_of(choice.models[option.id]))
        return self.providers[key]

    async def reside(self, wanted: frozenset[str], measure: StepMeasure) -> None:
        """Release what is not wanted, load what is missing (timed into ``measure``)."""
        for key in sorted(self.loaded - wanted):
            self.loaded.discard(key)
            await self.providers[key].release()
        for key in sorted(wanted - self.loaded):
            choice = self.sources[key]
            try:
                provider = self.provider(key)  # set up untimed, as the runner does
            except ChampionError as exc:
                self.failed[key] = redact(str(exc))
                continue
            start = time.perf_counter_ns()
            try:
                await provider.load()
            except ChampionError as exc:
                self.failed[key] = redact(str(exc))
            else:
                self.failed.pop(key, None)
                if choice.suite.cases:
                    # As in a run, a failed warm-up is not fatal: the calls say what is wrong.
                    with contextlib.suppress(ProviderError):
                        await call(provider, warmup_request(choice.suite, choice.suite.cases[0]),
                                   RetryPolicy())
            measure.load_ms += (time.perf_counter_ns() - start) / 1e6
            measure.loads += 1
            self.loaded.add(key)

    async def aclose(self) -> None:
        for provider in self.providers.values():
            with contextlib.suppress(ChampionError):  # best effort: what was measured is kept
                await provider.aclose()


def _vars(choice: StepChoice, item: Item, outputs: dict[str, Any]) -> dict[str, Any]:
    """The step's template vars: its inputs, else the item's vars of the same name."""
    values = dict(item.vars)
    for var, ref in choice.step.input_refs().items():
        if ref.source == ITEM:
            values[var] = item.vars[ref.field[0]]
            continue
        value = outputs[ref.source]
        for part in ref.field:
            if not isinstance(value, dict) or part not in value:
                raise KeyError(f"the output of step {ref.source!r} has no field {str(ref)!r}")
            value = value[part]
        values[var] = value
    return values


async def _one_call(plan: Plan, t: int, item: Item, models: _Models,
                    outputs: dict[str, Any]) -> CallRecord:
    step = plan.steps[t]
    choice, key = step.choice, step.model_key
    assert key is not None
    model = plan.model_id(key) or key
    record = CallRecord(item=item.id, step=step.id, model=model)
    if key in models.failed:
        record.error = f"not loaded: {models.failed[key]}"
        return record
    try:
        request = render_request(choice.suite, _vars(choice, item, outputs))
    except KeyError as exc:
        record.error = f"inputs: {exc.args[0]}"
        return record
    try:
        completion = await call(models.provider(key), request, RetryPolicy())
    except ProviderError as exc:
        message = redact(str(exc))
        record.error = message if message.startswith(exc.kind) else f"{exc.kind}: {message}"
        return record
    record.latency_ms = completion.latency_ns / 1e6
    text = redact(completion.text)
    record.output = text[:OUTPUT_CHARS]
    parsed = OutputFormat(choice.suite).parse(text)
    record.parsed_ok = parsed.ok
    if parsed.ok:
        outputs[step.id] = parsed.value
        record.got = parsed.value
    else:
        record.error = f"unparseable: {parsed.error}"
    case_id = item.cases.get(step.id)
    if case_id is not None:
        case = next(c for c in choice.suite.cases if c.id == case_id)
        record.correct = Scorer(choice.suite).score(text, case).correct
    return record


def _projected(plan: Plan, items: tuple[Item, ...]) -> Verification:
    """A verify run not yet started: each step projected for these items, each step's
    share being the share of them that reach it."""
    count = len(items)
    reached = [sum(item.reaches(s.id) for item in items) for s in plan.steps]
    problem = replace(plan_inputs(plan.inputs, count),
                      shares=tuple(r / count for r in reached))
    projection = projection_of(plan.inputs, problem, tuple(s.model_key or "" for s in plan.steps),
                               tuple(s.resident for s in plan.steps))
    measures = [StepMeasure(step=s.id, model=plan.model_id(s.model_key) or "",
                            reached=reached[t], projected_ms=projection.steps[t].total_ms(count))
                for t, s in enumerate(plan.steps)]
    return Verification(id=uuid.uuid4().hex[:12], workflow=plan.workflow.workflow,
                        flow=plan.workflow.flow, items=count, steps=measures,
                        projected_total_ms=projection.total_ms(count))


def _schedule(plan: Plan, count: int) -> list[tuple[int, int, bool]]:
    """(step position, item index, last of its unit) in the order the flow runs them;
    a unit (a step's wave, or an item) is stored once it is done."""
    steps = range(len(plan.steps))
    if plan.workflow.flow == "wave":
        return [(t, i, i == count - 1) for t in steps for i in range(count)]
    return [(t, i, t == len(steps) - 1) for i in range(count) for t in steps]


async def _run(plan: Plan, items: tuple[Item, ...], verification: Verification,
               models: _Models, save: Callable[[], None], progress: Progress | None) -> None:
    outputs: dict[str, dict[str, Any]] = {item.id: {} for item in items}
    failed: set[str] = set()
    for t, i, unit_done in _schedule(plan, len(items)):
        item, measure = items[i], verification.steps[t]
        if item.reaches(plan.steps[t].id) and item.id in failed:
            measure.skipped += 1
        elif item.reaches(plan.steps[t].id):
            await models.reside(plan.steps[t].resident, measure)
            record = await _one_call(plan, t, item, models, outputs[item.id])
            measure.add(record)
            verification.calls.append(record)
            if record.error is not None:
                failed.add(item.id)
            if progress is not None:
                progress(record)
        if unit_done:
            save()


async def averify_plan(plan: Plan, items: tuple[Item, ...], store: Store | None = None,
                       progress: Progress | None = None) -> Verification:
    """Run ``items`` through ``plan`` and measure it (stored in ``store`` when given).

    Raises:
        InputError: the plan does not fit its budget (there is nothing to verify).
    """
    if not plan.feasible:
        raise InputError(f"{plan.workflow.workflow}: nothing fits, so there is no plan to"
                         " verify")
    verification = _projected(plan, items)
    start = time.perf_counter_ns()

    def save(status: str = "running") -> None:
        verification.wall_ms = (time.perf_counter_ns() - start) / 1e6
        if store is not None:
            store.save_verification(verification.id, verification.to_json(), status)

    if store is not None:
        store.begin_verification(verification_id=verification.id,
                                 workflow=plan.workflow.workflow, items=len(items),
                                 plan=plan_json(plan))
    models = _Models(plan)
    try:
        await _run(plan, items, verification, models, save, progress)
        verification.status = "complete"
    except (KeyboardInterrupt, asyncio.CancelledError):
        verification.status = "interrupted"
        raise
    except Exception:
        verification.status = "failed"
        raise
    finally:
        await asyncio.shield(models.aclose())
        save(verification.status)
    return verification


def verify_plan(plan: Plan, items: tuple[Item, ...], store: Store | None = None,
                progress: Progress | None = None) -> Verification:
    """Synchronous :func:`averify_plan`; also works inside a running event loop."""
    return run_sync(averify_plan(plan, items, store, progress))
