"""``champion plan WORKFLOW [--items N] [--stage S] [--format table|json] [--verify ITEMS_FILE]``

Exit 3 when no assignment fits the budget.
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Column, Table

from champion._cli.options import db_option
from champion._registry.entries import STAGES
from champion._report.escape import terminal_text
from champion._store import Store
from champion._workflow.explain import duration

__all__ = ["plan", "table", "wide_console"]


def wide_console() -> Console:
    """A console whose tables are never cut off: off a terminal it is as wide as needed."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 10_000
    return console


def table(*headers: str, title: str) -> Table:
    """A table whose cells wrap (a long name folds) instead of being cut with an ellipsis."""
    return Table(*(Column(header, overflow="fold") for header in headers), title=title)


@click.command()
@click.argument("workflow_file", metavar="WORKFLOW", type=click.Path())
@click.option("--items", type=click.IntRange(min=1), default=100, show_default=True,
              help="Items the projection is for.")
@click.option("--stage", type=click.Choice(STAGES),
              help="Show beside the plan what this stage serves for the workflow.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--verify", "items_file", type=click.Path(), metavar="ITEMS_FILE",
              help="Run these sample items through the plan and measure it.")
@db_option
def plan(workflow_file: str, items: int, stage: str | None, fmt: str, items_file: str | None,
         db: str | None) -> None:
    """Pick one qualified model per step of WORKFLOW, jointly: the least projected
    time for N items under the workflow's budget."""
    from champion._workflow.loader import load_workflow
    from champion._workflow.plan import plan_workflow
    from champion._workflow.promotion import promoted_beside
    from champion._workflow.render import plan_json

    console = wide_console()
    with Store(db) as store:
        workflow = load_workflow(workflow_file, store.tasks())
        found = plan_workflow(workflow, store, items)
        document = plan_json(found)
        if stage is not None:
            document["promoted"] = promoted_beside(store, found, stage)
        if items_file is not None and found.feasible:
            from champion._cli.verify import run_verify

            document["verify"] = run_verify(console if fmt == "table" else None, store,
                                            found, items_file)
    if items_file is not None and not found.feasible:
        document["verify"] = None
        document["notes"].append("not verified: nothing fits, so there is no plan to verify")
    if fmt == "json":
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print_plan(console, document)
        if document.get("verify"):
            from champion._cli.verify import print_verify

            print_verify(console, document["verify"])
    if not found.feasible:
        raise SystemExit(3)


def _ms(value: float | None) -> str:
    return "—" if value is None else duration(value)


def _summary(figures: dict[str, Any], items: int) -> str:
    if figures.get("projected_total_ms") is None:
        return "—"
    loads = figures["loads"]
    return (f"{_ms(figures['projected_total_ms'])} for {items} items"
            f" ({_ms(figures['per_item_ms'])} per item, one item through every step"
            f" {_ms(figures['item_latency_ms'])}), {loads} load{'' if loads == 1 else 's'},"
            f" peak memory {figures['peak_memory_mb']:.0f} MB")


def print_plan(console: Console, document: dict[str, Any]) -> None:
    """The plan as a table and a few lines."""
    budget = document["budget"]
    limits = [f"memory {budget['memory_gb']:g} GB" if budget["memory_gb"] else None,
              f"{budget['max_item_ms']:g} ms per item" if budget["max_item_ms"] else None]
    shown = ", ".join(limit for limit in limits if limit) or "none"
    steps = table("step", "task", "model", "step's champion", "shared with", "median",
                  "share", "loads", "projected", "resident", "fallback",
                  title=f"{terminal_text(document['workflow'], 60)}: {document['items']} items,"
                  f" {document['flow']} flow, budget: {shown}")
    for step in document["steps"]:
        fallback = terminal_text(step["fallback"] or "—", 60)
        if step["fallback_fits"] is False:
            fallback += " (over budget)"
        steps.add_row(
            terminal_text(step["id"], 60), terminal_text(step["task"], 60),
            terminal_text(step["model"] or "—", 60), terminal_text(step["champion"] or "—", 60),
            terminal_text(", ".join(step["shared_with"]) or "—", 80), _ms(step["median_ms"]),
            f"{step['share']:g}", "—" if step["loads"] is None else f"{step['loads']:g}",
            _ms(step["projected_ms"]),
            terminal_text(", ".join(step["resident"]) or "—", 80)
            + (f" ({step['resident_memory_mb']:.0f} MB)" if step["resident"] else ""),
            fallback)
    console.print(steps)
    items = document["items"]
    if document["feasible"]:
        console.print(f"plan:                     {_summary(document, items)}")
    else:
        console.print(f"nothing fits: {terminal_text(document['reason'], 2000)}")
    champions = document["per_step_champions"] or {}
    their = _summary(champions, items)
    if champions and not champions["feasible"]:
        their += " — does not fit the budget"
    console.print(f"each step's own champion: {their}")
    if document["why"]:
        console.print(f"why: {terminal_text(document['why'], 2000)}")
    promoted = document.get("promoted")
    if promoted is not None:
        console.print(_promoted_line(promoted, items))
    for note in document["notes"]:
        console.print(f"note: {terminal_text(note, 2000)}")
    solver = document["solver"]
    console.print(f"solved by {solver['name']} in {solver['solve_ms']:.0f} ms")


def _promoted_line(promoted: dict[str, Any], items: int) -> str:
    stage = promoted["stage"]
    if not promoted["promoted"]:
        return f"{stage}: this workflow is not promoted there"
    changes = "; ".join(f"{terminal_text(c['step'], 60)}: {terminal_text(c['from'] or '—', 60)}"
                        f" → {terminal_text(c['to'] or '—', 60)}" for c in promoted["changes"])
    return (f"{stage} serves the plan promoted {promoted['promoted_at'][:16]}:"
            f" {_ms(promoted['projected_total_ms'])} for {items} items;"
            f" {changes or 'the same models'}")
