"""The ``champion`` command: one click group, one module per command, imported on use."""

from __future__ import annotations

import importlib
import importlib.util
import signal
import sys
from types import FrameType
from typing import Any

import click

from champion._errors import ChampionError, InputError

__all__ = ["cli", "main"]

#: command name → module defining a click command of that name.
COMMANDS = {
    "run": "champion._cli.run",
    "validate": "champion._cli.validate",
    "models": "champion._cli.models",
    "report": "champion._cli.report",
    "history": "champion._cli.history",
    "promote": "champion._cli.promote",
    "registry": "champion._cli.registry",
    "check": "champion._cli.check",
    "serve": "champion._cli.serve",
    "gateway": "champion._cli.gateway",
    "plan": "champion._cli.plan",
    "shadow": "champion._cli.shadow",
    "cases": "champion._cli.cases",
}


class _Group(click.Group):
    """Loads each command's module only when that command runs, and turns
    champion's errors into a one-line message and an exit status."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, module in COMMANDS.items()
                if importlib.util.find_spec(module) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None or importlib.util.find_spec(module) is None:
            return None
        command = getattr(importlib.import_module(module), cmd_name.replace("-", "_"))
        return command if isinstance(command, click.Command) else None

    def invoke(self, ctx: click.Context) -> Any:
        from champion._cli.signals import Stopped

        try:
            return super().invoke(ctx)
        except Stopped as stop:
            click.echo("interrupted", err=True)
            sys.exit(stop.exit_status)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
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


def _terminate(signum: int, _frame: FrameType | None) -> None:
    from champion._cli.signals import Stopped

    raise Stopped(signum)


def main() -> None:
    """Console entry point. SIGTERM ends a command like Ctrl-C does (exit 143)."""
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="champion")
