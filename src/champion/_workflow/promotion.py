"""Promoting a workflow's plan as one unit, rolling it back, and what a stage serves.

A promotion stores the plan document and, per step, a route: the planned model
as champion and the step's fallback as runner-up, from the step task's run.
The registry serves each route under the name ``WORKFLOW/STEP`` like a task
(:meth:`champion._registry.Registry.entries`), so
``Router.complete("job-processing/extract", vars)`` calls the planned model
with the step task's own prompt and parser, and falls back as for any task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from champion._errors import InputError
from champion._registry.entries import check_stage
from champion._store import Store, WorkflowPromotionRow, WorkflowRouteRow
from champion._workflow.model import Workflow
from champion._workflow.plan import Plan, plan_workflow
from champion._workflow.render import plan_json, projected_ms

__all__ = ["RegistryRow", "WorkflowRegistry", "promoted_beside", "registry_rows"]


@dataclass(frozen=True, slots=True)
class RegistryRow:
    """One line of ``champion registry --workflow``: the cookbook's workflow table."""

    step: str
    task: str
    champion: str
    runner_up: str | None
    memory_mb: float | None
    #: ``shared: batch together`` (with which steps), ``over budget``, or ``ok``.
    status: tuple[str, ...]


class WorkflowRegistry:
    """Workflow promotions in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def promote(self, workflow: Workflow, items: int = 100, stage: str = "prod"
                ) -> tuple[WorkflowPromotionRow, Plan]:
        """Plan ``workflow`` for ``items`` items and serve every step's planned model and
        fallback on ``stage`` at once (one entry, one rollback).

        Raises:
            InputError: nothing fits the budget (nothing is promoted).
        """
        check_stage(stage)
        plan = plan_workflow(workflow, self.store, items)
        if not plan.feasible:
            raise InputError(f"{workflow.workflow}: nothing fits, so nothing is promoted:"
                             f" {plan.reason}")
        routes = []
        for position, step in enumerate(plan.steps):
            choice = step.choice
            assert step.model_key is not None
            planned = choice.option(step.model_key)
            fallback = None if step.fallback_key is None else choice.option(step.fallback_key)
            assert planned is not None
            routes.append(WorkflowRouteRow(
                step=step.id, position=position, task=choice.step.task, run_id=choice.run_id,
                champion=planned.id, champion_key=planned.key,
                runner_up=None if fallback is None else fallback.id,
                runner_up_key=None if fallback is None else fallback.key))
        row = self.store.add_workflow_promotion(
            workflow=workflow.workflow, stage=stage, items=items, plan=plan_json(plan),
            routes=routes)
        return row, plan

    def rollback(self, name: str, stage: str = "prod") -> WorkflowPromotionRow:
        """Serve again the plan the stage served before its current one."""
        return self.store.roll_back_workflow(name, check_stage(stage))

    def current(self, name: str, stage: str | None = None) -> list[WorkflowPromotionRow]:
        """What each stage (or one) serves for the workflow; InputError when none does."""
        if stage is not None:
            check_stage(stage)
        rows = self.store.current_workflow_promotions(stage, name)
        if not rows:
            where = f" on {stage}" if stage else ""
            raise InputError(f"workflow {name!r} is not promoted{where}: promote the"
                             " workflow file first")
        return rows


def registry_rows(promotion: WorkflowPromotionRow) -> list[RegistryRow]:
    """The cookbook's table for one promotion: step | task | champion | runner-up |
    memory | status."""
    steps = {step["id"]: step for step in promotion.plan.get("steps", [])}
    rows = []
    for route in promotion.routes:
        step: dict[str, Any] = steps.get(route.step, {})
        status = []
        if step.get("shared_with"):
            status.append("shared: batch together (with "
                          + ", ".join(step["shared_with"]) + ")")
        if step.get("fallback_fits") is False:
            status.append("over budget: the runner-up does not fit beside the resident models")
        rows.append(RegistryRow(step=route.step, task=route.task, champion=route.champion,
                                runner_up=route.runner_up, memory_mb=step.get("memory_mb"),
                                status=tuple(status) or ("ok",)))
    return rows


def promoted_beside(store: Store, plan: Plan, stage: str) -> dict[str, Any]:
    """What ``stage`` serves for the plan's workflow, projected for the plan's items,
    and the steps whose model would change."""
    row = store.workflow_promotion(plan.workflow.workflow, check_stage(stage))
    if row is None:
        return {"stage": stage, "promoted": False}
    planned = {s.id: plan.model_id(s.model_key) for s in plan.steps}
    served = {r.step: r.champion for r in row.routes}
    return {
        "stage": stage, "promoted": True, "promotion_id": row.id,
        "promoted_at": row.promoted_at.isoformat(), "promoted_items": row.items,
        "projected_total_ms": projected_ms(row.plan, plan.items),
        "changes": [{"step": step, "from": served.get(step), "to": model}
                    for step, model in planned.items() if served.get(step) != model],
    }
