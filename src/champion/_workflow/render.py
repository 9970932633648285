"""A plan as data: what ``champion plan --format json`` prints and a promotion stores."""

from __future__ import annotations

from typing import Any

from champion._workflow.explain import fallback_fits
from champion._workflow.plan import Alternative, Plan
from champion._workflow.projection import Projection

__all__ = ["PLAN_FORMAT", "plan_json", "projected_ms"]

#: Version of the plan document; fields are only ever added.
PLAN_FORMAT = 1


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _count(value: float) -> float | int:
    return round(value) if abs(value - round(value)) < 1e-9 else round(value, 3)


def _projection(projection: Projection | None, items: int) -> dict[str, Any]:
    if projection is None:
        return {"projected_total_ms": None, "per_item_ms": None, "item_latency_ms": None,
                "loads": None, "peak_memory_mb": None, "projection": None}
    return {
        "projected_total_ms": _ms(projection.total_ms(items)),
        "per_item_ms": _ms(projection.total_ms(items) / items),
        "item_latency_ms": _ms(projection.item_latency_ms),
        "loads": _count(projection.loads(items)),
        "peak_memory_mb": _ms(projection.peak_memory_mb),
        # total for n items = fixed_ms + ms_per_item × n; loads likewise
        "projection": {"fixed_ms": _ms(projection.fixed_ms),
                       "ms_per_item": _ms(projection.per_item_ms),
                       "loads_fixed": sum(s.loads_fixed for s in projection.steps),
                       "loads_per_item": round(sum(s.loads_per_item
                                                   for s in projection.steps), 6)},
    }


def projected_ms(plan: dict[str, Any], items: int) -> float | None:
    """A stored plan's projected time for ``items`` items (None when nothing fit)."""
    projection = plan.get("projection")
    if not projection:
        return None
    return float(projection["fixed_ms"]) + float(projection["ms_per_item"]) * items


def _alternative(plan: Plan, alternative: Alternative | None) -> dict[str, Any] | None:
    if alternative is None:
        return None
    return {
        "feasible": alternative.feasible,
        "models": [plan.model_id(key) for key in alternative.models],
        **_projection(alternative.projection, plan.items),
        "memory_excess_mb": _ms(alternative.memory_excess_mb),
        "item_excess_ms": _ms(alternative.item_excess_ms),
    }


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan document (see docs/workflows.md for every field)."""
    workflow, items, models = plan.workflow, plan.items, plan.inputs.models
    steps = []
    for index, step in enumerate(plan.steps):
        choice = step.choice
        option = None if step.model_key is None else choice.option(step.model_key)
        cost = None if plan.projection is None else plan.projection.steps[index]
        champion = choice.champion
        fallback = None if step.fallback_key is None else choice.option(step.fallback_key)
        steps.append({
            "id": step.id, "task": choice.step.task, "run_id": choice.run_id,
            "share": choice.step.share, "after": list(choice.step.after),
            "inputs": dict(choice.step.inputs),
            "model": None if option is None else option.id, "model_key": step.model_key,
            "champion": None if champion is None else champion.id,
            "champion_key": None if champion is None else champion.key,
            "shared_with": list(step.shared_with),
            "fallback": None if fallback is None else fallback.id,
            "fallback_key": step.fallback_key, "fallback_fits": fallback_fits(plan, index),
            "median_ms": None if option is None else _ms(option.median_ms),
            "cold_start_ms": _ms(models[step.model_key].cold_start_ms)
            if step.model_key else None,
            "memory_mb": _ms(models[step.model_key].memory_mb) if step.model_key else None,
            "resident": sorted(plan.model_id(k) or k for k in step.resident),
            "resident_memory_mb": _ms(sum(models[k].memory_mb or 0.0 for k in step.resident)),
            "loads": None if cost is None else _count(cost.loads(items)),
            "projected_ms": None if cost is None else _ms(cost.total_ms(items)),
            "candidates": len(choice.options),
        })
    budget = workflow.budget
    return {
        "format_version": PLAN_FORMAT,
        "workflow": workflow.workflow, "description": workflow.description,
        "flow": workflow.flow, "items": items,
        "budget": {"memory_gb": budget.memory_gb, "max_item_ms": budget.max_item_ms},
        "feasible": plan.feasible,
        **_projection(plan.projection, items),
        "steps": steps,
        "per_step_champions": _alternative(plan, plan.champions),
        "why": plan.why,
        "reason": plan.reason,
        "closest": _alternative(plan, plan.closest),
        "models": [{"id": cost.id, "key": cost.key, "cold_start_ms": _ms(cost.cold_start_ms),
                    "memory_mb": _ms(cost.memory_mb), "memory_source": cost.memory_source}
                   for cost in models.values()],
        "notes": list(plan.notes),
        "solver": {"name": "HiGHS", "solve_ms": _ms(plan.solve_ms)},
    }
