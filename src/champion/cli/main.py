"""The ``champion`` command: one click group, one module per command group."""

from __future__ import annotations

import sys
from typing import Any

import click

from champion.errors import ChampionError, InputError

__all__ = ["cli", "main"]


class _Group(click.Group):
    """Turns champion's errors into a one-line message and an exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except ChampionError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.version_option(package_name="champion")
def cli() -> None:
    """Find the fastest correct LLM for each task."""


def main() -> None:
    """Console entry point."""
    from champion.cli import models, report, run, validate

    for module in (run, validate, models, report):
        module.register(cli)
    cli(prog_name="champion")
