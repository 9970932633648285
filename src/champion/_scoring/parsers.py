"""Output parsers: turn raw model text into a label, a JSON object or text.

Parsers never raise on model output: model output is untrusted, and an
unparseable answer is a wrong answer, recorded as such.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["JsonParser", "LabelParser", "Parsed", "TextParser"]

_DECODER = json.JSONDecoder()


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parse result: ``ok`` is False when nothing usable was found."""

    value: Any
    ok: bool
    error: str | None = None


class LabelParser:
    """The first allowed label in the text (case-insensitive, whole word)."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = tuple(labels)
        self._canonical = {label.lower(): label for label in labels}
        alternatives = "|".join(
            re.escape(label) for label in sorted(labels, key=len, reverse=True)
        )
        self._pattern = re.compile(rf"(?<![\w-])({alternatives})(?![\w-])", re.IGNORECASE)

    def parse(self, text: str) -> Parsed:
        """Find the earliest label; brackets such as ``[PASS]`` are fine."""
        match = self._pattern.search(text)
        if match is None:
            return Parsed(None, False, "unparseable")
        return Parsed(self._canonical[match.group(1).lower()], True)


class JsonParser:
    """The first JSON object in the text; code fences and prose around it are fine."""

    def parse(self, text: str) -> Parsed:
        """Decode the first ``{...}`` that is a valid JSON object."""
        start = text.find("{")
        while start != -1:
            try:
                value, _end = _DECODER.raw_decode(text, start)
            except RecursionError:
                return Parsed(None, False, "JSON nested too deeply")
            except ValueError:  # not JSON here, or an integer too long to convert
                start = text.find("{", start + 1)
                continue
            if isinstance(value, dict):
                return Parsed(value, True)
            start = text.find("{", start + 1)
        return Parsed(None, False, "no JSON object in output")


class TextParser:
    """The text itself, stripped."""

    def parse(self, text: str) -> Parsed:
        """Return the stripped text; always ok."""
        return Parsed(text.strip(), True)
