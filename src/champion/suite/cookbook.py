"""The Model Optimization Cookbook's test-case JSON, mapped onto a suite.

``{"task_type", "version", "created", "test_cases": [{"id", "type",
"difficulty", "expected_verdict", "reasoning", ...}]}``: every other key of a
case becomes a template var, ``expected_verdict`` is the gold label and the
labels are PASS/FAIL.
"""

from __future__ import annotations

import re
from typing import Any

from champion.suite.source import KeyPath, LineMap

__all__ = ["from_cookbook", "is_cookbook"]

_CASE_KEYS = {"id": "id", "type": "type", "difficulty": "difficulty",
              "expected_verdict": "expected", "reasoning": "why"}


def is_cookbook(data: Any) -> bool:
    """Whether the document is in the cookbook's test-case format."""
    return isinstance(data, dict) and "test_cases" in data and "cases" not in data


def from_cookbook(data: dict[str, Any], lines: LineMap) -> tuple[dict[str, Any], LineMap]:
    """Convert to the native suite layout, translating the line map too."""
    task = str(data.get("task_type") or data.get("task") or "")
    raw: dict[str, Any] = {
        "task": re.sub(r"[^a-z0-9_.-]+", "-", task.lower()).strip("-") or task,
        "version": str(data.get("version", "1")),
        "description": str(data.get("description", "")),
        "output": {"kind": "label", "labels": ["PASS", "FAIL"]},
        "check": {"type": "label"},
    }
    moved: LineMap = {}
    _move(lines, moved, ("task_type",), ("task",))
    _move(lines, moved, ("version",), ("version",))
    if "prompt" in data:
        prompt = data["prompt"]
        raw["prompt"] = {"user": prompt} if isinstance(prompt, str) else prompt
        _move_tree(lines, moved, ("prompt",), ("prompt",))
    for key in ("params", "qualify", "repeats", "output", "check"):
        if key in data:
            raw[key] = data[key]
            _move_tree(lines, moved, (key,), (key,))
    cases: list[Any] = []
    test_cases = data.get("test_cases")
    _move(lines, moved, ("test_cases",), ("cases",))
    for index, item in enumerate(test_cases if isinstance(test_cases, list) else []):
        _move(lines, moved, ("test_cases", index), ("cases", index))
        if not isinstance(item, dict):
            cases.append(item)
            continue
        case: dict[str, Any] = {"vars": {}}
        for key, value in item.items():
            target = _CASE_KEYS.get(key)
            if target is not None:
                case[target] = value
                _move(lines, moved, ("test_cases", index, key), ("cases", index, target))
            else:
                case["vars"][key] = value
                _move(lines, moved, ("test_cases", index, key), ("cases", index, "vars", key))
        cases.append(case)
    raw["cases"] = cases
    return raw, moved


def _move(source: LineMap, target: LineMap, old: KeyPath, new: KeyPath) -> None:
    if old in source:
        target[new] = source[old]


def _move_tree(source: LineMap, target: LineMap, old: KeyPath, new: KeyPath) -> None:
    for path, line in source.items():
        if path[: len(old)] == old:
            target[new + path[len(old):]] = line
