"""Validation problems in plain words, at the key path they concern.

pydantic says "Extra inputs are not permitted"; a suite author reads
"unknown key 'chekc'; did you mean 'check'?". Validators that know more than
pydantic's location raise :func:`problem_at`, which carries its own key path.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails, PydanticCustomError

from champion._suite.document import KeyPath, describe_path, did_you_mean, shown

__all__ = ["PROBLEM", "introduced", "plain_error", "problem_at", "unknown_key"]

#: The error type of :func:`problem_at`.
PROBLEM = "suite_problem"


def problem_at(key_path: KeyPath, message: str, *, in_parent: bool = False) -> PydanticCustomError:
    """A validation error at ``key_path`` below the value being validated.

    ``in_parent``: the message is about the mapping that holds ``key_path``
    (an unknown key), so it is introduced by the mapping's path, not the key's.
    """
    return PydanticCustomError(PROBLEM, "{message}", {
        "message": message, "at": tuple(key_path), "in_parent": in_parent})


def plain_error(error: ErrorDetails, model: type[BaseModel]) -> tuple[KeyPath, KeyPath, str]:
    """One pydantic error of validating ``model`` in plain words.

    Returns the key path of the problem (for its line), the key path that
    introduces the message (the problem's, or its mapping's for an unknown
    key), and the message.
    """
    loc: KeyPath = tuple(part for part in error["loc"] if isinstance(part, str | int))
    context = error.get("ctx") or {}
    if error["type"] == PROBLEM:
        at = loc + tuple(context.get("at", ()))
        return at, at[:-1] if context.get("in_parent") else at, str(context.get("message"))
    if error["type"] == "extra_forbidden" and loc:
        return loc, loc[:-1], unknown_key(model, loc)
    return loc, loc, error["msg"].removeprefix("Value error, ")


def introduced(key_path: KeyPath, message: str) -> str:
    """``message`` introduced by ``key_path`` (``check.fields: ...``), if there is one."""
    return f"{describe_path(key_path)}: {message}" if key_path else message


def unknown_key(model: type[BaseModel], loc: KeyPath) -> str:
    """``unknown key 'x'; did you mean 'y'?`` for the last part of ``loc``."""
    owner = _model_at(model, loc[:-1])
    known = _keys(owner) if owner is not None else []
    return f"unknown key {shown(loc[-1])}" + did_you_mean(loc[-1], known)


def _keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()
            if not field.exclude]


def _model_at(model: type[BaseModel], loc: KeyPath) -> type[BaseModel] | None:
    """The model class that validates the value at ``loc``, when one does."""
    current: Any = model
    for part in loc:
        if isinstance(part, str) and _is_model(current):
            field = next((f for name, f in current.model_fields.items()
                          if part in (name, f.alias)), None)
            if field is None:
                return None
            current = _unwrap(field.annotation)
        elif isinstance(part, int) and get_origin(current) in (tuple, list):
            current = _unwrap(get_args(current)[0])
        else:
            return None
    return current if _is_model(current) else None


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → ``X``; anything else as is."""
    if get_origin(annotation) in (Union, types.UnionType):
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
        return options[0] if len(options) == 1 else annotation
    return annotation


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)
