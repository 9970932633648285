"""Scoring: parse a raw output in the task's format, then apply the suite's check.

A :class:`Scorer` is built once per suite (the output format and the check
kind's scorer prepared: regexes compiled, schema validators and Python checks
resolved) and then scores each trial cheaply. A check that asks a model (a
judge) scores with :meth:`Scorer.ascore`, through the :class:`Grader` the run
prepared; an answer that is not in the task's format never reaches the judge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from champion._errors import InputError
from champion._scoring.kind import AsyncCaseCheck, CaseCheck, CheckResult, Grader, ParsedAnswer
from champion._scoring.outputs import OutputFormat
from champion._scoring.parsers import Parsed
from champion._scoring.registry import check_kind

if TYPE_CHECKING:
    from champion._records import JudgeCall, TrialKey
    from champion._suite.model import Case, Suite

__all__ = ["Scorer", "Verdict"]

_MAX_GOT = 200


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of scoring one output.

    Attributes:
        correct: whether the output matches the gold answer.
        got: a short display of what the model answered (for failed cases).
        parsed_ok: whether the output parsed (label found, JSON object found)
            and met the output schema.
        reason: why it is wrong, when it is (a judge's reason either way).
        fields: per-field correctness for ``json_fields`` checks.
        unjudged: a judge gave no usable verdict: neither right nor wrong.
        calls: the judge calls behind the verdict (none for other checks).
    """

    correct: bool
    got: str
    parsed_ok: bool
    reason: str | None = None
    fields: dict[str, bool] | None = None
    unjudged: bool = False
    calls: tuple[JudgeCall, ...] = ()


def _display(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_GOT else text[: _MAX_GOT - 1] + "…"


class Scorer:
    """Scores raw outputs for one suite.

    Args:
        suite: the task.
        grader: the run's judge, for a check that asks a model (``asks_model``).

    Raises:
        InputError: the check asks a model and no grader was given.
    """

    def __init__(self, suite: Suite, grader: Grader | None = None) -> None:
        spec = suite.check_spec
        kind = check_kind(spec.type)
        self.output = OutputFormat(suite)
        self.kind = suite.output.kind
        #: Whether scoring asks a model: use :meth:`ascore`.
        self.asks_model = kind.asks_model
        self._check: CaseCheck | None = None
        self._acheck: AsyncCaseCheck | None = None
        if kind.asks_model:
            if grader is None:
                raise InputError(f"{suite.task}: check type {spec.type} asks a judge to grade"
                                 " each answer; it scores only in a run that resolved the judge")
            self._acheck = kind.build_async(suite, spec.options, grader)
        else:
            self._check = kind.build(suite, spec.options)

    def score(self, text: str, case: Case) -> Verdict:
        """Parse ``text`` and compare it with ``case.expected``.

        Raises:
            TypeError: the check asks a model (use :meth:`ascore`).
        """
        parsed = self.output.parse(text)
        if not parsed.ok:
            return _unparsed(text, parsed)
        if self._check is None:
            raise TypeError("this check asks a model: score with ascore()")
        return _verdict(parsed, self._check(ParsedAnswer(parsed.value, text), case))

    async def ascore(self, text: str, case: Case, trial: TrialKey) -> Verdict:
        """:meth:`score`, asking the judge when the check does; ``trial`` links its calls."""
        if self._acheck is None:
            return self.score(text, case)
        parsed = self.output.parse(text)
        if not parsed.ok:
            return _unparsed(text, parsed)
        return _verdict(parsed, await self._acheck(ParsedAnswer(parsed.value, text), case, trial))


def _unparsed(text: str, parsed: Parsed) -> Verdict:
    shown = text.strip() if parsed.value is None else parsed.value
    return Verdict(False, _display(shown), False, parsed.error or "unparseable")


def _verdict(parsed: Parsed, result: CheckResult) -> Verdict:
    fields = None if result.fields is None else dict(result.fields)
    keep_reason = not result.correct or bool(result.calls)  # a judge's reason either way
    return Verdict(result.correct, _display(parsed.value), True,
                   result.reason if keep_reason else None, fields, result.unjudged,
                   result.calls)
