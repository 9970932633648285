"""``champion cases TASK --from-shadow [--limit N] [--since DURATION] -o DRAFT.yaml``:
production back into the suite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from champion._cli.options import DURATION, db_option
from champion._registry.rollout.drafts import draft_from_shadow
from champion._report.escape import terminal_text
from champion._store import Store

__all__ = ["cases"]


@click.command()
@click.argument("task")
@click.option("--from-shadow", "from_shadow", is_flag=True, required=True,
              help="Draft cases from the prompts a shadow model disagreed on (recorded with"
                   " champion gateway --shadow ... --record-text).")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, metavar="N",
              help="At most N cases (the newest distinct prompts).")
@click.option("--since", "since_s", type=DURATION, metavar="DURATION",
              help="Only disagreements this recent (24h, 7d) [default: all].")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, metavar="DRAFT.yaml", help="Where to write the suite draft.")
@db_option
def cases(task: str, from_shadow: bool, limit: int, since_s: float | None, output: Path,
          db: str | None) -> None:
    """Write TASK's suite with one case per prompt its shadow disagreed on.

    Each case's expected answer is left empty for a human to fill in; the
    answer the caller got and the shadow's are written beside it as comments.
    """
    since = None if since_s is None else datetime.now(UTC) - timedelta(seconds=since_s)
    with Store(db) as store:
        draft = draft_from_shadow(store, task, limit, since)
    output.write_text(draft.text, encoding="utf-8")
    unfit = (f"; {draft.unfit} prompts did not fit the task's templates and were left out"
             if draft.unfit else "")
    click.echo(f"wrote {output}: {draft.cases} cases of {terminal_text(task)} to label"
               f" (fill in each expected){unfit}")
