"""Sentences about a plan: why it shares a model, why nothing fits, what to watch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from champion._workflow.figures import StepChoice
    from champion._workflow.plan import Plan

__all__ = ["duration", "explain", "fallback_fits", "notes_of", "reason_nothing_fits"]


def duration(ms: float) -> str:
    """``820 ms``, ``4.2 s``, ``3.5 min``, ``2.1 h``."""
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    if ms < 3_600_000:
        return f"{ms / 60_000:.1f} min"
    return f"{ms / 3_600_000:.1f} h"


def _loads(count: float) -> str:
    shown = f"{count:.0f}" if abs(count - round(count)) < 1e-9 else f"{count:.1f}"
    return f"{shown} load" + ("" if shown == "1" else "s")


def _names(items: Sequence[str]) -> str:
    quoted = list(items)
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def explain(plan: Plan) -> str | None:
    """Why the plan is not each step's own champion (or shares one), in one sentence or two."""
    projection = plan.projection
    if projection is None:
        return None
    items, champions = plan.items, plan.champions
    changed = [s for s in plan.steps if s.choice.champion is not None
               and s.model_key != s.choice.champion.key]
    shared: dict[str | None, list[str]] = {}
    for step in plan.steps:
        if step.shared_with:
            shared.setdefault(step.model_key, []).append(step.id)
    if not changed:
        if not shared:
            return None
        return "; ".join(f"{plan.model_id(key)} is the champion of {_names(steps)}: it is"
                         " loaded for them together (batch them)"
                         for key, steps in shared.items()) + "."
    keys = list(dict.fromkeys(s.model_key for s in changed))

    def runs(key: str | None) -> list[str]:
        return shared.get(key) or [s.id for s in changed if s.model_key == key]

    subject = "; ".join(f"{plan.model_id(key)} runs {_names(runs(key))}" for key in keys)
    if not champions.feasible or champions.projection is None:
        over = []
        if champions.memory_excess_mb > 1e-6:
            over.append(f"their peak memory is {champions.memory_excess_mb:.0f} MB over the"
                        " budget")
        if champions.item_excess_ms > 1e-6:
            over.append(f"one item takes {duration(champions.item_excess_ms)} more than"
                        " max_item_ms")
        because = "; ".join(over) or "a step has no champion"
        return (f"{subject}: each step's own champion does not fit ({because}), and this is"
                f" the fastest plan that does ({duration(projection.total_ms(items))} for"
                f" {items} items).")
    theirs = champions.projection
    load_saved = theirs.load_ms(items) - projection.load_ms(items)
    calls_added = projection.calls_ms(items) - theirs.calls_ms(items)
    total, their_total = projection.total_ms(items), theirs.total_ms(items)
    if load_saved > 0 and calls_added >= 0:
        return (f"{subject}: {_loads(projection.loads(items))} instead of"
                f" {_loads(theirs.loads(items))} saves {duration(load_saved)} of loading, more"
                f" than the {duration(calls_added)} its slower calls add over {items} items"
                f" ({duration(total)} instead of {duration(their_total)} with each step's own"
                " champion).")
    return (f"{subject} instead of the step's champion: {duration(total)} for {items} items"
            f" instead of {duration(their_total)} with each step's own champion"
            + (", within the budget" if plan.workflow.budget.memory_gb
               or plan.workflow.budget.max_item_ms else "") + ".")


def reason_nothing_fits(plan: Plan, empty: Sequence[StepChoice]) -> str:
    """Why no assignment fits, and what comes closest."""
    if empty:
        return "; ".join(f"step {c.step.id!r}: no model qualified on task {c.step.task!r}"
                         f" (run {c.run_id})" for c in empty)
    budget, closest = plan.workflow.budget, plan.closest
    if closest is None or closest.projection is None:
        return "no assignment of qualified models fits the budget"
    over = []
    if closest.memory_excess_mb > 1e-6 and budget.memory_mb is not None:
        over.append(f"its peak memory {closest.projection.peak_memory_mb:.0f} MB is"
                    f" {closest.memory_excess_mb:.0f} MB over memory_gb {budget.memory_gb:g}")
    if closest.item_excess_ms > 1e-6 and budget.max_item_ms is not None:
        over.append(f"one item takes {duration(closest.projection.item_latency_ms)},"
                    f" {duration(closest.item_excess_ms)} over max_item_ms"
                    f" {budget.max_item_ms:g}")
    models = ", ".join(f"{c.step.id}: {plan.model_id(key)}"
                       for c, key in zip(plan.inputs.steps, closest.models, strict=True))
    return (f"no assignment of qualified models fits the budget; the closest ({models})"
            f" {' and '.join(over)}")


def fallback_fits(plan: Plan, index: int) -> bool | None:
    """Whether step ``index``'s fallback fits in memory beside the models resident then."""
    step, budget = plan.steps[index], plan.workflow.budget.memory_mb
    if step.fallback_key is None or budget is None or not plan.feasible:
        return None
    memory = {k: m.memory_mb or 0.0 for k, m in plan.inputs.models.items()}
    resident = step.resident | {step.fallback_key}
    return sum(memory.get(k, 0.0) for k in resident) <= budget + 1e-6


def notes_of(plan: Plan) -> tuple[str, ...]:
    """Figures the projection had to do without, and steps without a fallback."""
    notes = []
    used = {s.model_key for s in plan.steps if s.model_key} | {
        k for k in plan.champions.models if k}
    for key in sorted(used):
        cost = plan.inputs.models[key]
        if cost.cold_start_ms is None:
            notes.append(f"{cost.id}: no cold start measured; its loads count as 0 ms")
        if cost.memory_mb is None and plan.workflow.budget.memory_gb is not None:
            notes.append(f"{cost.id}: memory unknown (not measured, no size_gb); it counts"
                         " as 0 MB against the budget")
        elif cost.memory_source == "size_gb":
            notes.append(f"{cost.id}: memory from its declared size_gb, not measured")
    for index, step in enumerate(plan.steps):
        if plan.feasible and step.fallback_key is None:
            notes.append(f"step {step.id!r}: no other model qualified, so no fallback")
        elif fallback_fits(plan, index) is False:
            notes.append(f"step {step.id!r}: its fallback"
                         f" {plan.model_id(step.fallback_key)} does not fit in memory beside"
                         " the models resident then (over budget)")
    return tuple(notes)
