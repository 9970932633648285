"""Comparing answer values with gold values, strictly: nothing passes by accident.

JSON types count: ``true`` is not ``1``, ``"42"`` is not ``42``, ``null`` is
only ``null``; numbers compare by value (``3`` equals ``3.0``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["FIELD_MODES", "FieldRule", "compare_field", "is_number", "json_equal"]

#: The named ways to compare one field; ``{"numeric": tolerance}`` is the other.
FIELD_MODES = ("exact", "ci", "contains")

#: How one field of a ``json_fields`` check is compared:
#: ``"exact"``, ``"ci"``, ``"contains"`` or ``{"numeric": tolerance}``.
FieldRule = str | dict[str, float]


def is_number(value: object) -> bool:
    """An int or float that is not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def json_equal(a: Any, b: Any) -> bool:
    """Equal as JSON values: same types (bool apart from numbers), numbers by value.

    Iterative, so a deeply nested answer cannot exhaust the stack.
    """
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if is_number(x) and is_number(y):
            if x != y:
                return False
        elif isinstance(x, str | bool) or x is None:
            if type(x) is not type(y) or x != y:
                return False
        elif isinstance(x, dict):
            if not isinstance(y, dict) or x.keys() != y.keys():
                return False
            stack.extend((x[key], y[key]) for key in x)
        elif isinstance(x, list | tuple):
            if not isinstance(y, list | tuple) or len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        else:
            return False
    return True


def compare_field(rule: FieldRule, expected: Any, actual: Any) -> bool:
    """Compare one field the answer has with its gold value under a ``json_fields`` rule.

    ``exact``: text equal after trimming whitespace, other values equal as JSON.
    ``ci``: text equal ignoring case and surrounding whitespace.
    ``contains``: the answer's text contains the gold text, ignoring case.
    ``{numeric: tolerance}``: both are numbers at most ``tolerance`` apart.
    A rule for text or numbers compares other gold values (null, lists, ...)
    exactly; an answer of another type than its gold value is always wrong.
    A field missing from the answer is wrong whatever its gold value: the
    caller decides that before calling.
    """
    if isinstance(rule, dict):
        if is_number(expected):
            try:
                return is_number(actual) and abs(actual - expected) <= rule["numeric"]
            except OverflowError:  # an integer too large to compare with a float
                return False
        return json_equal(expected, actual)
    if isinstance(expected, str):
        if not isinstance(actual, str):
            return False
        if rule == "ci":
            return actual.strip().casefold() == expected.strip().casefold()
        if rule == "contains":
            return bool(expected.strip()) and expected.casefold() in actual.casefold()
        return actual.strip() == expected.strip()
    return json_equal(expected, actual)
