"""The built-in output kinds: ``label``, ``json`` and ``text``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from champion._scoring.kind import OutputKind, Parser
from champion._scoring.parsers import JsonParser, LabelParser, TextParser
from champion._suite.document import shown

if TYPE_CHECKING:
    from champion._suite.document import SourceDocument
    from champion._suite.model import OutputSpec

__all__ = ["JsonOutput", "LabelOutput", "TextOutput", "gold_text"]


def gold_text(expected: Any) -> str | None:
    """A gold value as the text an answer is compared with: text as is, numbers
    written out; None for anything else (true/false, null, lists, objects)."""
    if isinstance(expected, str):
        return expected
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return str(expected)
    return None


class LabelOutput(OutputKind):
    """The first allowed label in the answer (case-insensitive, whole word)."""

    name = "label"
    default_check = "label"

    def validate(self, output: OutputSpec, source: SourceDocument) -> None:
        if not output.labels:
            raise source.error(("output",), "output.kind label needs output.labels")
        seen: set[str] = set()
        for index, label in enumerate(output.labels):
            if not label.strip():
                raise source.error(("output", "labels", index), "a label cannot be empty")
            if label.casefold() in seen:
                raise source.error(("output", "labels", index),
                                   f"label {shown(label)} is listed twice (labels compare"
                                   " ignoring case)")
            seen.add(label.casefold())

    def gold_problem(self, output: OutputSpec, expected: Any) -> str | None:
        text = gold_text(expected)
        allowed = {label.casefold() for label in output.labels}
        if text is None or text.casefold() not in allowed:
            return f"expected {shown(expected)} is not among labels " + ", ".join(output.labels)
        return None

    def parser(self, output: OutputSpec) -> Parser:
        return LabelParser(output.labels)


class JsonOutput(OutputKind):
    """The first JSON object in the answer (code fences and prose around it allowed)."""

    name = "json"

    def gold_problem(self, output: OutputSpec, expected: Any) -> str | None:
        if not isinstance(expected, dict):
            return (f"expected {shown(expected)} is not an object, and a json answer always"
                    " is one")
        return None

    def parser(self, output: OutputSpec) -> Parser:
        return JsonParser()


class TextOutput(OutputKind):
    """The answer's text, stripped."""

    name = "text"

    def gold_problem(self, output: OutputSpec, expected: Any) -> str | None:
        text = gold_text(expected)
        if text is None:
            written = json.dumps(expected) if isinstance(expected, bool) else shown(expected)
            return (f"expected {written} is not text; a text answer is compared with"
                    " text (quote it)")
        if not text.strip():
            return "expected is empty text, which would accept an empty answer"
        return None

    def parser(self, output: OutputSpec) -> Parser:
        return TextParser()
