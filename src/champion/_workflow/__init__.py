"""Workflows: one model per step of a pipeline, chosen jointly.

A workflow file names steps (each runs one task), their order, the share of
items reaching each, and a budget. :func:`plan_workflow` picks, from the stored
rankings of each step's task, one qualified model per step so that the
projected time for N items is least under the budget (a mixed-integer program
solved by HiGHS); :func:`verify_plan` runs sample items through the plan and
measures it; :class:`WorkflowRegistry` promotes a plan as one unit.

Names are imported on first use, so loading a workflow file does not load the solver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from champion._lazy import lazy_exports

if TYPE_CHECKING:
    from champion._workflow.items import Item, load_items
    from champion._workflow.loader import load_workflow
    from champion._workflow.model import Budget, Step, Workflow
    from champion._workflow.plan import Plan, plan_workflow
    from champion._workflow.promotion import WorkflowRegistry
    from champion._workflow.render import plan_json
    from champion._workflow.verification import Verification
    from champion._workflow.verify import averify_plan, verify_plan

_LAZY = {
    "Budget": "champion._workflow.model",
    "Item": "champion._workflow.items",
    "Plan": "champion._workflow.plan",
    "Step": "champion._workflow.model",
    "Verification": "champion._workflow.verification",
    "Workflow": "champion._workflow.model",
    "WorkflowRegistry": "champion._workflow.promotion",
    "averify_plan": "champion._workflow.verify",
    "load_items": "champion._workflow.items",
    "load_workflow": "champion._workflow.loader",
    "plan_json": "champion._workflow.render",
    "plan_workflow": "champion._workflow.plan",
    "verify_plan": "champion._workflow.verify",
}

__all__ = ["Budget", "Item", "Plan", "Step", "Verification", "Workflow", "WorkflowRegistry",
           "averify_plan", "load_items", "load_workflow", "plan_json", "plan_workflow",
           "verify_plan"]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
