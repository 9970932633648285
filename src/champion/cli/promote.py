"""``champion promote TASK [--run RUN_ID] [--stage dev|preprod|prod] [--rollback]``
and ``champion promote --workflow WORKFLOW_FILE [--items N] [--stage S] [--rollback]``"""

from __future__ import annotations

import click

from champion.cli.options import db_option
from champion.registry.entries import STAGES, Registry, RegistryEntry
from champion.report.escape import terminal_text
from champion.store import Store

__all__ = ["promote"]


@click.command()
@click.argument("task", required=False)
@click.option("--run", "run_id", metavar="RUN_ID",
              help="The run to promote [default: the task's latest complete run].")
@click.option("--stage", type=click.Choice(STAGES), default="prod", show_default=True)
@click.option("--rollback", is_flag=True,
              help="Serve again what the stage served before its current entry.")
@click.option("--workflow", "workflow_file", type=click.Path(), metavar="WORKFLOW_FILE",
              help="Promote every step's planned model and fallback of this workflow at once.")
@click.option("--items", type=click.IntRange(min=1), default=100, show_default=True,
              help="With --workflow: the items the plan is made for.")
@db_option
def promote(task: str | None, run_id: str | None, stage: str, rollback: bool,
            workflow_file: str | None, items: int, db: str | None) -> None:
    """Serve a run's champion and runner-up for TASK on a stage (or a workflow's plan)."""
    if rollback and run_id:
        raise click.UsageError("--rollback takes no --run")
    if workflow_file is not None:
        if task or run_id:
            raise click.UsageError("--workflow takes no TASK or --run")
        from champion.cli.workflows import promote_workflow

        promote_workflow(workflow_file, items, stage, rollback, db)
        return
    if task is None:
        raise click.UsageError("name a TASK (or --workflow WORKFLOW_FILE)")
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
