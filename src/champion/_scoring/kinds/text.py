"""Checks on labels and text: ``label``, ``exact``, ``contains`` and ``regex``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from champion._scoring.kind import CaseCheck, CheckKind, CheckOptions, CheckResult, ParsedAnswer
from champion._scoring.kinds.outputs import gold_text
from champion._scoring.registry import output_kind
from champion._scoring.values import json_equal
from champion._suite.document import shown

if TYPE_CHECKING:
    from champion._suite.document import SourceDocument
    from champion._suite.model import Case, Suite

__all__ = ["CaseOptions", "ContainsCheck", "ExactCheck", "LabelCheck", "RegexCheck"]


class CaseOptions(CheckOptions):
    """Options of the text checks."""

    ignore_case: bool = False


def _gold_problems(suite: Suite, source: SourceDocument) -> None:
    """Refuse a case whose gold answer no answer of the suite's output kind can equal."""
    kind = output_kind(suite.output.kind)
    for index, case in enumerate(suite.cases):
        problem = kind.gold_problem(suite.output, case.expected)
        if problem is not None:
            raise source.error(("cases", index, "expected"), f"case {shown(case.id)}: {problem}")


def _needle(case: Case, index: int, source: SourceDocument, what: str) -> str:
    text = gold_text(case.expected)
    if text is None:
        raise source.error(("cases", index, "expected"),
                           f"case {shown(case.id)}: {what} needs expected text,"
                           f" not {shown(case.expected)}")
    return text


class LabelCheck(CheckKind[CheckOptions]):
    """Correct when the answer's label is the expected one (case-insensitive)."""

    name = "label"

    def validate(self, suite: Suite, options: CheckOptions, source: SourceDocument) -> None:
        if suite.output.kind != "label":
            raise source.error(("check", "type"), "check type label needs output.kind: label")
        _gold_problems(suite, source)

    def build(self, suite: Suite, options: CheckOptions) -> CaseCheck:
        def check(answer: ParsedAnswer, case: Case) -> CheckResult:
            gold = gold_text(case.expected)
            ok = (isinstance(answer.value, str) and gold is not None
                  and answer.value.casefold() == gold.casefold())
            return CheckResult(ok, "mismatch")

        return check


class ExactCheck(CheckKind[CaseOptions]):
    """Correct when the parsed answer equals the expected one.

    Text is compared after trimming surrounding whitespace (ignoring case with
    ``ignore_case``, and always for labels); other values as JSON values, with
    their types (``true`` is not ``1``).
    """

    name = "exact"
    Options = CaseOptions

    def validate(self, suite: Suite, options: CaseOptions, source: SourceDocument) -> None:
        _gold_problems(suite, source)

    def build(self, suite: Suite, options: CaseOptions) -> CaseCheck:
        fold = options.ignore_case or suite.output.kind == "label"

        def check(answer: ParsedAnswer, case: Case) -> CheckResult:
            value = answer.value
            if isinstance(value, str):
                gold = gold_text(case.expected)
                if gold is None:
                    return CheckResult(False, "mismatch")
                got, want = value.strip(), gold.strip()
                if fold:
                    got, want = got.casefold(), want.casefold()
                return CheckResult(got == want, "mismatch")
            return CheckResult(json_equal(value, case.expected), "mismatch")

        return check


class ContainsCheck(CheckKind[CaseOptions]):
    """Correct when the answer's text contains the expected text."""

    name = "contains"
    Options = CaseOptions

    def validate(self, suite: Suite, options: CaseOptions, source: SourceDocument) -> None:
        for index, case in enumerate(suite.cases):
            if not _needle(case, index, source, "contains").strip():
                raise source.error(("cases", index, "expected"),
                                   f"case {shown(case.id)}: expected is empty text, which"
                                   " every answer contains")

    def build(self, suite: Suite, options: CaseOptions) -> CaseCheck:
        def check(answer: ParsedAnswer, case: Case) -> CheckResult:
            needle, text = gold_text(case.expected), answer.text
            if needle is None or not needle.strip():
                return CheckResult(False, "no expected text")
            if options.ignore_case:
                needle, text = needle.casefold(), text.casefold()
            return CheckResult(needle in text, "missing expected text")

        return check


class RegexCheck(CheckKind[CaseOptions]):
    """Correct when the expected regular expression is found in the answer's text."""

    name = "regex"
    Options = CaseOptions

    def validate(self, suite: Suite, options: CaseOptions, source: SourceDocument) -> None:
        flags = re.IGNORECASE if options.ignore_case else 0
        for index, case in enumerate(suite.cases):
            where = ("cases", index, "expected")
            try:
                pattern = re.compile(_needle(case, index, source, "regex"), flags)
            except (re.error, OverflowError, RecursionError) as exc:
                reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
                raise source.error(where, f"case {shown(case.id)}: bad regex: {reason}") from None
            if pattern.search("") is not None:
                raise source.error(where, f"case {shown(case.id)}: regex {shown(pattern.pattern)}"
                                   " matches an empty answer (a model that says nothing"
                                   " would pass)")

    def build(self, suite: Suite, options: CaseOptions) -> CaseCheck:
        flags = re.IGNORECASE if options.ignore_case else 0
        patterns: dict[str, re.Pattern[str]] = {}
        for case in suite.cases:
            text = gold_text(case.expected)
            if text is not None:
                patterns[case.id] = re.compile(text, flags)

        def check(answer: ParsedAnswer, case: Case) -> CheckResult:
            pattern = patterns.get(case.id)
            return CheckResult(pattern is not None and pattern.search(answer.text) is not None,
                               "no regex match")

        return check

