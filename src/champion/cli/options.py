"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["db_option"]

F = TypeVar("F", bound=Callable[..., Any])


def db_option(function: F) -> F:
    """``--db URL`` (else CHAMPION_DB, else sqlite:///.champion/champion.db)."""
    return click.option(
        "--db", "db", envvar="CHAMPION_DB", default=None, metavar="URL",
        help="SQLAlchemy database URL [default: sqlite:///.champion/champion.db].",
    )(function)
