"""``champion promote TASK [--run RUN_ID] [--stage dev|preprod|prod] [--rollback]``"""

from __future__ import annotations

import click

from champion.cli.options import db_option
from champion.registry.entries import STAGES, Registry, RegistryEntry
from champion.report.escape import terminal_text
from champion.store import Store

__all__ = ["promote"]


@click.command()
@click.argument("task")
@click.option("--run", "run_id", metavar="RUN_ID",
              help="The run to promote [default: the task's latest complete run].")
@click.option("--stage", type=click.Choice(STAGES), default="prod", show_default=True)
@click.option("--rollback", is_flag=True,
              help="Serve again what the stage served before its current entry.")
@db_option
def promote(task: str, run_id: str | None, stage: str, rollback: bool, db: str | None) -> None:
    """Serve a run's champion and runner-up for TASK on a stage."""
    if rollback and run_id:
        raise click.UsageError("--rollback takes no --run")
    with Store(db) as store:
        registry = Registry(store)
        entry = registry.rollback(task, stage) if rollback else registry.promote(
            task, run_id, stage)
    click.echo(describe(entry, "rolled back" if rollback else "promoted"))


def describe(entry: RegistryEntry, what: str) -> str:
    """One line per model of an entry."""
    champion, runner_up = entry.champion, entry.runner_up
    lines = [f"{what} {terminal_text(entry.task)} on {entry.stage}: run {entry.run_id}",
             f"  champion:  {terminal_text(champion.id)} ({terminal_text(champion.key)})"]
    lines.append("  runner-up: " + ("none" if runner_up is None else
                                    f"{terminal_text(runner_up.id)}"
                                    f" ({terminal_text(runner_up.key)})"))
    return "\n".join(lines)
