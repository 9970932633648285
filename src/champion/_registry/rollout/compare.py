"""Does a shadow's answer agree with the answer the caller got? One comparer per check kind.

The comparer of a task is found by its check type (``suite.check_spec.type``);
a check type without one of its own is compared by :class:`ParsedEqual`: the
task's own parser reads both answers, and equal parsed values agree. A check
kind that needs more (a judged task's judge grading the shadow's answer against
the served one) registers its comparer, in process::

    from champion._registry.rollout.compare import register_comparer
    register_comparer("judge", JudgeComparer())

or from a package, with an entry point loaded the first time a task of that
check type is shadowed::

    [project.entry-points."champion.shadow_comparers"]
    judge = "my_package.shadow:JudgeComparer"     # a ShadowComparer class or instance

Nothing in the shadow calls changes: they ask :func:`comparer_for` and await
``compare``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from champion._providers.base import GenerateRequest
    from champion._registry.routes import Route

__all__ = ["COMPARER_GROUP", "Comparison", "ParsedEqual", "ServedCall", "ShadowComparer",
           "comparer_for", "register_comparer", "unregister_comparer"]

#: Entry-point group of comparers for third-party check kinds.
COMPARER_GROUP = "champion.shadow_comparers"


@dataclass(frozen=True, slots=True)
class ServedCall:
    """A call the gateway answered, as a shadow compares with it.

    Attributes:
        route: the pair that served it (suite, output format, models).
        request: the request the model was sent (messages and parameters).
        served_by: the id of the model whose answer the caller got.
        text: that answer's text (untrusted).
        value: what the task's parser made of it.
        inference_ms: how long the models took to give it.
        vars: the task's template vars, when the caller sent them.
    """

    route: Route
    request: GenerateRequest
    served_by: str
    text: str
    value: Any
    inference_ms: float
    vars: dict[str, Any] | None = None
    #: The router's judges (``RouteJudges``), for comparers that grade answers.
    judges: Any = None


@dataclass(frozen=True, slots=True)
class Comparison:
    """A shadow's answer compared with the served one.

    Attributes:
        agree: the two answers agree.
        kind: why not, when they do not (``value``: different parsed values;
            ``unparseable``: the task's parser rejects the shadow's answer; a
            comparer's own kinds).
        value: the shadow's parsed value, when it has one.
    """

    agree: bool
    kind: str | None = None
    value: Any = None


@runtime_checkable
class ShadowComparer(Protocol):
    """Compares a shadow's answer with a served call's."""

    async def compare(self, served: ServedCall, shadow_text: str) -> Comparison:
        """Whether ``shadow_text`` agrees with ``served``'s answer; must not raise for
        the shadow's own faults (say so in ``kind``)."""
        ...


class ParsedEqual:
    """The task's own parser reads the shadow's answer; equal parsed values agree."""

    async def compare(self, served: ServedCall, shadow_text: str) -> Comparison:
        parsed = served.route.output.parse(shadow_text)
        if not parsed.ok:
            return Comparison(False, "unparseable", parsed.value)
        if parsed.value == served.value:
            return Comparison(True, None, parsed.value)
        return Comparison(False, "value", parsed.value)


_DEFAULT = ParsedEqual()
_comparers: dict[str, ShadowComparer] = {}
#: Built-in comparers of check types, imported on first use.
_BUILT_IN = {"judge": ("champion._judge.production", "JudgeComparer")}


def register_comparer(check_type: str, comparer: ShadowComparer | type[ShadowComparer]) -> None:
    """Compare shadows of tasks whose check type is ``check_type`` with ``comparer``."""
    instance = comparer() if isinstance(comparer, type) else comparer
    if not isinstance(instance, ShadowComparer):
        raise TypeError(f"a shadow comparer needs an async compare(served, shadow_text),"
                        f" not {instance!r}")
    _comparers[check_type] = instance


def unregister_comparer(check_type: str) -> None:
    """Forget ``check_type``'s comparer (its tasks are compared by parsed value again)."""
    _comparers.pop(check_type, None)


def comparer_for(check_type: str) -> ShadowComparer:
    """The comparer of a check type: registered in process, else from an entry point,
    else :class:`ParsedEqual`."""
    found = _comparers.get(check_type)
    if found is not None:
        return found
    if check_type in _BUILT_IN:
        module, name = _BUILT_IN[check_type]
        register_comparer(check_type, getattr(importlib.import_module(module), name))
        return _comparers[check_type]
    for point in entry_points(group=COMPARER_GROUP, name=check_type):
        register_comparer(check_type, point.load())
        return _comparers[check_type]
    _comparers[check_type] = _DEFAULT  # looked up once
    return _DEFAULT
