"""The sample items of ``champion plan --verify ITEMS_FILE``, checked against a plan.

::

    items:
      - id: inbox-1
        vars: {message: "Flying to Paris for order 51736"}   # the item's own vars
        cases: {city: CITY_001}     # per step: the case of its suite with this item's gold answer
        steps: [city, order]        # the steps this item reaches (default: every step)

A step's template vars come from its ``inputs`` and otherwise from the item's
var of the same name; every var a reached step needs must be there. ``cases``
name a case of the step task's suite (as stored with the planned run): its
``expected`` is the gold answer the step's output is checked against.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from champion._errors import WorkflowError
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
from champion._workflow.loader import did_you_mean
from champion._workflow.model import ITEM, Workflow
from champion._workflow.plan import Plan

__all__ = ["Item", "load_items"]


class Item(BaseModel):
    """One sample item."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    vars: dict[str, Any] = {}
    cases: dict[str, str] = {}
    steps: tuple[str, ...] | None = None

    def reaches(self, step: str) -> bool:
        """Whether this item goes through ``step``."""
        return self.steps is None or step in self.steps


_KEYS = tuple(Item.model_fields)


def load_items(path: str | Path, plan: Plan) -> tuple[Item, ...]:
    """Load an items file and check it against ``plan``'s steps and suites.

    Raises:
        WorkflowError: ``path:line: problem``.
    """
    file = Path(path)
    problem = missing_file(file)
    if problem is not None:
        raise WorkflowError(str(file), problem)
    try:
        document = read_document(file)
    except DocumentError as exc:
        raise WorkflowError(str(file), clean_message(str(exc)), exc.line) from None
    data = document.data
    root: KeyPath = ()
    if isinstance(data, dict) and set(data) == {"items"}:
        data, root = data["items"], ("items",)
    if not isinstance(data, list) or not data:
        raise WorkflowError(str(file), "an items file is a list of items (or items: [...])"
                            " with at least one item", 1)
    items = []
    for index, raw in enumerate(data):
        where: KeyPath = (*root, index)
        if isinstance(raw, dict):
            for key in raw:
                if key not in _KEYS:
                    raise WorkflowError(
                        str(file), f"{describe_path(where)}: unknown key {shown(key)}"
                        f"{did_you_mean(str(key), _KEYS)}; expected one of {', '.join(_KEYS)}",
                        document.line_of((*where, str(key))))
        try:
            items.append(Item.model_validate(raw))
        except ValidationError as exc:
            error = exc.errors()[0]
            loc = where + tuple(p for p in error["loc"] if isinstance(p, str | int))
            raise WorkflowError(str(file), f"{describe_path(loc)}: {error['msg']}",
                                document.line_of(loc)) from None
    _check(items, plan, document, root)
    return tuple(items)


def _check(items: list[Item], plan: Plan, document: SourceDocument, root: KeyPath) -> None:
    workflow: Workflow = plan.workflow
    path = document.path
    ids = [s.id for s in workflow.steps]
    seen: set[str] = set()
    for index, item in enumerate(items):
        where: KeyPath = (*root, index)
        if item.id in seen:
            raise WorkflowError(path, f"duplicate item id {shown(item.id)}",
                                document.line_of((*where, "id")))
        seen.add(item.id)
        for number, name in enumerate(item.steps or ()):
            if name not in ids:
                raise WorkflowError(path, f"item {shown(item.id)}: unknown step {shown(name)}"
                                    f"{did_you_mean(name, ids)}",
                                    document.line_of((*where, "steps", number)))
        for choice in plan.inputs.steps:
            step = choice.step
            if not item.reaches(step.id):
                continue
            refs = step.input_refs()
            for ref in refs.values():
                if ref.source != ITEM and not item.reaches(ref.source):
                    raise WorkflowError(
                        path, f"item {shown(item.id)} reaches step {shown(step.id)} but not"
                        f" {shown(ref.source)}, whose output it takes",
                        document.line_of((*where, "steps")))
            needed = [name for template in choice.suite.prompt.templates() if template
                      for name in template.placeholders]
            for var in needed:
                mapped = refs.get(var)
                name = mapped.field[0] if mapped is not None and mapped.source == ITEM else var
                if (mapped is None or mapped.source == ITEM) and name not in item.vars:
                    raise WorkflowError(
                        path, f"item {shown(item.id)}: step {shown(step.id)} needs var"
                        f" {shown(name)} (give it in vars, or map {{{var}}} with the step's"
                        " inputs)", document.line_of((*where, "vars")))
        cases = {c.step.id: {case.id for case in c.suite.cases} for c in plan.inputs.steps}
        for step_id, case_id in item.cases.items():
            line = document.line_of((*where, "cases", step_id))
            if step_id not in cases:
                raise WorkflowError(path, f"item {shown(item.id)}: cases names unknown step"
                                    f" {shown(step_id)}{did_you_mean(step_id, ids)}", line)
            if case_id not in cases[step_id]:
                raise WorkflowError(
                    path, f"item {shown(item.id)}: step {shown(step_id)}'s suite has no case"
                    f" {shown(case_id)}{did_you_mean(case_id, cases[step_id])}", line)
