"""``champion models [-m SPEC]... [--models FILE] [--require CAP]... [--new TASK]``"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from champion._sync import run_sync
from champion.api import select_candidates
from champion.cli.options import db_option
from champion.cli.run import candidate_filter, candidate_options
from champion.providers.discovery import capabilities
from champion.report.escape import terminal_text

__all__ = ["models"]


@click.command()
@candidate_options
@click.option("--new", "new_for", metavar="TASK",
              help="Only candidates never benchmarked on TASK's current suite.")
@db_option
def models(specs: tuple[str, ...], models_file: str | None, exclude: tuple[str, ...],
           max_size_gb: float | None, require: tuple[str, ...],
           exclude_capability: tuple[str, ...], new_for: str | None, db: str | None) -> None:
    """List the candidates that would run (default: the bundled models), with what
    each can do as far as its backend says."""
    where = candidate_filter(exclude, max_size_gb, require, exclude_capability)
    candidates = select_candidates(specs, models_file, where)
    found = run_sync(capabilities(candidates))
    if new_for is not None:
        from champion.registry.novelty import new_candidates
        from champion.store import Store

        with Store(db) as store:
            fresh = {c.id for c in new_candidates(store, new_for, candidates)}
        kept = [(c, caps) for c, caps in zip(candidates, found, strict=True) if c.id in fresh]
        candidates, found = [c for c, _ in kept], [caps for _, caps in kept]
    table = Table("id", "provider", "model", "base url", "size", "capabilities")
    for candidate, caps in zip(candidates, found, strict=True):
        size = f"{candidate.size_gb:.2f} GB" if candidate.size_gb is not None else "—"
        table.add_row(*(terminal_text(v, 60) for v in (
            candidate.id, candidate.provider, candidate.model,
            candidate.resolved_base_url() or "—", size,
            ", ".join(caps) if caps is not None else "—")))
    console = Console(highlight=False)
    if not console.is_terminal:  # pipes and logs: one line per model
        console.width = max(console.width, 200)
    console.print(table)
