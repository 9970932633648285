"""The dashboard's workflow pages and their JSON twins.

``/workflows`` lists the workflows promoted or verified; ``/workflows/{name}``
shows one: its steps as a chain with each step's planned model beside its own
champion (shared models highlighted), the projection for 50, 100 and the
plan's N items on every stage it is promoted on, and the latest verify run's
measured figures beside the projection. The plan shown is the one promoted on
the most trusted stage, else the latest verify run's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from champion._errors import InputError
from champion._registry.entries import STAGES
from champion._store import Store, VerificationRow, WorkflowPromotionRow
from champion._workflow.render import projected_ms

if TYPE_CHECKING:
    from champion._web.dashboard import _Dashboard

__all__ = ["workflow_data", "workflow_pages", "workflows_data"]

#: Item counts every projection is shown for, besides the plan's own.
PROJECTED_ITEMS = (50, 100)
#: Calls of the latest verify run shown on the page.
SHOWN_CALLS = 60


def _stage(row: WorkflowPromotionRow, counts: list[int]) -> dict[str, Any]:
    return {"stage": row.stage, "id": row.id, "action": row.action, "items": row.items,
            "promoted_at": row.promoted_at.isoformat(),
            "projected_ms": {str(n): projected_ms(row.plan, n) for n in counts},
            "loads": row.plan.get("loads"), "peak_memory_mb": row.plan.get("peak_memory_mb"),
            "models": {route.step: route.champion for route in row.routes}}


def _verify(row: VerificationRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    measured = row.measured or {}
    return {"id": row.id, "status": row.status, "started_at": row.started_at.isoformat(),
            "finished_at": None if row.finished_at is None else row.finished_at.isoformat(),
            "items": row.items, **{k: v for k, v in measured.items() if k != "id"}}


def workflow_data(store: Store, name: str) -> dict[str, Any]:
    """Everything the workflow page shows, as data.

    Raises:
        InputError: the workflow was never promoted or verified.
    """
    promotions = {row.stage: row for row in store.current_workflow_promotions(workflow=name)}
    latest = store.latest_verification(name)
    if not promotions and latest is None:
        raise InputError(f"no workflow {name!r}: it was never promoted, nor a plan of it"
                         " verified")
    trusted = next((promotions[s] for s in reversed(STAGES) if s in promotions), None)
    plan = trusted.plan if trusted is not None else latest.plan if latest else {}
    shared = sorted({step["model"] for step in plan.get("steps", []) if step.get("shared_with")})
    counts = sorted({*PROJECTED_ITEMS, *(row.items for row in promotions.values())})
    return {
        "workflow": name, "description": plan.get("description", ""),
        "plan_from": f"promoted on {trusted.stage}" if trusted is not None
        else f"verify run {latest.id}" if latest else None,
        "plan": plan, "shared_models": shared,
        "items": counts,
        "stages": [_stage(promotions[s], counts) for s in STAGES if s in promotions],
        "verify": _verify(latest),
    }


def workflows_data(store: Store) -> list[dict[str, Any]]:
    """Every workflow with what each stage serves and its latest verify run."""
    rows = []
    for name in store.workflow_names():
        promoted = {row.stage: row for row in store.current_workflow_promotions(workflow=name)}
        latest = store.latest_verification(name)
        rows.append({
            "workflow": name,
            "stages": {stage: {"items": row.items, "projected_ms": projected_ms(row.plan,
                                                                                row.items),
                               "promoted_at": row.promoted_at.isoformat()}
                       for stage, row in promoted.items()},
            "verify": None if latest is None else {
                "id": latest.id, "status": latest.status,
                "deviation": (latest.measured or {}).get("deviation"),
                "started_at": latest.started_at.isoformat()}})
    return rows


Page = tuple[str, Callable[[Request], Response], Callable[[Request], list[str]] | None]


def workflow_pages(app: _Dashboard) -> list[Page]:
    """The workflow pages, registered like every other dashboard page."""
    store = app.runs.store

    def index(request: Request) -> Response:
        return app.page("workflows.html", workflows=workflows_data(store))

    def page(request: Request) -> Response:
        data = workflow_data(store, request.path_params["name"])
        return app.page("workflow.html", data=data, calls_shown=SHOWN_CALLS)

    def api_index(request: Request) -> Response:
        return JSONResponse({"workflows": workflows_data(store)})

    def api_page(request: Request) -> Response:
        return JSONResponse(workflow_data(store, request.path_params["name"]))

    return [("/workflows", index, None), ("/workflows/{name}", page, None),
            ("/api/workflows", api_index, None), ("/api/workflows/{name}", api_page, None)]
