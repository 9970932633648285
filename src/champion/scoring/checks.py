"""Checks: compare a parsed output with a case's gold answer.

A :class:`Scorer` is built once per suite (regexes compiled, schema validators
and Python checks resolved) and then scores each trial cheaply.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from champion.errors import SuiteError
from champion.scoring.parsers import JsonParser, LabelParser, Parsed, TextParser
from champion.suite.model import Case, FieldRule, Suite

__all__ = ["Scorer", "Verdict", "compare_field"]

_MAX_GOT = 200


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of scoring one output.

    Attributes:
        correct: whether the output matches the gold answer.
        got: a short display of what the model answered (for failed cases).
        parsed_ok: whether the output parsed (label found, JSON object found).
        reason: why it is wrong, when it is.
        fields: per-field correctness for ``json_fields`` checks.
    """

    correct: bool
    got: str
    parsed_ok: bool
    reason: str | None = None
    fields: dict[str, bool] | None = None


def compare_field(rule: FieldRule, expected: Any, actual: Any) -> bool:
    """Compare one JSON field under a ``json_fields`` rule."""
    if actual is None:
        return expected is None
    if isinstance(rule, dict):
        try:
            return abs(float(actual) - float(expected)) <= float(rule["numeric"])
        except (TypeError, ValueError):
            return False
    if rule == "ci":
        return str(actual).strip().casefold() == str(expected).strip().casefold()
    if rule == "contains":
        return str(expected).casefold() in str(actual).casefold()
    if isinstance(expected, str) and isinstance(actual, str):
        return actual.strip() == expected.strip()
    return bool(actual == expected)


def _display(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_GOT else text[: _MAX_GOT - 1] + "…"


Check = Callable[[Parsed, str, Case], tuple[bool, str | None, dict[str, bool] | None]]


class Scorer:
    """Scores raw outputs for one suite."""

    def __init__(self, suite: Suite) -> None:
        output, spec = suite.output, suite.check_spec
        self.kind = output.kind
        self._parser: LabelParser | JsonParser | TextParser
        if output.kind == "label":
            self._parser = LabelParser(output.labels)
        elif output.kind == "json":
            self._parser = JsonParser()
        else:
            self._parser = TextParser()
        self._ignore_case = spec.ignore_case
        self._fields = spec.fields
        schema = spec.json_schema or output.json_schema
        self._output_schema = _validator(output.json_schema) if output.json_schema else None
        self._schema = _validator(schema) if schema else None
        self._regexes: dict[str, re.Pattern[str]] = {}
        if spec.type == "regex":
            flags = re.IGNORECASE if spec.ignore_case else 0
            self._regexes = {c.id: re.compile(str(c.expected), flags) for c in suite.cases}
        self._python = (
            _resolve_function(spec.function, suite.source) if spec.type == "python" else None
        )
        checks: dict[str, Check] = {
            "label": self._check_equal,
            "exact": self._check_equal,
            "contains": self._check_contains,
            "regex": self._check_regex,
            "json_fields": self._check_fields,
            "json_schema": self._check_schema,
            "python": self._check_python,
        }
        self._check = checks[spec.type]

    def score(self, text: str, case: Case) -> Verdict:
        """Parse ``text`` and compare it with ``case.expected``."""
        parsed = self._parser.parse(text)
        if not parsed.ok:
            return Verdict(False, _display(text.strip()), False, parsed.error or "unparseable")
        if self._output_schema is not None:
            error = next(iter(self._output_schema.iter_errors(parsed.value)), None)
            if error is not None:
                return Verdict(False, _display(parsed.value), False,
                               f"schema: {error.message}")
        correct, reason, fields = self._check(parsed, text, case)
        return Verdict(correct, _display(parsed.value), True, None if correct else reason, fields)

    def _check_equal(self, parsed: Parsed, _text: str, case: Case) -> tuple[
            bool, str | None, dict[str, bool] | None]:
        value, expected = parsed.value, case.expected
        if isinstance(value, str) and isinstance(expected, str):
            if self.kind == "label" or self._ignore_case:
                return value.strip().casefold() == expected.strip().casefold(), "mismatch", None
            return value.strip() == expected.strip(), "mismatch", None
        return bool(value == expected), "mismatch", None

    def _check_contains(self, _parsed: Parsed, text: str, case: Case) -> tuple[
            bool, str | None, dict[str, bool] | None]:
        expected = str(case.expected)
        if self._ignore_case:
            return expected.casefold() in text.casefold(), "missing expected text", None
        return expected in text, "missing expected text", None

    def _check_regex(self, _parsed: Parsed, text: str, case: Case) -> tuple[
            bool, str | None, dict[str, bool] | None]:
        return self._regexes[case.id].search(text) is not None, "no regex match", None

    def _check_fields(self, parsed: Parsed, _text: str, case: Case) -> tuple[
            bool, str | None, dict[str, bool] | None]:
        if not isinstance(parsed.value, dict):
            return False, "not a JSON object", None
        expected: dict[str, Any] = case.expected
        names = list(self._fields) or list(expected)
        fields = {
            name: compare_field(self._fields.get(name, "exact"), expected.get(name),
                                parsed.value.get(name))
            for name in names
        }
        wrong = [name for name, ok in fields.items() if not ok]
        return not wrong, ("wrong fields: " + ", ".join(wrong)) if wrong else None, fields

    def _check_schema(self, parsed: Parsed, _text: str, _case: Case) -> tuple[
            bool, str | None, dict[str, bool] | None]:
        assert self._schema is not None
        error = next(iter(self._schema.iter_errors(parsed.value)), None)
        return error is None, f"schema: {error.message}" if error else None, None

    def _check_python(self, parsed: Parsed, text: str, case: Case) -> tuple[
            bool, str | None, dict[str, bool] | None]:
        assert self._python is not None
        try:
            result = self._python(text, case)
        except Exception as exc:  # user code: its failure is this trial's verdict
            return False, f"check raised {type(exc).__name__}: {exc}", None
        if isinstance(result, tuple):
            return bool(result[0]), str(result[1]) if len(result) > 1 else None, None
        return bool(result), "python check returned false", None


def _validator(schema: dict[str, Any]) -> Any:
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _resolve_function(spec: str | None, source: str) -> Callable[[str, Case], Any]:
    assert spec is not None
    module_name, _, attribute = spec.partition(":")
    folder = str(Path(source).resolve().parent) if source else None
    if folder and folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        function = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise SuiteError(source or "<suite>", f"check.function {spec!r}: {exc}") from None
    if not callable(function):
        raise SuiteError(source or "<suite>", f"check.function {spec!r} is not callable")
    return function  # type: ignore[no-any-return]
