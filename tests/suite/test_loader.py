"""Loading suites: YAML, JSON, the cookbook format, and every malformed kind."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from champion import SuiteError, load_suite
from tests.conftest import TRIAGE, run_cli

Write = Callable[[str, str], Path]


def test_yaml_suite_loads_with_defaults(triage_suite: Path) -> None:
    suite = load_suite(triage_suite)
    assert suite.task == "mini-triage"
    assert [c.id for c in suite.cases] == ["C1", "C2", "C3"]
    assert suite.check_spec.type == "label"
    assert suite.qualify.min_pass_rate == 1.0
    assert suite.params.max_tokens == 4


def test_json_suite_loads(write: Write) -> None:
    import yaml

    data = yaml.safe_load(TRIAGE)
    path = write("triage.json", json.dumps(data, indent=2))
    assert load_suite(path).cases[1].expected == "technical"


def test_cookbook_json_loads_unchanged(write: Write) -> None:
    path = write("cookbook.json", json.dumps({
        "task_type": "Summary Grading", "version": "1.0", "created": "2026-01-01",
        "prompt": "Posting: {posting}\nVerdict:",
        "test_cases": [
            {"id": "T1", "type": "PASS", "difficulty": "easy", "expected_verdict": "PASS",
             "reasoning": "fine", "posting": "a"},
            {"id": "T2", "type": "FAIL", "difficulty": "hard", "expected_verdict": "FAIL",
             "reasoning": "bad", "posting": "b"},
        ],
    }))
    suite = load_suite(path)
    assert suite.task == "summary-grading"
    assert suite.output.labels == ("PASS", "FAIL")
    assert suite.cases[0].vars == {"posting": "a"}
    assert suite.cases[1].expected == "FAIL" and suite.cases[1].type == "FAIL"
    assert suite.cases[1].why == "bad" and suite.is_pass_fail


def test_cookbook_prompt_from_file(write: Write) -> None:
    path = write("cookbook.json", json.dumps({
        "task_type": "grading", "test_cases": [
            {"id": "T1", "expected_verdict": "PASS", "summary": "s"}]}))
    with pytest.raises(SuiteError, match="missing prompt"):
        load_suite(path)
    prompt = write("prompt.txt", "Summary: {summary}\nPASS or FAIL?")
    assert load_suite(path, prompt_file=prompt).prompt.user.startswith("Summary:")


def test_bundled_examples_are_valid() -> None:
    root = Path(__file__).resolve().parents[2] / "examples"
    not_suites = {"models.yaml", "workflow.yaml", "workflow-items.yaml"}
    suites = [p for p in root.iterdir() if p.suffix in (".yaml", ".json")
              and p.name not in not_suites]
    assert len(suites) >= 4
    for path in suites:
        assert load_suite(path).cases


# Each malformed kind: exit status 2, the file and line named, no traceback.
MALFORMED = {
    "yaml_syntax": ("bad.yaml", "task: x\nprompt: {user: 'a'\ncases: [\n", 3, "invalid YAML"),
    "json_syntax": ("bad.json", '{\n  "task": "x",\n  "cases": [1,,]\n}\n', 3, "invalid JSON"),
    "missing_prompt": ("bad.yaml", "task: x\ncases:\n  - {id: a, expected: b}\n", None,
                       "missing prompt"),
    "placeholder_without_var": (
        "bad.yaml",
        "task: x\nprompt: {user: 'T {ticket} {team}'}\ncases:\n"
        "  - id: a\n    vars: {ticket: t, team: u}\n"
        "  - id: b\n    vars: {ticket: t}\n",
        6, "placeholder {team}"),
    "duplicate_ids": (
        "bad.yaml",
        "task: x\nprompt: {user: 'hi'}\ncases:\n  - id: a\n    expected: x\n"
        "  - id: a\n    expected: y\n", 6, "duplicate case id 'a'"),
    "label_not_allowed": (
        "bad.yaml",
        "task: x\nprompt: {user: 'hi'}\noutput: {kind: label, labels: [yes, no]}\n"
        "cases:\n  - id: a\n    expected: yes\n  - id: b\n    expected: maybe\n",
        8, "'maybe' is not among labels"),
    "unknown_check": (
        "bad.yaml",
        "task: x\nprompt: {user: 'hi'}\ncheck:\n  type: fuzzy\ncases:\n  - {id: a}\n",
        4, "unknown check type 'fuzzy'"),
    "no_cases": ("bad.yaml", "task: x\nprompt: {user: 'hi'}\ncases: []\n", 3, "no cases"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_suite_exits_2_with_file_and_line(kind: str, write: Write) -> None:
    name, text, line, message = MALFORMED[kind]
    path = write(name, text)
    result = run_cli("validate", str(path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    where = f"{path}:{line}:" if line else f"{path}:"
    assert where in result.stderr, result.stderr
    assert message in result.stderr, result.stderr
    # The library raises the same error with the same location.
    with pytest.raises(SuiteError) as raised:
        load_suite(path)
    assert raised.value.line == line


def test_run_with_malformed_suite_exits_2(write: Write) -> None:
    path = write("bad.yaml", "task: x\nprompt: {user: 'hi'}\ncases: []\n")
    result = run_cli("run", str(path), "-m", "test/echo")
    assert result.returncode == 2 and "no cases" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_is_reported(tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "no such file" in result.stderr
