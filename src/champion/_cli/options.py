"""Options shared by several commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

__all__ = ["DURATION", "Duration", "db_option", "parse_duration"]

F = TypeVar("F", bound=Callable[..., Any])


def db_option(function: F) -> F:
    """``--db URL`` (else CHAMPION_DB, else sqlite:///.champion/champion.db)."""
    return click.option(
        "--db", "db", envvar="CHAMPION_DB", default=None, metavar="URL",
        help="SQLAlchemy database URL [default: sqlite:///.champion/champion.db].",
    )(function)


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(text: str) -> float:
    """Seconds in ``90s``, ``5m``, ``1h30m``, ``7d``, ``250ms`` or a plain number of seconds.

    Raises:
        ValueError: anything else, or a duration of 0.
    """
    text = text.strip().lower()
    try:
        seconds = float(text)
    except ValueError:
        parts = _DURATION.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"{text!r} is not a duration: write e.g. 90s, 5m, 1h30m or 7d")\
                from None
        seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"{text!r}: a duration above 0")
    return seconds


if TYPE_CHECKING:  # generic only in newer click releases
    _ParamType = click.ParamType[float, Any]
else:
    _ParamType = click.ParamType


class Duration(_ParamType):
    """A duration option: ``90s``, ``5m``, ``1h30m``, ``7d``; the value is in seconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DURATION = Duration()
