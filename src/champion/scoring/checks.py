"""Scoring: parse a raw output in the task's format, then apply the suite's check.

A :class:`Scorer` is built once per suite (the output format and the check
kind's scorer prepared: regexes compiled, schema validators and Python checks
resolved) and then scores each trial cheaply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from champion.scoring.kind import ParsedAnswer
from champion.scoring.outputs import OutputFormat
from champion.scoring.registry import check_kind

if TYPE_CHECKING:
    from champion.suite.model import Case, Suite

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
        reason: why it is wrong, when it is.
        fields: per-field correctness for ``json_fields`` checks.
    """

    correct: bool
    got: str
    parsed_ok: bool
    reason: str | None = None
    fields: dict[str, bool] | None = None


def _display(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_GOT else text[: _MAX_GOT - 1] + "…"


class Scorer:
    """Scores raw outputs for one suite."""

    def __init__(self, suite: Suite) -> None:
        spec = suite.check_spec
        self.output = OutputFormat(suite)
        self.kind = suite.output.kind
        self._check = check_kind(spec.type).build(suite, spec.options)

    def score(self, text: str, case: Case) -> Verdict:
        """Parse ``text`` and compare it with ``case.expected``."""
        parsed = self.output.parse(text)
        if not parsed.ok:
            shown = text.strip() if parsed.value is None else parsed.value
            return Verdict(False, _display(shown), False, parsed.error or "unparseable")
        result = self._check(ParsedAnswer(parsed.value, text), case)
        fields = None if result.fields is None else dict(result.fields)
        return Verdict(result.correct, _display(parsed.value), True,
                       None if result.correct else result.reason, fields)
