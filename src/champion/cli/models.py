"""``champion models [-m SPEC]... [--models FILE] [--new TASK]``"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from champion.api import select_candidates
from champion.cli.options import db_option
from champion.cli.run import candidate_options
from champion.providers.discovery import CandidateFilter
from champion.report.escape import terminal_text

__all__ = ["models"]


@click.command()
@candidate_options
@click.option("--new", "new_for", metavar="TASK",
              help="Only candidates never benchmarked on TASK's current suite.")
@db_option
def models(specs: tuple[str, ...], models_file: str | None, exclude: tuple[str, ...],
           max_size_gb: float | None, new_for: str | None, db: str | None) -> None:
    """List the candidates that would run (default: the bundled models)."""
    candidates = select_candidates(specs, models_file, CandidateFilter(exclude, max_size_gb))
    if new_for is not None:
        from champion.registry.novelty import new_candidates
        from champion.store import Store

        with Store(db) as store:
            candidates = new_candidates(store, new_for, candidates)
    table = Table("id", "provider", "model", "base url", "size")
    for candidate in candidates:
        size = f"{candidate.size_gb:.2f} GB" if candidate.size_gb is not None else "—"
        table.add_row(*(terminal_text(v, 60) for v in (
            candidate.id, candidate.provider, candidate.model,
            candidate.resolved_base_url() or "—", size)))
    Console(highlight=False).print(table)

