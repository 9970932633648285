"""``champion validate SUITE...``"""

from __future__ import annotations

import click

from champion.errors import SuiteError
from champion.suite import load_suite

__all__ = ["validate"]


@click.command()
@click.argument("suites", nargs=-1, required=True, type=click.Path())
@click.option("--prompt", "prompt_file", type=click.Path(), default=None,
              help="Prompt for a cookbook test-case file without a 'prompt' key.")
def validate(suites: tuple[str, ...], prompt_file: str | None) -> None:
    """Check suite files; print each task and its case count (exit 2 on errors)."""
    errors = 0
    for path in suites:
        try:
            suite = load_suite(path, prompt_file=prompt_file)
        except SuiteError as exc:
            click.echo(f"error: {_printable(str(exc))}", err=True)
            errors += 1
            continue
        click.echo(f"{_printable(path)}: task {suite.task}, {len(suite.cases)} cases,"
                   f" output {suite.output.kind}, check {suite.check_spec.type}")
    if errors:
        raise SystemExit(2)


def _printable(text: str) -> str:
    """A file name that is not valid UTF-8 arrives with surrogate escapes;
    show its odd bytes as ``\\xNN`` instead of failing to print them."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
