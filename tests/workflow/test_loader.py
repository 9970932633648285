"""Workflow files: what loads, and every refusal as path:line, exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from champion._cli.main import cli
from champion._errors import WorkflowError
from champion._store import Store
from champion._workflow import load_workflow
from tests.workflow.factories import Figures, store_run

TASKS = ["posting-summary", "job-posting-grading", "ticket-triage"]
GOOD = """\
workflow: job-processing
description: The posting pipeline.
budget: {memory_gb: 8, max_item_ms: 20000}
flow: wave
steps:
  - {id: ticket, task: ticket-triage, after: [grade], share: 0.4}
  - {id: extract, task: posting-summary, inputs: {posting: item.text}}
  - id: grade
    task: job-posting-grading
    after: extract
    inputs: {summary: extract.summary, posting: item.text}
"""


def test_a_workflow_loads_in_run_order(write: Callable[[str, str], Path]) -> None:
    workflow = load_workflow(write("w.yaml", GOOD), TASKS)
    assert [s.id for s in workflow.steps] == ["extract", "grade", "ticket"]
    assert workflow.budget.memory_mb == 8000 and workflow.budget.max_item_ms == 20000
    grade = workflow.step("grade")
    assert grade.after == ("extract",)
    assert {var: str(ref) for var, ref in grade.input_refs().items()} == {
        "summary": "extract.summary", "posting": "item.text"}
    assert workflow.upstream("ticket") == {"grade", "extract"}
    assert workflow.step("ticket").share == 0.4


@pytest.mark.parametrize(("text", "line", "message"), [
    (GOOD.replace("task: job-posting-grading", "task: posting-grading"), 9,
     "step 'grade': no stored run of task 'posting-grading' (did you mean"
     " 'job-posting-grading'?): benchmark it first"),
    (GOOD.replace("after: extract\n", "after: [extract, ticket]\n"), 6,
     "cycle in after: 'ticket' after 'grade' after 'ticket'"),
    (GOOD.replace("summary: extract.summary", "summary: extrct.summary"), 11,
     "step 'grade': inputs.summary: unknown step 'extrct' (did you mean 'extract'?)"),
    (GOOD.replace("after: [grade], share", "after: [grde], share"), 6,
     "step 'ticket': after names unknown step 'grde' (did you mean 'grade'?)"),
    (GOOD.replace("    after: extract\n", ""), 10,
     "inputs.summary: step 'extract' does not run before 'grade': add it to after"),
    (GOOD.replace("share: 0.4", "share: 0"), 6, "steps.0.share: share 0 must be in (0, 1]"),
    (GOOD.replace("share: 0.4", "share: 1.5"), 6, "share 1.5 must be in (0, 1]"),
    (GOOD.replace("id: grade", "id: extract"), 8, "duplicate step id 'extract' (first at"
     " step 2)"),
    (GOOD.replace("flow: wave", "flow: waves"), 4, "flow: Input should be 'wave' or 'item'"),
    (GOOD.replace("flow: wave", "flwo: wave"), 4,
     "unknown key 'flwo' (did you mean 'flow'?)"),
    (GOOD.replace("max_item_ms:", "max_item_mz:"), 3,
     "budget: unknown key 'max_item_mz' (did you mean 'max_item_ms'?)"),
    (GOOD.replace("    after: extract\n", "    afer: extract\n"), 10,
     "steps.2: unknown key 'afer' (did you mean 'after'?)"),
    (GOOD.replace("memory_gb: 8", "memory_gb: -1"), 3, "budget.memory_gb: Input should be"
     " greater than 0"),
    (GOOD.replace("id: extract", "id: item"), 7, "'item' is reserved for the item's own vars"),
    (GOOD.replace("posting: item.text}", "posting: item}"), 7,
     "inputs.posting: name the item's var as item.NAME"),
    ("steps: []\nworkflow: w\n", 1, "no steps: a workflow needs at least one step"),
    ("- a\n- b\n", 1, "a workflow file must be a mapping with workflow and steps"),
    (GOOD + "  - {id: x, task: t\n", 13, "invalid YAML"),
])
def test_bad_workflow_files_name_the_line_and_the_problem(
        write: Callable[[str, str], Path], text: str, line: int, message: str) -> None:
    path = write("w.yaml", text)
    with pytest.raises(WorkflowError) as caught:
        load_workflow(path, TASKS)
    assert caught.value.line == line, str(caught.value)
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_json_workflow_files_have_lines_too(write: Callable[[str, str], Path]) -> None:
    path = write("w.json", '{\n "workflow": "w",\n "steps": [\n  {"id": "a", "task": "t",'
                 ' "after": ["b"]}\n ]\n}\n')
    with pytest.raises(WorkflowError) as caught:
        load_workflow(path, ["t"])
    assert caught.value.line == 4 and "unknown step 'b'" in caught.value.message


@pytest.mark.parametrize(("edit", "message"), [
    (("task: job-posting-grading", "task: job-grading"), "no stored run of task 'job-grading'"),
    (("after: extract\n", "after: [extract, ticket]\n"), "cycle in after"),
    (("summary: extract.summary", "summary: summarise.text"), "unknown step 'summarise'"),
])
def test_the_plan_command_refuses_bad_files_with_exit_2(
        write: Callable[[str, str], Path], db_url: str, edit: tuple[str, str],
        message: str) -> None:
    with Store(db_url) as store:
        for task in TASKS:
            store_run(store, task, [Figures("m", 10.0)])
    path = write("w.yaml", GOOD.replace(*edit))
    for args in (["plan", str(path)], ["promote", "--workflow", str(path)]):
        done = CliRunner().invoke(cli, [*args, "--db", db_url])
        assert done.exit_code == 2, done.output
        first = done.output.splitlines()[0]
        assert first.startswith(f"error: {path}:") and message in first
        assert "Traceback" not in done.output


def test_a_missing_file_is_refused_with_exit_2(tmp_path: Path, db_url: str) -> None:
    done = CliRunner().invoke(cli, ["plan", str(tmp_path / "nope.yaml"), "--db", db_url])
    assert done.exit_code == 2 and "nope.yaml: no such file" in done.output
