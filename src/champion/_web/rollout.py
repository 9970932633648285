"""The task page's rollout figures: shadow agreement over time and canaries' steps.

The same dictionary fills the page (``task.html``) and its JSON twin
(``/api/tasks/<task>``: ``shadows``, ``shadow_series``, ``canaries``).
"""

from __future__ import annotations

from typing import Any

from champion._registry.rollout.report import agreement_series, shadow_report
from champion._store import PromotionRow, Store

__all__ = ["task_rollout"]

#: Canaries shown on a task page (the newest).
CANARIES_SHOWN = 5


def _step(row: PromotionRow) -> dict[str, Any]:
    details = row.details or {}
    figures = details.get("canary") or {}
    return {"at": row.promoted_at.isoformat(), "stage": row.stage, "action": row.action,
            "share": row.share, "interval": details.get("interval"),
            "calls": figures.get("calls"), "error_rate": figures.get("error_rate"),
            "fallback_rate": figures.get("fallback_rate"), "p95_ms": figures.get("p95_ms"),
            "baseline_p95_ms": (details.get("baseline") or {}).get("p95_ms"),
            "problems": details.get("problems") or [], "reason": details.get("reason")}


def task_rollout(store: Store, task: str) -> dict[str, Any]:
    """Every shadow's agreement (overall and over time) and the newest canaries with
    their steps, holds and ends."""
    history = store.promotion_history(task)
    canaries = []
    for canary in store.canaries_of(task, CANARIES_SHOWN):
        canaries.append({
            "id": canary.id, "stage": canary.stage, "run_id": canary.run_id,
            "champion": canary.champion, "runner_up": canary.runner_up,
            "status": canary.status, "share": canary.share, "step": canary.step,
            "interval_s": canary.interval_s, "interval": canary.interval_no,
            "bad_intervals": canary.bad_intervals, "failure_limit": canary.failure_limit,
            "ceilings": {"min_calls": canary.min_calls, "max_error_rate": canary.max_error_rate,
                         "max_fallback_rate": canary.max_fallback_rate,
                         "max_p95_ms": canary.max_p95_ms},
            "started_at": canary.started_at.isoformat(),
            "steps": [_step(row) for row in history if row.canary_id == canary.id]})
    return {"shadows": shadow_report(store, task).as_json()["shadows"],
            "shadow_series": agreement_series(store, task), "canaries": canaries}
