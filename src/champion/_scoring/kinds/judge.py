"""The ``judge`` check: a model grades each free-text answer against a rubric.

Who judges, how reliable it is, its prompt, its cache and calibration live in
:mod:`champion._judge`; this kind declares the options, checks them when the
suite loads, and scores through the judge a run resolved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from champion._judge.prompt import REQUIRED_PLACEHOLDERS, JudgePrompt
from champion._judge.spec import JudgeOptions
from champion._scoring.kind import AsyncCaseCheck, CaseCheck, CheckKind, Grader
from champion._suite.document import shown

if TYPE_CHECKING:
    from champion._suite.document import SourceDocument
    from champion._suite.model import Suite

__all__ = ["JudgeCheck"]


class JudgeCheck(CheckKind[JudgeOptions]):
    """Correct when the run's judge says PASS; unjudged when it gives no verdict."""

    name = "judge"
    Options = JudgeOptions
    needs_expected = False
    asks_model = True

    def validate(self, suite: Suite, options: JudgeOptions, source: SourceDocument) -> None:
        if not options.rubric.strip():
            raise source.error(("check",), "check type judge needs a rubric: what PASS and"
                               " FAIL mean for this task")
        if options.judge is None:
            raise source.error(("check",), "check type judge needs judge: {task: T},"
                               " {model: SPEC} or {panel: [SPEC, ...]}")
        prompt = JudgePrompt(options)
        where = ("check", "template") if options.template is not None else ("check",)
        for name in REQUIRED_PLACEHOLDERS:
            if name not in prompt.placeholders:
                raise source.error(where, f"the judge's template never shows {{{name}}}: a"
                                   " judge must see the rubric and the answer it grades")
        needed = sorted(prompt.var_placeholders())
        for index, case in enumerate(suite.cases):
            missing = [name for name in needed if name not in case.vars]
            if missing:
                raise source.error(("cases", index), f"case {shown(case.id)}: placeholder"
                                   f" {{{missing[0]}}} of the judge's template has no var in"
                                   " this case")
        for index, calibration in enumerate(suite.calibration):
            missing = [name for name in needed if name not in calibration.vars]
            if missing:
                raise source.error(("calibration", index), f"calibration case"
                                   f" {shown(calibration.id)}: placeholder {{{missing[0]}}} of"
                                   " the judge's template has no var in this case")

    def build(self, suite: Suite, options: JudgeOptions) -> CaseCheck:
        raise NotImplementedError("check type judge scores through a judge (build_async)")

    def build_async(self, suite: Suite, options: JudgeOptions, grader: Grader) -> AsyncCaseCheck:
        return grader.grade
