"""Loading and validating workflow files, with ``path:line`` errors.

A workflow file is read like a suite (:mod:`champion._suite.source`: bounded,
plain data, the line of every key known). Beyond its shape, a workflow must
name each step once, name only existing steps in ``after`` and ``inputs``,
take inputs only from steps that run before, have no cycle in ``after`` and,
when the caller knows the stored tasks, name only tasks with a stored run.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from champion._errors import WorkflowError
from champion._suite.document import closest
from champion._suite.source import (
    DocumentError,
    KeyPath,
    SourceDocument,
    clean_message,
    describe_path,
    missing_file,
    read_document,
    shown,
)
from champion._workflow.model import ITEM, Budget, Step, Workflow

__all__ = ["did_you_mean", "load_workflow"]


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a known word is close to ``word``, else ``""``."""
    close = closest(word, known)
    return "" if close is None else f" (did you mean {close!r}?)"


def load_workflow(path: str | Path, tasks: Collection[str] | None = None) -> Workflow:
    """Load and validate one workflow file.

    Args:
        path: a YAML or JSON workflow file.
        tasks: the tasks that have a stored run; when given, a step naming
            another task is an error.

    Raises:
        WorkflowError: naming the file, the line where known, and the problem;
            no other exception, whatever the file holds.
    """
    file = Path(path)
    problem = missing_file(file)
    if problem is not None:
        raise WorkflowError(str(file), problem)
    try:
        document = read_document(file)
    except DocumentError as exc:
        raise WorkflowError(str(file), clean_message(str(exc)), exc.line) from None
    try:
        return _load(document, tasks)
    except WorkflowError as exc:
        raise WorkflowError(exc.path, clean_message(exc.message), exc.line) from None


def _load(document: SourceDocument, tasks: Collection[str] | None) -> Workflow:
    data, path = document.data, document.path
    if not isinstance(data, dict) or "workflow" not in data:
        raise WorkflowError(path, "a workflow file must be a mapping with workflow and steps", 1)
    _check_keys(document)
    if not data.get("steps"):
        raise WorkflowError(path, "no steps: a workflow needs at least one step",
                            document.line_of(("steps",)))
    try:
        workflow = Workflow.model_validate({**data, "source": path})
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(part for part in error["loc"] if isinstance(part, str | int))
        message = error["msg"].removeprefix("Value error, ")
        where = f"{describe_path(loc)}: " if loc else ""
        raise WorkflowError(path, where + message, document.line_of(loc)) from None
    _check_steps(workflow, document)
    if tasks is not None:
        _check_tasks(workflow, document, tasks)
    return workflow.model_copy(update={"steps": _run_order(workflow, document)})


_TOP = tuple(name for name in Workflow.model_fields if name != "source")
_BUDGET = tuple(Budget.model_fields)
_STEP = tuple(Step.model_fields)


def _check_keys(document: SourceDocument) -> None:
    """Unknown keys, with the closest known one."""
    data = document.data
    _unknown(document, data, (), _TOP)
    if isinstance(data.get("budget"), dict):
        _unknown(document, data["budget"], ("budget",), _BUDGET)
    steps = data.get("steps")
    for index, step in enumerate(steps if isinstance(steps, list) else ()):
        if isinstance(step, dict):
            _unknown(document, step, ("steps", index), _STEP)


def _unknown(document: SourceDocument, mapping: dict[Any, Any], where: KeyPath,
             known: tuple[str, ...]) -> None:
    for key in mapping:
        if key not in known:
            prefix = f"{describe_path(where)}: " if where else ""
            raise WorkflowError(
                document.path, f"{prefix}unknown key {shown(key)}"
                f"{did_you_mean(str(key), known)}; expected one of {', '.join(known)}",
                document.line_of((*where, str(key))))


def _check_steps(workflow: Workflow, document: SourceDocument) -> None:
    path = document.path
    index_of: dict[str, int] = {}
    for index, step in enumerate(workflow.steps):
        if step.id == ITEM:
            raise WorkflowError(path, f"steps.{index}.id: {ITEM!r} is reserved for the item's"
                                " own vars (inputs: {var: item.name})",
                                document.line_of(("steps", index, "id")))
        if step.id in index_of:
            raise WorkflowError(path, f"duplicate step id {shown(step.id)} (first at step"
                                f" {index_of[step.id] + 1})",
                                document.line_of(("steps", index, "id")))
        index_of[step.id] = index
    for index, step in enumerate(workflow.steps):
        for number, name in enumerate(step.after):
            if name not in index_of:
                raise WorkflowError(
                    path, f"step {shown(step.id)}: after names unknown step {shown(name)}"
                    f"{did_you_mean(name, index_of)}",
                    document.line_of(("steps", index, "after", number)))
            if name == step.id:
                raise WorkflowError(path, f"step {shown(step.id)} cannot run after itself",
                                    document.line_of(("steps", index, "after", number)))
    _check_cycles(workflow, document, index_of)
    for index, step in enumerate(workflow.steps):
        before = workflow.upstream(step.id)
        for var, ref in step.input_refs().items():
            line = document.line_of(("steps", index, "inputs", var))
            where = f"step {shown(step.id)}: inputs.{describe_path((var,))}"
            if ref.source == ITEM:
                if len(ref.field) != 1:
                    raise WorkflowError(path, f"{where}: name the item's var as item.NAME", line)
                continue
            if ref.source not in index_of:
                raise WorkflowError(
                    path, f"{where}: unknown step {shown(ref.source)}"
                    f"{did_you_mean(ref.source, [*index_of, ITEM])}", line)
            if ref.source not in before:
                raise WorkflowError(
                    path, f"{where}: step {shown(ref.source)} does not run before"
                    f" {shown(step.id)}: add it to after", line)
            if any(not part for part in ref.field):
                raise WorkflowError(path, f"{where}: {shown(str(ref))} has an empty field"
                                    " name", line)


def _check_cycles(workflow: Workflow, document: SourceDocument,
                  index_of: dict[str, int]) -> None:
    """A cycle in ``after`` is named step by step, at the first step on it."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    trail: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        trail.append(name)
        for before in workflow.step(name).after:
            if state.get(before) == 1:
                cycle = trail[trail.index(before):]  # each runs after the next one
                first = min(cycle, key=index_of.__getitem__)
                ring = _rotate(cycle, first)
                raise WorkflowError(
                    document.path, "cycle in after: " + " after ".join(
                        shown(step) for step in [*ring, first]),
                    document.line_of(("steps", index_of[first], "after")))
            if state.get(before) is None:
                visit(before)
        trail.pop()
        state[name] = 2

    for step in workflow.steps:
        if step.id not in state:
            visit(step.id)


def _rotate(cycle: list[str], first: str) -> list[str]:
    start = cycle.index(first)
    return cycle[start:] + cycle[:start]


def _check_tasks(workflow: Workflow, document: SourceDocument,
                 tasks: Collection[str]) -> None:
    for index, step in enumerate(workflow.steps):
        if step.task not in tasks:
            raise WorkflowError(
                document.path, f"step {shown(step.id)}: no stored run of task"
                f" {shown(step.task)}{did_you_mean(step.task, tasks)}: benchmark it first"
                " (champion run SUITE)", document.line_of(("steps", index, "task")))


def _run_order(workflow: Workflow, document: SourceDocument) -> tuple[Step, ...]:
    """The file's order, each step moved after the steps it names in ``after``."""
    done: set[str] = set()
    ordered: list[Step] = []
    pending = list(workflow.steps)
    while pending:
        ready = next((s for s in pending if set(s.after) <= done), None)
        if ready is None:  # _check_cycles rules this out
            raise WorkflowError(document.path, "cycle in after", document.line_of(("steps",)))
        pending.remove(ready)
        ordered.append(ready)
        done.add(ready.id)
    return tuple(ordered)
