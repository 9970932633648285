"""``champion plan WORKFLOW --verify ITEMS_FILE``: measured beside projected."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.console import Console

from champion._cli.plan import table
from champion._report.escape import terminal_text
from champion._store import Store
from champion._workflow.explain import duration
from champion._workflow.plan import Plan

__all__ = ["print_verify", "run_verify"]


def run_verify(console: Console | None, store: Store, plan: Plan,
               items_file: str) -> dict[str, Any]:
    """Run the items through the plan (progress on ``console``); the stored record."""
    from champion._workflow.items import load_items
    from champion._workflow.verification import CallRecord
    from champion._workflow.verify import averify_plan

    items = load_items(items_file, plan)

    def progress(record: CallRecord) -> None:
        if console is None:
            return
        what = (f"error: {terminal_text(record.error, 200)}" if record.error
                else f"{duration(record.latency_ms or 0.0)}")
        console.print(f"  {terminal_text(record.item, 40)} → {terminal_text(record.step, 40)}"
                      f" ({terminal_text(record.model, 60)}): {what}")

    if console is not None:
        console.print(f"verifying the plan on {len(items)} items…")
    try:
        found = asyncio.run(averify_plan(plan, items, store, progress))
    except KeyboardInterrupt:
        if console is not None:
            console.print("\ninterrupted: what was measured is stored")
        raise SystemExit(130) from None
    return found.to_json()


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1%}"


def print_verify(console: Console, verified: dict[str, Any]) -> None:
    """Measured beside projected, per step and in total."""
    shown = table("step", "model", "items", "loads", "load time", "calls", "measured",
                  "projected", "deviation", "errors", "correct",
                  title=f"verify run {verified['id']}: {verified['items']} items")
    for step in verified["steps"]:
        correct = "—" if step["correct"] is None else f"{step['correct']}/{step['graded']}"
        shown.add_row(terminal_text(step["step"], 60), terminal_text(step["model"], 60),
                      str(step["reached"]), str(step["loads"]), duration(step["load_ms"]),
                      duration(step["call_ms"]), duration(step["measured_ms"]),
                      duration(step["projected_ms"]), _pct(step["deviation"]),
                      str(step["errors"] + step["skipped"]), correct)
    console.print(shown)
    correct = "" if verified["correct"] is None else \
        f"; {verified['correct']}/{verified['graded']} graded outputs correct"
    console.print(f"verify: measured {duration(verified['measured_total_ms'])}, projected"
                  f" {duration(verified['projected_total_ms'])}"
                  f" ({_pct(verified['deviation'])}); wall time"
                  f" {duration(verified['wall_ms'])}{correct}")
