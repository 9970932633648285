"""``champion models [-m SPEC]... [--models FILE] [--require CAP]... [--new TASK]
[--format table|json]``"""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from champion._cli.options import db_option
from champion._cli.run import candidate_filter, candidate_options, selected_candidates
from champion._providers.discovery import capabilities
from champion._providers.listing import CandidateListing, listings
from champion._report.escape import terminal_text
from champion._sync import run_sync

__all__ = ["models"]


@click.command()
@candidate_options
@click.option("--new", "new_for", metavar="TASK",
              help="Only candidates never benchmarked on TASK's current suite.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True,
              help="json: one document, with where each embedded model's .gguf file is.")
@db_option
def models(specs: tuple[str, ...], models_file: str | None, exclude: tuple[str, ...],
           max_size_gb: float | None, require: tuple[str, ...],
           exclude_capability: tuple[str, ...], new_for: str | None, fmt: str,
           db: str | None) -> None:
    """List the candidates that would run (default: the bundled models), with what
    each can do as far as its backend says."""
    where = candidate_filter(exclude, max_size_gb, require, exclude_capability)
    candidates = selected_candidates(specs, models_file, where)
    found = run_sync(capabilities(candidates))
    if new_for is not None:
        from champion._registry.novelty import new_candidates
        from champion._store import Store

        with Store(db) as store:
            fresh = {c.id for c in new_candidates(store, new_for, candidates)}
        kept = [(c, caps) for c, caps in zip(candidates, found, strict=True) if c.id in fresh]
        candidates, found = [c for c, _ in kept], [caps for _, caps in kept]
    listed = listings(candidates, found)
    if fmt == "json":
        click.echo(json.dumps({"models": [item.as_json() for item in listed]}, indent=2,
                              ensure_ascii=False))
        return
    console = Console(highlight=False)
    if not console.is_terminal:  # pipes and logs: one line per model
        console.width = max(console.width, 200)
    console.print(_table(listed))


def _table(listed: list[CandidateListing]) -> Table:
    table = Table("id", "provider", "model", "base url", "size", "capabilities")
    for item in listed:
        size = f"{item.size_gb:.2f} GB" if item.size_gb is not None else "—"
        table.add_row(*(terminal_text(v, 60) for v in (
            item.id, item.provider, item.model, item.base_url or "—", size,
            ", ".join(item.capabilities) if item.capabilities is not None else "—")))
    return table
