"""Prompt templates: ``{name}`` placeholders filled from a case's vars.

``{{`` and ``}}`` are literal braces. Templates are parsed once; rendering is a
single ``str.format_map`` call so it stays far below a millisecond per trial.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from typing import Any

__all__ = ["Template", "TemplateSyntaxError"]

_FORMATTER = string.Formatter()


class TemplateSyntaxError(ValueError):
    """The template text cannot be parsed."""


class Template:
    """A parsed prompt template."""

    __slots__ = ("placeholders", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        names: list[str] = []
        try:
            parsed = list(_FORMATTER.parse(text))
        except ValueError as exc:  # single "{" or "}"
            raise TemplateSyntaxError(f"{exc} (write {{{{ or }}}} for a literal brace)") from exc
        for _literal, field, spec, conversion in parsed:
            if field is None:
                continue
            if not field.isidentifier() or spec or conversion:
                raise TemplateSyntaxError(
                    f"placeholder {{{field}}} must be a plain name like {{ticket}}"
                )
            if field not in names:
                names.append(field)
        self.placeholders: tuple[str, ...] = tuple(names)

    def render(self, variables: Mapping[str, Any]) -> str:
        """Fill the placeholders; dicts and lists are written as JSON."""
        return self.text.format_map(_Vars(variables))


class _Vars(dict[str, str]):
    def __init__(self, variables: Mapping[str, Any]) -> None:
        super().__init__()
        self._source = variables

    def __missing__(self, key: str) -> str:
        value = self._source[key]
        if isinstance(value, str):
            return value
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return str(value)
