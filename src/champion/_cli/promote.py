"""``champion promote TASK [--run RUN_ID] [--stage dev|preprod|prod] [--rollback]``,
``champion promote TASK --canary PCT [--step PCT] [--interval D] [--failure-limit N] ...``,
``champion promote TASK --abort``, ``champion promote TASK --stage prod --from preprod
[--force REASON]`` and ``champion promote --workflow WORKFLOW_FILE [--items N] [--stage S]``"""

from __future__ import annotations

import click

from champion._cli.options import DURATION, db_option
from champion._registry.entries import STAGES, Registry, RegistryEntry
from champion._report.escape import terminal_text
from champion._store import Store

__all__ = ["promote"]

#: The options that only go with --canary, by parameter name.
_CANARY_OPTIONS = {"step": "--step", "interval_s": "--interval",
                   "failure_limit": "--failure-limit", "min_calls": "--min-calls",
                   "max_error_rate": "--max-error-rate", "max_fallback_rate": "--max-fallback-rate",
                   "max_p95_ms": "--max-p95-ms"}


@click.command()
@click.argument("task", required=False)
@click.option("--run", "run_id", metavar="RUN_ID",
              help="The run to promote [default: the task's latest complete run].")
@click.option("--stage", type=click.Choice(STAGES), default="prod", show_default=True)
@click.option("--rollback", is_flag=True,
              help="Serve again what the stage served before its current entry.")
@click.option("--canary", type=click.FloatRange(0, 100, min_open=True, max_open=True),
              metavar="PCT", help="Serve the run's pair to PCT% of calls first (the gateways"
              " serving the stage carry the canary out; this returns at once).")
@click.option("--step", type=click.FloatRange(0, 100, min_open=True), metavar="PCT",
              help="With --canary: raise the share by PCT after each good interval; at 100%"
                   " the pair is promoted [default: the share stays].")
@click.option("--interval", "interval_s", type=DURATION, metavar="DURATION",
              help="With --canary: how long each interval lasts (90s, 5m, 1h) [default: 1m].")
@click.option("--failure-limit", type=click.IntRange(1), metavar="N",
              help="With --canary: bad intervals before it rolls back [default: 2].")
@click.option("--min-calls", type=click.IntRange(1), metavar="N",
              help="With --canary: canary calls an interval needs, else it holds"
                   " [default: 20].")
@click.option("--max-error-rate", type=click.FloatRange(0, 1), metavar="F",
              help="With --canary: ceiling of failed calls [default: the suite's"
                   " qualify.max_error_rate, else 0.01].")
@click.option("--max-fallback-rate", type=click.FloatRange(0, 1), metavar="F",
              help="With --canary: ceiling of fallbacks to its runner-up [default: 0.05].")
@click.option("--max-p95-ms", type=click.FloatRange(0, min_open=True), metavar="MS",
              help="With --canary: ceiling of p95 latency [default: the suite's"
                   " qualify.max_p90_latency_ms, else 3 × the champion's benchmark p90].")
@click.option("--abort", is_flag=True, help="End the canary in progress on the stage.")
@click.option("--from", "source", type=click.Choice(STAGES), metavar="STAGE",
              help="Promote exactly what STAGE serves, once a check of it passed after it"
                   " was promoted there (champion check TASK --stage STAGE).")
@click.option("--force", metavar="REASON",
              help="With --from: promote without a passing check; REASON is kept in the"
                   " promotion history.")
@click.option("--workflow", "workflow_file", type=click.Path(), metavar="WORKFLOW_FILE",
              help="Promote every step's planned model and fallback of this workflow at once.")
@click.option("--items", type=click.IntRange(min=1), default=100, show_default=True,
              help="With --workflow: the items the plan is made for.")
@db_option
def promote(task: str | None, run_id: str | None, stage: str, rollback: bool,
            canary: float | None, abort: bool, source: str | None, force: str | None,
            workflow_file: str | None, items: int, db: str | None,
            **canary_options: float | None) -> None:
    """Serve a run's champion and runner-up for TASK on a stage (or a workflow's plan).

    With --canary the pair first serves a share of the calls, raised by --step
    after each --interval whose error rate, fallback rate and p95 latency stay
    within their ceilings, and promoted at 100%; after --failure-limit bad
    intervals it rolls back by itself, and an interval with fewer than
    --min-calls calls holds. Every step, hold and rollback is in the promotion
    history. champion registry shows a canary in progress.
    """
    given = [flag for name, flag in _CANARY_OPTIONS.items()
             if canary_options.get(name) is not None]
    if given and canary is None:
        raise click.UsageError(f"{', '.join(given)} only go with --canary PCT")
    if force is not None and source is None:
        raise click.UsageError("--force goes with --from STAGE")
    if rollback and (run_id or canary is not None or source or abort):
        raise click.UsageError("--rollback takes no --run, --canary, --from or --abort")
    if abort and (run_id or canary is not None or source):
        raise click.UsageError("--abort takes no --run, --canary or --from")
    if source and run_id:
        raise click.UsageError("--from promotes what that stage serves: it takes no --run")
    if workflow_file is not None:
        if task or run_id:
            raise click.UsageError("--workflow takes no TASK or --run")
        if canary is not None or abort or source:
            raise click.UsageError("--workflow takes no --canary, --abort or --from")
        from champion._cli.workflows import promote_workflow

        promote_workflow(workflow_file, items, stage, rollback, db)
        return
    if task is None:
        raise click.UsageError("name a TASK (or --workflow WORKFLOW_FILE)")
    with Store(db) as store:
        registry = Registry(store)
        if canary is not None or abort:
            from champion._cli.canary import abort_text, start_text

            click.echo(abort_text(registry, task, stage) if abort else start_text(
                registry, task, stage, canary or 0.0, run_id, source, force, canary_options))
            return
        if source is not None:
            from champion._registry.rollout.gates import GateClosed, promote_from

            try:
                entry = promote_from(registry, task, source, stage, force)
            except GateClosed as exc:  # the library speaks of parameters; say the commands
                raise GateClosed(f"{exc}: champion check {task} --stage {source}, or"
                                 f" champion promote {task} --stage {stage} --from {source}"
                                 " --force REASON") from None
            click.echo(describe(entry, f"promoted from {source}:"))
            return
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
