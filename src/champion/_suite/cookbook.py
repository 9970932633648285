"""The Model Optimization Cookbook's test-case JSON, mapped onto a suite.

``{"task_type", "version", "created", "test_cases": [{"id", "type",
"difficulty", "expected_verdict", "reasoning", ...}]}``: every other key of a
case becomes a template var, ``expected_verdict`` is the gold label and the
labels are PASS/FAIL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from champion._suite.source import KeyPath

__all__ = ["from_cookbook", "is_cookbook"]

_CASE_KEYS = {"id": "id", "type": "type", "difficulty": "difficulty",
              "expected_verdict": "expected", "reasoning": "why"}
_FILE_KEYS = {target: key for key, target in _CASE_KEYS.items()}
_KEPT = ("params", "qualify", "repeats", "output", "check")


def is_cookbook(data: Any) -> bool:
    """Whether the document is in the cookbook's test-case format."""
    return isinstance(data, dict) and "test_cases" in data and "cases" not in data


def from_cookbook(data: dict[str, Any]) -> tuple[dict[str, Any], Callable[[KeyPath], KeyPath]]:
    """Convert to the native suite layout.

    Returns the suite data and a function that maps a key path of that data
    back to the key path it came from in the file (for line numbers).
    """
    raw: dict[str, Any] = {
        "task": _task_id(data.get("task_type") or data.get("task") or ""),
        "version": _text(data.get("version", "1")),
        "description": _text(data.get("description", "")),
        "output": {"kind": "label", "labels": ["PASS", "FAIL"]},
        "check": {"type": "label"},
    }
    if "prompt" in data:
        prompt = data["prompt"]
        raw["prompt"] = {"user": prompt} if isinstance(prompt, str) else prompt
    for key in _KEPT:
        if key in data:
            raw[key] = data[key]
    test_cases = data.get("test_cases")
    raw["cases"] = [_case(item) for item in test_cases] if isinstance(test_cases, list) \
        else test_cases

    task_key = "task_type" if data.get("task_type") else "task"

    def origin(key_path: KeyPath) -> KeyPath:
        head, rest = (key_path[0], key_path[1:]) if key_path else (None, ())
        if head == "task":
            return (task_key,)
        if head != "cases":
            return key_path
        if len(rest) < 2:
            return ("test_cases", *rest)
        index, field, *deeper = rest
        if field == "vars" and deeper:
            return ("test_cases", index, *deeper)
        if isinstance(field, str) and field in _FILE_KEYS:
            return ("test_cases", index, _FILE_KEYS[field], *deeper)
        return ("test_cases", index)

    return raw, origin


def _case(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    case: dict[str, Any] = {"vars": {}}
    for key, value in item.items():
        target = _CASE_KEYS.get(key) if isinstance(key, str) else None
        if target is not None:
            case[target] = value
        else:
            case["vars"][key] = value
    return case


def _text(value: Any) -> Any:
    """Numbers read as text (``version: 1.0``); anything else is left for validation."""
    return str(value) if isinstance(value, str | int | float) else value


def _task_id(value: Any) -> Any:
    if not isinstance(value, str | int | float):
        return value
    task = str(value)
    return re.sub(r"[^a-z0-9_.-]+", "-", task.lower()).strip("-") or task
