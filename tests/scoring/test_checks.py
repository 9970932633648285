"""Checks against gold answers, one suite per check type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from champion import load_suite
from champion._scoring import Scorer, compare_field
from champion._suite.model import Case, Suite

Write = Callable[[str, str], Path]


def scorer_for(write: Write, body: str) -> tuple[Scorer, dict[str, Case]]:
    path = write("s.yaml", "task: t\nprompt: {user: 'x'}\n" + body)
    suite = load_suite(path)
    return Scorer(suite), {c.id: c for c in suite.cases}


def test_label_check(write: Write) -> None:
    scorer, cases = scorer_for(write, """
output: {kind: label, labels: [PASS, FAIL]}
cases: [{id: a, expected: PASS}]
""")
    assert scorer.score("[pass]", cases["a"]).correct
    verdict = scorer.score("FAIL", cases["a"])
    assert not verdict.correct and verdict.got == "FAIL" and verdict.parsed_ok
    unparseable = scorer.score("I am not sure", cases["a"])
    assert not unparseable.correct and not unparseable.parsed_ok
    assert unparseable.reason == "unparseable"


def test_exact_and_contains_and_regex(write: Write) -> None:
    exact, cases = scorer_for(write, "cases: [{id: a, expected: Paris}]\n")
    assert exact.score("  Paris\n", cases["a"]).correct
    assert not exact.score("paris", cases["a"]).correct
    exact_ci, cases = scorer_for(write, "check: {type: exact, ignore_case: true}\n"
                                        "cases: [{id: a, expected: Paris}]\n")
    assert exact_ci.score("PARIS", cases["a"]).correct
    contains, cases = scorer_for(write, "check: {type: contains}\n"
                                        "cases: [{id: a, expected: Paris}]\n")
    assert contains.score("The capital is Paris.", cases["a"]).correct
    assert not contains.score("The capital is Lyon.", cases["a"]).correct
    regex, cases = scorer_for(write, "check: {type: regex}\n"
                                     "cases: [{id: a, expected: '^\\d{4}-\\d{2}-\\d{2}$'}]\n")
    assert regex.score("2026-01-31", cases["a"]).correct
    assert not regex.score("31/01/2026", cases["a"]).correct


def test_json_fields_per_field_rules(write: Write) -> None:
    scorer, cases = scorer_for(write, """
output: {kind: json}
check:
  type: json_fields
  fields: {name: ci, amount: {numeric: 0.5}, date: exact, note: contains}
cases:
  - id: a
    expected: {name: Acme Ltd, amount: 1200, date: "2026-03-10", note: urgent}
""")
    good = '```json\n{"name": "ACME LTD", "amount": 1200.4, "date": "2026-03-10",' \
           ' "note": "very urgent call"}\n```'
    verdict = scorer.score(good, cases["a"])
    assert verdict.correct and verdict.fields == {
        "name": True, "amount": True, "date": True, "note": True}
    bad = scorer.score('{"name": "Acme", "amount": 1201, "date": "10/03/2026"}', cases["a"])
    assert not bad.correct
    assert bad.fields == {"name": False, "amount": False, "date": False, "note": False}
    assert bad.reason == "wrong fields: name, amount, date, note"
    assert not scorer.score("no json here", cases["a"]).parsed_ok


@pytest.mark.parametrize(("rule", "expected", "actual", "ok"), [
    ("exact", "a", "a", True), ("exact", 3, 3.0, True), ("exact", "a", "A", False),
    ("ci", "Hello", " hello ", True), ({"numeric": 1}, 10, 10.9, True),
    ({"numeric": 1}, 10, "x", False), ("contains", "bc", "ABCD", True),
    ("exact", "a", None, False), ("exact", None, None, True),
    # Wrong-typed answers are wrong, even when they print or convert alike.
    ({"numeric": 1}, 10, "10.9", False), ({"numeric": 0}, 1, True, False),
    ("exact", 1, True, False), ("exact", 0, False, False), ("ci", "48000", 48000, False),
    ("exact", {"a": 1}, {"a": True}, False), ("exact", [1, 2], [1, 2], True),
    ("contains", "", "anything", False),
])
def test_compare_field(rule: Any, expected: Any, actual: Any, ok: bool) -> None:
    assert compare_field(rule, expected, actual) is ok


def test_json_schema_check_and_output_schema(write: Write) -> None:
    scorer, cases = scorer_for(write, """
output:
  kind: json
  schema: {type: object, required: [team], properties: {team: {enum: [a, b]}}}
check: {type: json_schema}
cases: [{id: a}]
""")
    assert scorer.score('{"team": "a"}', cases["a"]).correct
    verdict = scorer.score('{"team": "c"}', cases["a"])
    assert not verdict.correct and verdict.reason is not None and "schema" in verdict.reason


def test_python_check(write: Write) -> None:
    write("my_checks.py", """
def starts_with_expected(output, case):
    ok = output.startswith(case.expected)
    return ok, "" if ok else f"does not start with {case.expected}"

def explodes(output, case):
    raise RuntimeError("boom")
""")
    scorer, cases = scorer_for(write, "check: {type: python, function: "
                                      "'my_checks:starts_with_expected'}\n"
                                      "cases: [{id: a, expected: Hi}]\n")
    assert scorer.score("Hi there", cases["a"]).correct
    verdict = scorer.score("Hello", cases["a"])
    assert not verdict.correct and verdict.reason == "does not start with Hi"
    broken, cases = scorer_for(write, "check: {type: python, function: 'my_checks:explodes'}\n"
                                      "cases: [{id: a, expected: Hi}]\n")
    verdict = broken.score("Hi", cases["a"])
    assert not verdict.correct and verdict.reason == "check raised RuntimeError: boom"


def _built(data: dict[str, Any]) -> tuple[Scorer, Case]:
    """A suite built in code, past the loader's rules (as a stored or hand-made suite may be)."""
    suite = Suite.model_validate({"task": "t", "prompt": {"user": "x"}, **data})
    return Scorer(suite), suite.cases[0]


def test_a_field_missing_from_the_answer_is_never_equal_to_a_missing_expectation() -> None:
    """A misspelled field name in check.fields does not make every JSON answer correct."""
    scorer, case = _built({
        "output": {"kind": "json"},
        "check": {"type": "json_fields", "fields": {"emial": "ci"}},
        "cases": [{"id": "a", "expected": {"email": "anna.berg@example.com"}}]})
    verdict = scorer.score('{"email": "john@example.com"}', case)
    assert not verdict.correct
    assert verdict.fields == {"email": False, "emial": False}
    assert not scorer.score("{}", case).correct
    assert scorer.score('{"email": "Anna.Berg@example.com", "emial": 1}', case).correct is False


def test_every_expected_field_is_compared_not_only_those_named() -> None:
    scorer, case = _built({
        "output": {"kind": "json"},
        "check": {"type": "json_fields", "fields": {"name": "ci"}, "ignore": ["notes"]},
        "cases": [{"id": "a", "expected": {"name": "Acme", "amount": 1200, "notes": "x"}}]})
    assert scorer.score('{"name": "ACME", "amount": 1200}', case).correct
    wrong = scorer.score('{"name": "ACME", "amount": 1300, "notes": "x"}', case)
    assert not wrong.correct and wrong.reason == "wrong fields: amount"
    assert wrong.fields == {"name": True, "amount": False}
    assert not scorer.score('{"name": "ACME"}', case).correct


def test_exact_compares_json_values_with_their_types() -> None:
    scorer, case = _built({
        "output": {"kind": "json"},
        "cases": [{"id": "a", "expected": {"approved": True, "count": 1}}]})
    assert scorer.score('{"count": 1.0, "approved": true}', case).correct
    assert not scorer.score('{"approved": 1, "count": 1}', case).correct
    assert not scorer.score('{"approved": true, "count": "1"}', case).correct
