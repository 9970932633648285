"""A judge check's mistakes are refused where they are written (path:line, exit 2);
judge tasks are resolved by ``run`` and by ``validate --db``, never by ``validate`` alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from champion import load_suite
from champion._errors import SuiteError
from champion._judge.spec import STAGES as JUDGE_STAGES
from champion._registry.entries import STAGES
from champion._suite.fingerprint import suite_fingerprint
from tests.conftest import run_cli

GOOD = """\
task: summary
prompt: {user: "Summarise: {posting}"}
output: {kind: text}
check:
  type: judge
  rubric: PASS when the summary names the company.
  judge: {model: "ollama/qwen2.5:7b"}
cases:
  - id: S1
    vars: {posting: "Acme hires a welder."}
    reference: Acme is hiring a welder.
"""

#: (what to replace in GOOD, by what, the line named, words in the message)
BROKEN = {
    "missing rubric": ("  rubric: PASS when the summary names the company.\n", "", 4,
                       "needs a rubric"),
    "missing judge": ('  judge: {model: "ollama/qwen2.5:7b"}\n', "", 4, "needs judge:"),
    "two judges": ('{model: "ollama/qwen2.5:7b"}', '{model: "ollama/a", task: t}', 7,
                   "exactly one of task"),
    "bad model spec": ('"ollama/qwen2.5:7b"', '"qwen2.5"', 7, "expected PROVIDER/MODEL"),
    "several models": ('"ollama/qwen2.5:7b"', '"builtin"', 7, "names several models"),
    "panel of one": ('{model: "ollama/qwen2.5:7b"}', '{panel: ["ollama/a"]}', 7,
                     "at least two models"),
    "unknown stage": ('{model: "ollama/qwen2.5:7b"}', "{task: grading, stage: qa}", 7,
                      "unknown stage 'qa'"),
    "unknown key": ("  rubric:", "  rubrik: x\n  rubric:", 6, "did you mean 'rubric'"),
    "template without answer": ('  judge: {model: "ollama/qwen2.5:7b"}\n',
                                '  judge: {model: "ollama/qwen2.5:7b"}\n'
                                '  template: {user: "Grade by {rubric}"}\n', 8,
                                "never shows {answer}"),
    "template var missing": ('  judge: {model: "ollama/qwen2.5:7b"}\n',
                             '  judge: {model: "ollama/qwen2.5:7b"}\n'
                             '  template: {user: "{rubric} {answer} {salary}"}\n', 10,
                             "placeholder {salary}"),
    "floor out of range": ('  judge: {model: "ollama/qwen2.5:7b"}\n',
                           '  judge: {model: "ollama/qwen2.5:7b"}\n'
                           "  min_judge_agreement: 1.5\n", 8, "min_judge_agreement"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_judge_check_is_refused_at_its_line(
        name: str, write: Callable[[str, str], Path]) -> None:
    old, new, line, words = BROKEN[name]
    assert old in GOOD
    path = write("summary.yaml", GOOD.replace(old, new, 1))
    with pytest.raises(SuiteError) as refused:
        load_suite(path)
    assert refused.value.line == line, str(refused.value)
    assert words in str(refused.value)
    result = run_cli("validate", str(path))
    assert result.returncode == 2 and f"{path}:{line}:" in result.stderr
    assert "Traceback" not in result.stderr


def test_references_and_calibration_belong_to_a_judge(write: Callable[[str, str], Path]
                                                      ) -> None:
    exact = GOOD.replace("""  type: judge
  rubric: PASS when the summary names the company.
  judge: {model: "ollama/qwen2.5:7b"}
""", "  type: contains\n").replace("    reference:", "    expected: Acme\n    reference:")
    with pytest.raises(SuiteError, match=r"reference is shown to a judge") as refused:
        load_suite(write("exact.yaml", exact))
    assert refused.value.line == 10
    calibrated = exact.replace("    reference: Acme is hiring a welder.\n", "") + (
        "calibration:\n  - {id: K1, answer: Acme, verdict: PASS}\n")
    with pytest.raises(SuiteError, match="calibration cases grade a judge") as refused:
        load_suite(write("calibrated.yaml", calibrated))
    assert refused.value.line == 10


def test_calibration_cases_are_checked(write: Callable[[str, str], Path]) -> None:
    twice = GOOD + ("calibration:\n  - {id: K1, answer: a, verdict: pass}\n"
                    "  - {id: K1, answer: b, verdict: FAIL}\n")
    with pytest.raises(SuiteError, match="duplicate calibration case id 'K1'") as refused:
        load_suite(write("twice.yaml", twice))
    assert refused.value.line == 14
    maybe = GOOD + "calibration:\n  - {id: K1, answer: a, verdict: maybe}\n"
    with pytest.raises(SuiteError) as refused:
        load_suite(write("maybe.yaml", maybe))
    assert refused.value.line == 13 and "PASS" in str(refused.value)
    fine = load_suite(write("fine.yaml", GOOD + (
        "calibration:\n  - {id: K1, vars: {posting: x}, answer: a, verdict: pass}\n")))
    assert fine.calibration[0].verdict == "PASS"


def test_references_and_calibration_count_in_the_fingerprint_only_when_given(
        write: Callable[[str, str], Path]) -> None:
    plain = load_suite(write("plain.yaml", GOOD.replace(
        "    reference: Acme is hiring a welder.\n", "")))
    with_reference = load_suite(write("ref.yaml", GOOD))
    calibrated = load_suite(write("cal.yaml", GOOD + (
        "calibration:\n  - {id: K1, answer: a, verdict: PASS}\n")))
    assert "reference" not in plain.cases[0].model_dump()
    assert "calibration" not in plain.model_dump()
    fingerprints = {suite_fingerprint(s) for s in (plain, with_reference, calibrated)}
    assert len(fingerprints) == 3


def test_the_judge_stages_are_the_registry_stages() -> None:
    assert JUDGE_STAGES == STAGES


def test_validate_without_db_checks_the_file_only(write: Callable[[str, str], Path],
                                                  db_url: str) -> None:
    path = write("summary.yaml", GOOD.replace('{model: "ollama/qwen2.5:7b"}',
                                              "{task: posting-grading}"))
    alone = run_cli("validate", str(path), env={"CHAMPION_DB": db_url})
    assert alone.returncode == 0, alone.stderr
    assert "check judge" in alone.stdout
    checked = run_cli("validate", str(path), "--db", db_url)
    assert checked.returncode == 2
    assert f"error: {path}: summary: judge task 'posting-grading' has no champion" \
        in checked.stderr
    assert "never benchmarked" in checked.stderr and "Traceback" not in checked.stderr


def test_run_refuses_an_unknown_judge_task_naming_it(write: Callable[[str, str], Path],
                                                    db_url: str) -> None:
    path = write("summary.yaml", GOOD.replace('{model: "ollama/qwen2.5:7b"}',
                                              "{task: posting-grading}"))
    result = run_cli("run", str(path), "-m", "test/anything", "--db", db_url)
    assert result.returncode == 2
    assert "judge task 'posting-grading'" in result.stderr and "Traceback" not in result.stderr
    assert "started" not in result.stdout  # refused before the run began


def test_validate_with_db_names_the_judge_of_a_model_judge(write: Callable[[str, str], Path],
                                                          db_url: str) -> None:
    result = run_cli("validate", str(write("summary.yaml", GOOD)), "--db", db_url)
    assert result.returncode == 0, result.stderr
    assert "judged by qwen2.5:7b (judge)" in result.stdout
