"""The workflow forms of ``champion promote`` and ``champion registry``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from champion._cli.plan import table, wide_console
from champion._report.escape import terminal_text
from champion._store import Store, WorkflowPromotionRow
from champion._workflow.explain import duration
from champion._workflow.loader import load_workflow
from champion._workflow.promotion import WorkflowRegistry, registry_rows
from champion._workflow.render import projected_ms

__all__ = ["print_workflow_registry", "promote_workflow"]


def promote_workflow(workflow_file: str, items: int, stage: str, rollback: bool,
                     db: str | None) -> None:
    """``champion promote --workflow FILE [--items N] [--stage S] [--rollback]``."""
    with Store(db) as store:
        registry = WorkflowRegistry(store)
        if rollback:
            name = load_workflow(workflow_file).workflow
            row = registry.rollback(name, stage)
        else:
            row, _plan = registry.promote(load_workflow(workflow_file, store.tasks()), items,
                                          stage)
    what = "rolled back" if rollback else "promoted"
    lines = [f"{what} workflow {terminal_text(row.workflow, 60)} on {row.stage}"
             f" (plan for {row.items} items, entry {row.id})"]
    for route in row.routes:
        lines.append(f"  {terminal_text(route.step, 40)}: {terminal_text(route.champion, 60)}"
                     f" (fallback {terminal_text(route.runner_up or 'none', 60)}), route"
                     f" {terminal_text(row.workflow + '/' + route.step, 100)}")
    click.echo("\n".join(lines))


def _name(workflow: str) -> str:
    """A workflow's name, given as such or as its file."""
    path = Path(workflow)
    if path.suffix.lower() in (".yaml", ".yml", ".json") and path.is_file():
        return load_workflow(path).workflow
    return workflow


def print_workflow_registry(workflow: str, stage: str | None, fmt: str,
                            db: str | None) -> None:
    """``champion registry --workflow NAME [--stage S] [--format table|json]``."""
    if fmt == "env":
        raise click.UsageError("--workflow prints a table or json; the steps' variables are"
                               " in champion registry --format env (WORKFLOW/STEP routes)")
    with Store(db) as store:
        rows = WorkflowRegistry(store).current(_name(workflow), stage)
    if fmt == "json":
        click.echo(json.dumps([_promotion_json(row) for row in rows], indent=2,
                              ensure_ascii=False))
        return
    console = wide_console()
    for row in rows:
        console.print(_table(row))
        total = projected_ms(row.plan, row.items)
        if total is not None:
            loads = row.plan.get("loads")
            console.print(f"projected: {duration(total)} for {row.items} items, {loads}"
                          f" load{'' if loads == 1 else 's'}, peak memory"
                          f" {row.plan.get('peak_memory_mb') or 0:.0f} MB")


def _table(row: WorkflowPromotionRow) -> Table:
    shown = table("step", "task", "champion", "runner-up", "memory", "status",
                  title=f"{terminal_text(row.workflow, 60)} on {row.stage}: promoted"
                  f" {row.promoted_at.strftime('%Y-%m-%d %H:%M')} ({row.action}, entry {row.id})")
    for line in registry_rows(row):
        shown.add_row(terminal_text(line.step, 60), terminal_text(line.task, 60),
                      terminal_text(line.champion, 60),
                      terminal_text(line.runner_up or "—", 60),
                      "—" if line.memory_mb is None else f"{line.memory_mb:.0f} MB",
                      terminal_text("; ".join(line.status), 200))
    return shown


def _promotion_json(row: WorkflowPromotionRow) -> dict[str, object]:
    return {
        "workflow": row.workflow, "stage": row.stage, "id": row.id, "action": row.action,
        "promoted_at": row.promoted_at.isoformat(), "items": row.items,
        "steps": [{"step": line.step, "task": line.task, "champion": line.champion,
                   "runner_up": line.runner_up, "memory_mb": line.memory_mb,
                   "status": list(line.status)} for line in registry_rows(row)],
        "plan": row.plan,
    }
