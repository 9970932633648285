"""Checks on JSON answers: ``json_fields`` and ``json_schema``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from champion._scoring.kind import CaseCheck, CheckKind, CheckOptions, CheckResult, ParsedAnswer
from champion._scoring.outputs import compile_schema, schema_problem
from champion._scoring.values import FIELD_MODES, FieldRule, compare_field, is_number
from champion._suite.document import closest, did_you_mean, shown
from champion._suite.problems import problem_at

if TYPE_CHECKING:
    from champion._suite.document import SourceDocument
    from champion._suite.model import Case, Suite

__all__ = ["JsonFieldsCheck", "JsonFieldsOptions", "JsonSchemaCheck", "JsonSchemaOptions"]


class JsonFieldsOptions(CheckOptions):
    """Options of ``json_fields``: how to compare some fields, and which to skip."""

    fields: dict[str, FieldRule] = Field(default_factory=dict)
    ignore: tuple[str, ...] = ()

    @field_validator("fields", mode="before")
    @classmethod
    def _known_rules(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        for name, rule in value.items():
            problem = _rule_problem(rule)
            if problem is not None:
                raise problem_at((name,), problem)
        return value

    @field_validator("ignore", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        return value


def _rule_problem(rule: Any) -> str | None:
    if isinstance(rule, str):
        if rule in FIELD_MODES:
            return None
        return (f"unknown comparison {shown(rule)}{did_you_mean(rule, FIELD_MODES)}"
                " (use exact, ci, contains or {numeric: tolerance})")
    if isinstance(rule, Mapping) and set(rule) == {"numeric"}:
        tolerance = rule["numeric"]
        if is_number(tolerance) and math.isfinite(tolerance) and tolerance >= 0:
            return None
        return f"the numeric tolerance must be a number of at least 0, not {shown(tolerance)}"
    return f"expected exact, ci, contains or {{numeric: tolerance}}, not {shown(rule)}"


class JsonFieldsCheck(CheckKind[JsonFieldsOptions]):
    """Correct when every expected field is in the answer and matches.

    Every field of a case's ``expected`` is compared (``exact`` unless
    ``fields`` names another rule), except those listed in ``ignore``. A field
    the answer lacks is wrong, whatever its gold value.
    """

    name = "json_fields"
    Options = JsonFieldsOptions

    def validate(self, suite: Suite, options: JsonFieldsOptions,
                 source: SourceDocument) -> None:
        if suite.output.kind != "json":
            raise source.error(("check", "type"),
                               "check type json_fields needs output.kind: json")
        expected: list[dict[str, Any]] = []
        for index, case in enumerate(suite.cases):
            gold = case.expected
            if not isinstance(gold, dict):
                raise source.error(("cases", index, "expected"),
                                   f"case {shown(case.id)}: json_fields needs expected to be"
                                   " an object")
            odd = next((key for key in gold if not isinstance(key, str)), None)
            if odd is not None:
                raise source.error(("cases", index, "expected"),
                                   f"case {shown(case.id)}: field names are text, not"
                                   f" {shown(odd)}")
            expected.append(gold)
        _named_fields_exist(suite, options, expected, source)
        _schema_names_fields(suite, expected, source)
        _no_lone_near_misses(suite, expected, source)
        for index, (case, gold) in enumerate(zip(suite.cases, expected, strict=True)):
            checked = [name for name in gold if name not in options.ignore]
            if not checked:
                what = "expected is empty" if not gold else "every expected field is ignored"
                raise source.error(("cases", index, "expected"),
                                   f"case {shown(case.id)}: {what}, so any JSON object would"
                                   " pass")
            for name in checked:
                problem = _gold_problem(options.fields.get(name, "exact"), gold[name])
                if problem is not None:
                    raise source.error(("cases", index, "expected", name),
                                       f"case {shown(case.id)}: field {shown(name)}: {problem}")

    def build(self, suite: Suite, options: JsonFieldsOptions) -> CaseCheck:
        rules, ignored = options.fields, frozenset(options.ignore)

        def check(answer: ParsedAnswer, case: Case) -> CheckResult:
            value, gold = answer.value, case.expected
            if not isinstance(value, dict):
                return CheckResult(False, "not a JSON object")
            if not isinstance(gold, dict):
                return CheckResult(False, "the case has no expected object")
            names = [name for name in gold if name not in ignored]
            names += [name for name in rules if name not in gold]  # nothing to compare: wrong
            fields = {name: name in value and name in gold
                      and compare_field(rules.get(name, "exact"), gold[name], value[name])
                      for name in names}
            wrong = [name for name, ok in fields.items() if not ok]
            correct = bool(fields) and not wrong
            reason = ("wrong fields: " + ", ".join(wrong)) if wrong else "no field to compare"
            return CheckResult(correct, None if correct else reason, fields)

        return check


def _gold_problem(rule: FieldRule, gold: Any) -> str | None:
    if isinstance(rule, dict) and gold is not None and not is_number(gold):
        return f"compared with {{numeric: tolerance}}, but expected {shown(gold)} is not a number"
    if rule == "contains" and isinstance(gold, str) and not gold.strip():
        return "compared with contains, but expected is empty text, which every answer contains"
    return None


def _named_fields_exist(suite: Suite, options: JsonFieldsOptions,
                        expected: list[dict[str, Any]], source: SourceDocument) -> None:
    """Every name in ``check.fields`` is expected by every case; ``ignore`` names a field."""
    every = {name for gold in expected for name in gold}
    for name in options.fields:
        if name in options.ignore:
            raise source.error(("check", "ignore"),
                               f"field {shown(name)} is in both check.fields and check.ignore")
        missing = [index for index, gold in enumerate(expected) if name not in gold]
        if len(missing) == len(expected):
            raise source.error(("check", "fields", name),
                               f"check.fields: no case expects a field {shown(name)}"
                               + did_you_mean(name, every))
        if missing:
            index = missing[0]
            close = closest(name, expected[index])
            typo = "" if close is None else \
                f"; did you mean {shown(name)} instead of {shown(close)}?"
            raise source.error(("cases", index, "expected"),
                               f"case {shown(suite.cases[index].id)}: expected has no field"
                               f" {shown(name)}, which check.fields compares{typo}")
    for position, name in enumerate(options.ignore):
        if name not in every:
            raise source.error(("check", "ignore", position),
                               f"check.ignore: no case expects a field {shown(name)}"
                               + did_you_mean(name, every))


def _schema_names_fields(suite: Suite, expected: list[dict[str, Any]],
                         source: SourceDocument) -> None:
    """An expected field the output schema does not name is a typo on one side."""
    schema = suite.output.json_schema or {}
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return
    for index, gold in enumerate(expected):
        for name in gold:
            if name not in properties:
                raise source.error(("cases", index, "expected", name),
                                   f"case {shown(suite.cases[index].id)}: expected field"
                                   f" {shown(name)} is not a property of output.schema"
                                   + did_you_mean(name, properties))


def _no_lone_near_misses(suite: Suite, expected: list[dict[str, Any]],
                         source: SourceDocument) -> None:
    """A field only some cases expect, spelled like one the others expect, is a typo."""
    counts: dict[str, int] = {}
    for gold in expected:
        for name in gold:
            counts[name] = counts.get(name, 0) + 1
    for index, gold in enumerate(expected):
        for name in gold:
            if counts[name] == len(expected):
                continue
            others = [other for other in counts
                      if other not in gold and counts[other] >= counts[name]]
            hint = did_you_mean(name, others)
            if hint:
                raise source.error(("cases", index, "expected", name),
                                   f"case {shown(suite.cases[index].id)}: expected field"
                                   f" {shown(name)} is in no other case" + hint)


class JsonSchemaOptions(CheckOptions):
    """Options of ``json_schema``: the schema (else ``output.schema``)."""

    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")


class JsonSchemaCheck(CheckKind[JsonSchemaOptions]):
    """Correct when the parsed answer is valid under the schema; no gold answer needed."""

    name = "json_schema"
    Options = JsonSchemaOptions
    needs_expected = False

    def validate(self, suite: Suite, options: JsonSchemaOptions,
                 source: SourceDocument) -> None:
        where = ("check", "schema") if options.json_schema else ("output", "schema")
        schema = options.json_schema or suite.output.json_schema
        if not schema:
            raise source.error(("check",), "check type json_schema needs a schema (check.schema"
                               " or output.schema)")
        problem = schema_problem(schema)
        if problem is not None:
            raise source.error(where, problem)
        empty: Any = {} if suite.output.kind == "json" else ""
        if compile_schema(schema).is_valid(empty):
            raise source.error(where, f"the schema accepts an empty answer {shown(empty)}, so a"
                               " model that answers nothing would pass; list required"
                               " properties")

    def build(self, suite: Suite, options: JsonSchemaOptions) -> CaseCheck:
        schema = options.json_schema or suite.output.json_schema or {}
        validator = compile_schema(schema)

        def check(answer: ParsedAnswer, case: Case) -> CheckResult:
            error = next(iter(validator.iter_errors(answer.value)), None)
            return CheckResult(error is None, None if error is None else f"schema: {error.message}")

        return check
