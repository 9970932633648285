"""The ``python`` check: a function of the suite's author decides."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from champion._errors import SuiteError
from champion._scoring.kind import CaseCheck, CheckKind, CheckOptions, CheckResult, ParsedAnswer

if TYPE_CHECKING:
    from champion._suite.document import SourceDocument
    from champion._suite.model import Case, Suite

__all__ = ["PythonCheck", "PythonOptions"]

_SPEC = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


class PythonOptions(CheckOptions):
    """Options of ``python``: ``function: "module:function"``."""

    function: str | None = None


class PythonCheck(CheckKind[PythonOptions]):
    """Correct when ``function(output, case)`` returns true (or ``(true, reason)``).

    The module is looked up next to the suite file first. The function sees
    the raw output and the case, so it decides itself whether ``expected`` is
    needed; an exception it raises is that trial's wrong verdict.
    """

    name = "python"
    Options = PythonOptions
    needs_expected = False

    def validate(self, suite: Suite, options: PythonOptions, source: SourceDocument) -> None:
        if not options.function or not _SPEC.fullmatch(options.function):
            raise source.error(("check",), "check type python needs function: 'module:function'")

    def build(self, suite: Suite, options: PythonOptions) -> CaseCheck:
        function = _resolve(options.function, suite.source)

        def check(answer: ParsedAnswer, case: Case) -> CheckResult:
            try:
                result = function(answer.text, case)
            except Exception as exc:  # user code: its failure is this trial's verdict
                return CheckResult(False, f"check raised {type(exc).__name__}: {exc}")
            if isinstance(result, tuple):
                return CheckResult(bool(result[0]), str(result[1]) if len(result) > 1 else None)
            return CheckResult(bool(result), "python check returned false")

        return check


def _resolve(spec: str | None, source: str) -> Callable[[str, Case], Any]:
    module_name, _, attribute = (spec or "").partition(":")
    folder = str(Path(source).resolve().parent) if source else None
    if folder and folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        function = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise SuiteError(source or "<suite>", f"check.function {spec!r}: {exc}") from None
    if not callable(function):
        raise SuiteError(source or "<suite>", f"check.function {spec!r} is not callable")
    return function  # type: ignore[no-any-return]
