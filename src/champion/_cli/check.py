"""``champion check TASK [--stage S]``: exit 3 when the registered champion no longer
qualifies or got significantly slower since its promotion."""

from __future__ import annotations

import click

from champion._cli.options import db_option
from champion._errors import InputError
from champion._registry.check import MAX_SLOWDOWN, P_THRESHOLD, CheckOutcome, check_entry
from champion._registry.entries import STAGES, Registry
from champion._report.escape import terminal_text
from champion._store import Store

__all__ = ["check"]


@click.command()
@click.argument("task")
@click.option("--stage", type=click.Choice(STAGES), default="prod", show_default=True)
@db_option
def check(task: str, stage: str, db: str | None) -> None:
    """Re-run TASK's registered champion and runner-up on its suite and compare.

    Exit 3 when the champion no longer qualifies, or when its per-case median
    latencies are larger than at promotion by a one-sided Wilcoxon signed-rank
    test (p < 0.05) and its median grew by more than 10%; 0 otherwise.
    """
    with Store(db) as store:
        entry = Registry(store).entry(task, stage)
        if entry is None:
            raise InputError(f"nothing is promoted for {task!r} on {stage}:"
                             f" champion promote {task} --stage {stage}")
        outcome = check_entry(store, entry)
    click.echo(report(outcome))
    if not outcome.ok:
        raise SystemExit(3)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"


def report(outcome: CheckOutcome) -> str:
    """The figures of a check and its verdict."""
    latency = outcome.latency
    ratio = "—" if latency.ratio is None else f"×{latency.ratio:.2f}"
    p_value = "—" if latency.p_value is None else f"{latency.p_value:.4f}"
    lines = [
        f"check {terminal_text(outcome.task)} on {outcome.stage}: promoted run"
        f" {outcome.promoted_run}, check run {outcome.check_run}",
        f"  champion {terminal_text(outcome.champion)}: {outcome.status};"
        f" pass rate {outcome.pass_rate_then:.0%} → {outcome.pass_rate_now:.0%}",
        f"  median of per-case medians {_ms(latency.median_then_ms)} →"
        f" {_ms(latency.median_now_ms)} ({ratio}), {latency.cases} cases,"
        f" one-sided Wilcoxon p = {p_value}",
    ]
    if outcome.runner_up is not None:
        lines.append(f"  runner-up {terminal_text(outcome.runner_up)}:"
                     f" {outcome.runner_up_status or 'error'}")
    if not outcome.qualifies:
        lines.append("FAIL: the champion no longer qualifies")
    elif latency.significantly_slower:
        lines.append(f"FAIL: the champion is significantly slower (p < {P_THRESHOLD},"
                     f" more than +{(MAX_SLOWDOWN - 1):.0%})")
    else:
        lines.append("OK: the champion still qualifies and is not significantly slower")
    return "\n".join(lines)
