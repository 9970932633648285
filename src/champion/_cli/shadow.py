"""``champion shadow TASK [--since DURATION] [--min-agreement F] [--format table|json]``:
how far a task's shadows agree with what served it; exit 3 under the floor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click
from rich.console import Console
from rich.table import Table

from champion._cli.options import DURATION, db_option
from champion._registry.rollout.report import ShadowFigures, ShadowReport, shadow_report
from champion._report.escape import terminal_text
from champion._store import Store

__all__ = ["shadow"]


@click.command()
@click.argument("task")
@click.option("--since", "since_s", type=DURATION, metavar="DURATION",
              help="Only outcomes this recent (90m, 24h, 7d) [default: all].")
@click.option("--min-agreement", type=click.FloatRange(0, 1), default=0.95, show_default=True,
              metavar="F", help="Exit 3 when a shadow's agreement is surely below this: the"
                                " upper bound of its 95% interval is.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@db_option
def shadow(task: str, since_s: float | None, min_agreement: float, fmt: str,
           db: str | None) -> None:
    """How far TASK's shadow models agree with the answers that served it.

    Shows each shadow's agreement with its 95% interval, its latency beside the
    served calls', the calls the in-flight bound skipped, and the newest
    disagreements (with their text when the gateway ran with --record-text).
    Exit 3 when a shadow's agreement is below --min-agreement with 95%
    confidence (a cron or CI alert); 0 otherwise.
    """
    since = None if since_s is None else datetime.now(UTC) - timedelta(seconds=since_s)
    with Store(db) as store:
        report = shadow_report(store, task, since, min_agreement)
    if fmt == "json":
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        _print(report)
    if report.below_floor:
        raise SystemExit(3)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _ms(figures: dict[str, float | None]) -> str:
    median, p95 = figures.get("median"), figures.get("p95")
    return "—" if median is None else f"{median:.1f} / {p95:.1f} ms"


def _print(report: ShadowReport) -> None:
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 160)
    since = "" if report.since is None else f" since {report.since:%Y-%m-%d %H:%M} UTC"
    if not report.shadows:
        console.print(f"no shadow outcomes for {terminal_text(report.task)}{since}: serve it"
                      " with champion gateway --shadow TASK=MODEL", markup=False)
        return
    table = Table("shadow", "calls", "agreement", "95% interval", "shadow median / p95",
                  "served median / p95", "skipped", "disagreements",
                  title=f"shadows of {terminal_text(report.task, 60)}{since}")
    for figures in report.shadows:
        kinds = ", ".join(f"{terminal_text(kind, 20)} {count}"
                          for kind, count in sorted(figures.kinds.items())) or "—"
        table.add_row(terminal_text(figures.model, 40), str(figures.calls),
                      _pct(figures.agreement),
                      f"{_pct(figures.lower95)} – {_pct(figures.upper95)}",
                      _ms(figures.latency_ms), _ms(figures.champion_latency_ms),
                      str(figures.skipped), kinds)
    console.print(table)
    for figures in report.shadows:
        _print_disagreements(console, figures)
    for figures in report.below_floor:
        console.print(f"ALERT: {terminal_text(figures.model)} agrees at most"
                      f" {_pct(figures.upper95)} of the time (95% bound), under the floor"
                      f" {report.min_agreement:.1%}", markup=False)
    if not report.below_floor:
        console.print(f"OK: no shadow is surely under the floor {report.min_agreement:.1%}")


def _tail(prompt: str | None, limit: int = 70) -> str:
    """The end of a prompt: where a task's template puts what varies, usually."""
    text = " ".join((prompt or "").split())
    return text[-limit:]


def _print_disagreements(console: Console, figures: ShadowFigures) -> None:
    if not figures.disagreements:
        return
    console.print(f"newest disagreements of {terminal_text(figures.model)} (by prompt):",
                  markup=False)
    for item in figures.disagreements:
        at = (item["at"] or "")[:19].replace("T", " ") + (
            f" ×{item['times']}" if item["times"] > 1 else "")
        if item["champion_answer"] is None:
            console.print(f"  {at} {terminal_text(item['kind'], 30)}: prompt"
                          f" {(item['prompt_sha256'] or '')[:12]} (texts not recorded:"
                          " --record-text)", markup=False)
            continue
        console.print(f"  {at} {terminal_text(item['kind'], 30)}:"
                      f" {terminal_text(item['served_by'], 30)} answered"
                      f" {terminal_text(item['champion_answer'], 60)}, the shadow"
                      f" {terminal_text(item['shadow_answer'], 60)};"
                      f" prompt …{terminal_text(_tail(item['prompt']), 70)}", markup=False)
