"""Checks cannot pass (or fail) by accident: what ``validate`` refuses, where, and why.

Every rule is a ``validate`` error at ``path:line`` naming the field or the
case, exit status 2, with a did-you-mean for near misses, also for unknown keys
anywhere in a suite.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from champion import SuiteError, load_suite
from tests.conftest import run_cli

Write = Callable[[str, str], Path]

_HEAD = "task: t\nprompt: {user: 'Text: {text}'}\n"

# name: (suite text after the task and prompt, line, message)
REFUSED: dict[str, tuple[str, int, str]] = {
    # A misspelled field name must not make json_fields pass everything.
    "fields_name_no_case_expects": ("""
        output: {kind: json}
        check:
          type: json_fields
          fields: {name: ci, emial: ci}
        cases:
          - {id: A1, vars: {text: a}, expected: {name: Anna, email: anna@example.com}}
          - {id: A2, vars: {text: b}, expected: {name: John, email: john@example.com}}
        """, 6, "check.fields: no case expects a field 'emial'; did you mean 'email'?"),
    # A misspelled field on the expected side.
    "expected_lacks_a_compared_field": ("""
        output: {kind: json}
        check: {type: json_fields, fields: {invoice: exact}}
        cases:
          - {id: INV_1, vars: {text: a}, expected: {invoice: 88310}}
          - id: INV_2
            vars: {text: b}
            expected: {invoce: 88311}
        """, 9, "case 'INV_2': expected has no field 'invoice', which check.fields compares;"
                " did you mean 'invoice' instead of 'invoce'?"),
    "expected_field_not_in_output_schema": ("""
        output:
          kind: json
          schema: {type: object, properties: {invoice: {type: integer}}}
        check: {type: json_fields}
        cases:
          - id: INV_1
            vars: {text: a}
            expected:
              invoce: 88310
        """, 11, "case 'INV_1': expected field 'invoce' is not a property of output.schema;"
                 " did you mean 'invoice'?"),
    "expected_field_spelled_unlike_the_other_cases": ("""
        output: {kind: json}
        check: {type: json_fields}
        cases:
          - {id: INV_1, vars: {text: a}, expected: {invoice: 1, total: 10}}
          - {id: INV_2, vars: {text: b}, expected: {invoice: 2, total: 20}}
          - id: INV_3
            vars: {text: c}
            expected:
              invoce: 3
              total: 30
        """, 11, "case 'INV_3': expected field 'invoce' is in no other case;"
                 " did you mean 'invoice'?"),
    "ignore_names_no_field": ("""
        output: {kind: json}
        check:
          type: json_fields
          ignore: [notes, totl]
        cases:
          - {id: A1, vars: {text: a}, expected: {total: 1, notes: x}}
        """, 6, "check.ignore: no case expects a field 'totl'; did you mean 'total'?"),
    "field_both_compared_and_ignored": ("""
        output: {kind: json}
        check:
          type: json_fields
          fields: {total: exact}
          ignore: [total]
        cases:
          - {id: A1, vars: {text: a}, expected: {total: 1, notes: x}}
        """, 7, "field 'total' is in both check.fields and check.ignore"),
    "every_field_ignored": ("""
        output: {kind: json}
        check: {type: json_fields, ignore: [notes]}
        cases:
          - {id: A1, vars: {text: a}, expected: {notes: x}}
        """, 6, "case 'A1': every expected field is ignored, so any JSON object would pass"),
    "empty_expected_object": ("""
        output: {kind: json}
        check: {type: json_fields}
        cases:
          - id: A1
            vars: {text: a}
            expected: {}
        """, 8, "case 'A1': expected is empty, so any JSON object would pass"),
    "numeric_rule_on_text": ("""
        output: {kind: json}
        check: {type: json_fields, fields: {amount: {numeric: 0.5}}}
        cases:
          - id: A1
            vars: {text: a}
            expected: {amount: "48,000"}
        """, 8, "case 'A1': field 'amount': compared with {numeric: tolerance}, but expected"
                " '48,000' is not a number"),
    "negative_tolerance": ("""
        output: {kind: json}
        check:
          type: json_fields
          fields:
            amount: {numeric: -1}
        cases:
          - {id: A1, vars: {text: a}, expected: {amount: 1}}
        """, 7, "check.fields.amount: the numeric tolerance must be a number of at least 0"),
    "unknown_field_rule": ("""
        output: {kind: json}
        check:
          type: json_fields
          fields:
            name: exakt
        cases:
          - {id: A1, vars: {text: a}, expected: {name: x}}
        """, 7, "check.fields.name: unknown comparison 'exakt'; did you mean 'exact'?"),
    "json_fields_on_text_output": ("""
        check: {type: json_fields}
        cases:
          - {id: A1, vars: {text: a}, expected: {name: x}}
        """, 3, "check type json_fields needs output.kind: json"),
    # A gold-comparing check with a case that has no expected answer.
    "exact_case_without_expected": ("""
        check: {type: exact}
        cases:
          - {id: A1, vars: {text: a}, expected: Paris}
          - id: A2
            vars: {text: b}
        """, 6, "case 'A2' has no expected answer, and check type exact compares every answer"
                " with it"),
    "contains_case_without_expected": ("""
        check: {type: contains}
        cases:
          - id: A1
            vars: {text: a}
            expected: null
        """, 5, "case 'A1' has no expected answer, and check type contains compares"),
    "default_check_case_without_expected": ("""
        cases:
          - id: A1
            vars: {text: a}
        """, 4, "case 'A1' has no expected answer, and check type exact compares"),
    "json_fields_case_without_expected": ("""
        output: {kind: json}
        check: {type: json_fields}
        cases:
          - {id: A1, vars: {text: a}, expected: {name: x}}
          - {id: A2, vars: {text: b}}
        """, 7, "case 'A2' has no expected answer, and check type json_fields compares"),
    "contains_empty_text": ("""
        check: {type: contains}
        cases:
          - id: A1
            vars: {text: a}
            expected: "  "
        """, 7, "case 'A1': expected is empty text, which every answer contains"),
    "exact_text_against_true": ("""
        cases:
          - id: A1
            vars: {text: a}
            expected: true
        """, 6, "case 'A1': expected true is not text; a text answer is compared with text"),
    "exact_json_against_a_number": ("""
        output: {kind: json}
        check: {type: exact}
        cases:
          - id: A1
            vars: {text: a}
            expected: 5
        """, 8, "case 'A1': expected 5 is not an object, and a json answer always is one"),
    "regex_matching_nothing_at_all": ("""
        check: {type: regex}
        cases:
          - id: A1
            vars: {text: a}
            expected: '\\d*'
        """, 7, "case 'A1': regex '\\\\d*' matches an empty answer"),
    "schema_accepting_an_empty_object": ("""
        output: {kind: json}
        check:
          type: json_schema
          schema: {type: object, properties: {team: {type: string}}}
        cases:
          - {id: A1, vars: {text: a}}
        """, 6, "the schema accepts an empty answer {}, so a model that answers nothing would"
                " pass"),
    "label_check_on_text_output": ("""
        check:
          type: label
        cases:
          - {id: A1, vars: {text: a}, expected: x}
        """, 4, "check type label needs output.kind: label"),
    "empty_label": ("""
        output:
          kind: label
          labels: [yes, ""]
        cases:
          - {id: A1, vars: {text: a}, expected: "yes"}
        """, 5, "a label cannot be empty"),
    # Unknown keys anywhere, in plain words, with a did-you-mean.
    "unknown_top_level_key": ("""
        chekc: {type: exact}
        cases:
          - {id: A1, vars: {text: a}, expected: x}
        """, 3, "unknown key 'chekc'; did you mean 'check'?"),
    "unknown_output_key": ("""
        output:
          kind: label
          lables: [a, b]
        cases:
          - {id: A1, vars: {text: a}, expected: a}
        """, 5, "output: unknown key 'lables'; did you mean 'labels'?"),
    "unknown_check_key": ("""
        output: {kind: json}
        check:
          type: json_fields
          feilds: {name: ci}
        cases:
          - {id: A1, vars: {text: a}, expected: {name: x}}
        """, 6, "check: unknown key 'feilds' for check type json_fields; did you mean 'fields'?"),
    "option_of_another_check_kind": ("""
        output: {kind: label, labels: [a, b]}
        check:
          type: label
          ignore_case: true
        cases:
          - {id: A1, vars: {text: a}, expected: a}
        """, 6, "check: unknown key 'ignore_case' for check type label (it takes no options)"),
    "unknown_qualify_key": ("""
        qualify:
          min_pass_rat: 0.9
        cases:
          - {id: A1, vars: {text: a}, expected: x}
        """, 4, "qualify: unknown key 'min_pass_rat'; did you mean 'min_pass_rate'?"),
    "unknown_case_key": ("""
        cases:
          - id: A1
            vars: {text: a}
            expectd: x
        """, 6, "cases.0: unknown key 'expectd'; did you mean 'expected'?"),
    "unknown_check_type": ("""
        check:
          type: json_feilds
        cases:
          - {id: A1, vars: {text: a}, expected: x}
        """, 4, "check.type: unknown check type 'json_feilds'; did you mean 'json_fields'?"),
    "unknown_output_kind": ("""
        output:
          kind: jsno
        cases:
          - {id: A1, vars: {text: a}, expected: x}
        """, 4, "output.kind: unknown output kind 'jsno'; did you mean 'json'?"),
}


def _write(write: Write, name: str) -> Path:
    return write(f"{name}.yaml", _HEAD + textwrap.dedent(REFUSED[name][0]).lstrip("\n"))


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_at_its_line_with_its_reason(name: str, write: Write) -> None:
    path = _write(write, name)
    _text, line, message = REFUSED[name]
    with pytest.raises(SuiteError) as raised:
        load_suite(path)
    assert (raised.value.line, raised.value.path) == (line, str(path)), raised.value
    assert message in raised.value.message, raised.value.message
    assert "Extra inputs are not permitted" not in raised.value.message


def test_validate_exits_2_naming_file_line_and_problem(write: Write) -> None:
    """One ``validate`` over every refused file: each is named with its line, no traceback."""
    paths = {name: _write(write, name) for name in REFUSED}
    result = run_cli("validate", *map(str, paths.values()))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and not result.stdout
    for name, path in paths.items():
        _text, line, message = REFUSED[name]
        assert f"error: {path}:{line}: " in result.stderr, (name, result.stderr)
        assert message in result.stderr, (name, message)


def test_a_cookbook_case_without_a_verdict_is_named_at_its_line(write: Write) -> None:
    path = write("grading.json", json.dumps({
        "task_type": "grading", "prompt": "Summary: {summary}",
        "test_cases": [
            {"id": "T1", "expected_verdict": "PASS", "summary": "a"},
            {"id": "T2", "summary": "b"},
        ]}, indent=2))
    with pytest.raises(SuiteError) as raised:
        load_suite(path)
    assert raised.value.line == 10  # the second test case's opening brace
    assert "case 'T2' has no expected answer" in raised.value.message


def test_what_the_rules_allow(write: Write) -> None:
    """Ignored and differently compared fields, nulls, numbers as text, anchored
    regexes and schemas with requirements all load."""
    path = write("ok.yaml", _HEAD + textwrap.dedent("""
        output: {kind: json}
        check:
          type: json_fields
          fields: {amount: {numeric: 0.5}, email: ci}
          ignore: [notes]
        cases:
          - {id: A1, vars: {text: a}, expected: {amount: 1, email: a@b.c, notes: x}}
          - {id: A2, vars: {text: b}, expected: {amount: null, email: null}}
        """))
    suite = load_suite(path)
    assert suite.check_spec.options.ignore == ("notes",)  # type: ignore[attr-defined]
    regex = write("regex.yaml", _HEAD + "check: {type: regex}\ncases:\n"
                  "  - {id: A1, vars: {text: a}, expected: '^\\d{4}$'}\n")
    assert load_suite(regex).cases[0].expected == "^\\d{4}$"
    number = write("number.yaml", _HEAD + "cases:\n  - {id: A1, vars: {text: a}, expected: 42}\n")
    assert load_suite(number).cases[0].expected == 42
    schema = write("schema.yaml", _HEAD + textwrap.dedent("""
        output: {kind: json}
        check:
          type: json_schema
          schema: {type: object, required: [team]}
        cases:
          - {id: A1, vars: {text: a}}
        """))
    assert load_suite(schema).check_spec.type == "json_schema"
