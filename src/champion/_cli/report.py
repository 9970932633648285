"""``champion report RUN_ID [--format md|html|json] [-o PATH]``"""

from __future__ import annotations

import json
from pathlib import Path

import click

from champion._cli.options import db_option
from champion._report import render_html, render_markdown, run_to_json
from champion._store import Store

__all__ = ["report"]


@click.command()
@click.argument("run_id", required=False)
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md",
              show_default=True)
@click.option("-o", "--output", type=click.Path(), help="Write here instead of stdout.")
@click.option("--items", type=click.IntRange(min=1), default=100, show_default=True,
              help="Items in the production-viability estimate.")
@db_option
def report(run_id: str | None, fmt: str, output: str | None, items: int,
           db: str | None) -> None:
    """Rebuild a run's report from the database (default: the latest run)."""
    store = Store(db)
    try:
        if run_id is None:
            ids = store.run_ids()
            if not ids:
                raise click.UsageError("the database has no runs yet")
            run_id = ids[-1]
        result = store.load_run(run_id)
        # Rendered while the store is open: trials may be read from it lazily.
        if fmt == "json":
            text = json.dumps(run_to_json(result), indent=2, ensure_ascii=False) + "\n"
        elif fmt == "html":
            text = render_html(result, items=items)
        else:
            text = render_markdown(result, items=items)
    finally:
        store.close()
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)

