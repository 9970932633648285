"""``champion validate SUITE... [--db URL]``"""

from __future__ import annotations

import click

from champion._errors import InputError, SuiteError
from champion._suite import Suite, load_suite

__all__ = ["validate"]


@click.command()
@click.argument("suites", nargs=-1, required=True, type=click.Path())
@click.option("--prompt", "prompt_file", type=click.Path(), default=None,
              help="Prompt for a cookbook test-case file without a 'prompt' key.")
@click.option("--db", "db", default=None, metavar="URL",
              help="Also resolve judge checks against this database's registry (without it,"
              " only the files are checked).")
def validate(suites: tuple[str, ...], prompt_file: str | None, db: str | None) -> None:
    """Check suite files; print each task and its case count (exit 2 on errors)."""
    errors = 0
    store = None
    if db is not None:
        from champion._store import Store

        store = Store(db)
    try:
        for path in suites:
            try:
                suite = load_suite(path, prompt_file=prompt_file)
                judge = _judge(suite, store) if store is not None else ""
            except SuiteError as exc:
                click.echo(f"error: {_printable(str(exc))}", err=True)
                errors += 1
                continue
            except InputError as exc:
                click.echo(f"error: {_printable(path)}: {_printable(str(exc))}", err=True)
                errors += 1
                continue
            click.echo(f"{_printable(path)}: task {suite.task}, {len(suite.cases)} cases,"
                       f" output {suite.output.kind}, check {suite.check_spec.type}{judge}")
    finally:
        if store is not None:
            store.close()
    if errors:
        raise SystemExit(2)


def _judge(suite: Suite, store: object) -> str:
    """``, judged by ...`` when the suite's judge resolves; InputError when it cannot."""
    from champion._judge.session import judge_of_suite
    from champion._store import Store

    assert isinstance(store, Store)
    judge = judge_of_suite(suite, store)
    if judge is None:
        return ""
    names = ", ".join(f"{m.id} ({m.role})" for m in judge.members)
    return f", judged by {names}"


def _printable(text: str) -> str:
    """A file name that is not valid UTF-8 arrives with surrogate escapes;
    show its odd bytes as ``\\xNN`` instead of failing to print them."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
