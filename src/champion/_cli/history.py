"""``champion history TASK [--model ID] [--format table|json]``"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from champion._cli.options import db_option
from champion._registry.history import (
    ModelFigures,
    ModelTrend,
    TaskHistory,
    model_trend,
    task_history,
)
from champion._report.escape import terminal_text
from champion._store import Store

__all__ = ["history"]


@click.command()
@click.argument("task")
@click.option("--model", "model", metavar="ID",
              help="One model's latency and pass-rate trend (its id or key).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@db_option
def history(task: str, model: str | None, fmt: str, db: str | None) -> None:
    """The champion of TASK over its runs, or one model's trend."""
    with Store(db) as store:
        found: TaskHistory | ModelTrend = (
            model_trend(store, task, model) if model else task_history(store, task))
    if fmt == "json":
        click.echo(json.dumps(dataclasses.asdict(found), indent=2, default=_json_default,
                              ensure_ascii=False))
        return
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 160)
    console.print(_trend_table(found) if isinstance(found, ModelTrend)
                  else _history_table(found))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"


def _model(figures: ModelFigures | None) -> str:
    if figures is None:
        return "—"
    return (f"{terminal_text(figures.id, 40)} ({_ms(figures.median_ms)},"
            f" {figures.pass_rate:.0%})")


def _history_table(found: TaskHistory) -> Table:
    table = Table("run", "date", "purpose", "status", "champion (median, pass)", "runner-up",
                  "calls", "changes", title=f"history of {terminal_text(found.task, 60)}")
    for run in found.runs:
        notes = []
        if run.suite_changed:
            notes.append(f"suite changed ({run.suite_fingerprint[:8]})")
        if run.champion_changed:
            notes.append(f"champion changed (was {terminal_text(run.previous_champion or '—')})")
        for change in run.identity_changes:
            notes.append(f"{terminal_text(change.model, 40)} changed: {change.before[:12]} →"
                         f" {change.after[:12]}")
        table.add_row(run.run_id, _when(run.started_at), run.purpose, run.status,
                      _model(run.champion), _model(run.runner_up), str(run.calls),
                      "; ".join(notes))
    return table


def _trend_table(found: ModelTrend) -> Table:
    table = Table("run", "date", "status", "median", "p90", "change", "pass rate", "trials",
                  "digest", title=f"{terminal_text(found.model, 60)} on"
                  f" {terminal_text(found.task, 60)} ({terminal_text(found.key, 80)})")
    for point in found.points:
        if point.suite_changed:
            change = "suite changed"
        elif point.median_change_pct is None:
            change = "—"
        else:
            change = f"{point.median_change_pct:+.1f}%"
        table.add_row(point.run_id, _when(point.started_at), point.status,
                      _ms(point.median_ms), _ms(point.p90_ms), change,
                      f"{point.pass_rate:.0%}", str(point.trials),
                      terminal_text(point.digest or "—", 20))
    return table
