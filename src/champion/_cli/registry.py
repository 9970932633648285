"""``champion registry [--stage S] [--format table|json|env]``: what production resolves."""

from __future__ import annotations

import json
import os
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from champion._cli.options import db_option
from champion._providers.candidate import public_url
from champion._registry.entries import STAGES, RegisteredModel, Registry, RegistryEntry
from champion._registry.routes import env_prefix
from champion._report.escape import terminal_text
from champion._store import Store

__all__ = ["env_lines", "registry"]


@click.command()
@click.option("--stage", type=click.Choice(STAGES),
              help="One stage [default: every stage; for env, CHAMPION_STAGE or prod].")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "env"]), default="table",
              show_default=True)
@click.option("--workflow", "workflow", metavar="NAME",
              help="A promoted workflow's table (its name, or its workflow file).")
@db_option
def registry(stage: str | None, fmt: str, workflow: str | None, db: str | None) -> None:
    """Show what each task's stage serves (or one workflow's steps)."""
    if workflow is not None:
        from champion._cli.workflows import print_workflow_registry

        print_workflow_registry(workflow, stage, fmt, db)
        return
    if fmt == "env" and stage is None:
        stage = os.environ.get("CHAMPION_STAGE") or "prod"
        if stage not in STAGES:
            raise click.BadParameter(f"CHAMPION_STAGE={stage!r}: expected one of"
                                     f" {', '.join(STAGES)}", param_hint="CHAMPION_STAGE")
    with Store(db) as store:
        entries = Registry(store).entries(stage)
    if fmt == "env":
        for entry in entries:
            click.echo("\n".join(env_lines(entry)))
    elif fmt == "json":
        click.echo(json.dumps([_entry_json(e) for e in entries], indent=2, ensure_ascii=False))
    else:
        _print_table(entries)


def env_lines(entry: RegistryEntry) -> list[str]:
    """``CHAMPION_<TASK>_MODEL=…`` and the rest, for one entry (empty values for no runner-up)."""
    prefix = env_prefix(entry.task)
    lines = []
    for role, model in (("", entry.champion), ("FALLBACK_", entry.runner_up)):
        candidate = None if model is None else model.candidate
        lines += [
            f"{prefix}{role}MODEL={'' if candidate is None else candidate.model}",
            f"{prefix}{role}PROVIDER={'' if candidate is None else candidate.provider}",
            f"{prefix}{role}BASE_URL={'' if candidate is None else _base_url(candidate.base_url)}",
        ]
    return lines


def _base_url(url: str | None) -> str:
    """The endpoint without credentials or query; ``${VAR}`` placeholders stay for the
    deployment to fill."""
    return public_url(url) or ""


def _model_json(model: RegisteredModel | None) -> dict[str, Any] | None:
    if model is None:
        return None
    candidate = model.candidate
    return {"id": model.id, "key": model.key, "provider": candidate.provider,
            "model": candidate.model, "base_url": _base_url(candidate.base_url) or None,
            "median_ms": model.median_ms, "p90_ms": model.p90_ms, "pass_rate": model.pass_rate}


def _entry_json(entry: RegistryEntry) -> dict[str, Any]:
    from champion._cli.canary import canary_json

    return {"task": entry.task, "stage": entry.stage, "run_id": entry.run_id,
            "promoted_at": entry.promoted_at.isoformat(),
            "champion": _model_json(entry.champion), "runner_up": _model_json(entry.runner_up),
            "canary": None if entry.canary is None else canary_json(entry.canary.state)}


def _print_table(entries: list[RegistryEntry]) -> None:
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 160)
    if not entries:
        console.print("nothing promoted yet: champion promote TASK")
        return
    table = Table("task", "stage", "champion", "runner-up", "run", "promoted")
    for entry in entries:
        runner_up = entry.runner_up
        table.add_row(terminal_text(entry.task, 60), entry.stage,
                      terminal_text(entry.champion.key, 80),
                      "—" if runner_up is None else terminal_text(runner_up.key, 80),
                      entry.run_id, entry.promoted_at.strftime("%Y-%m-%d %H:%M"))
    console.print(table)
    from champion._cli.canary import canary_line

    for entry in entries:
        if entry.canary is not None:
            console.print(f"{terminal_text(entry.task, 60)} on {entry.stage}:"
                          f" {canary_line(entry.canary.state)}", markup=False)
