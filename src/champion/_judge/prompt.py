"""The judge's prompt and how its answer is read.

The judge gets one user message (under an optional system prompt) carrying the
rubric, the case's inputs, the optional reference answer and the answer to
grade. A suite may replace the template (``check.template``); its placeholders:

``{rubric}``     the check's rubric
``{inputs}``     the case's vars, one ``name: value`` line each
``{reference}``  ``Reference answer:`` and the case's ``reference``, or nothing
``{answer}``     the answer graded
``{VAR}``        any var of the cases (``{posting}``)

The verdict is the first whole word PASS or FAIL in the judge's answer (any
case, brackets allowed: ``[PASS]``); what follows it is the reason. An answer
with neither, or that opens with both (``PASS or FAIL``, ``PASS/FAIL``,
``PASS, FAIL``), is no verdict: the trial is left unjudged, never failed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from champion._judge.spec import JudgeOptions, JudgeTemplateSpec
from champion._suite.template import Template

__all__ = [
    "DEFAULT_TEMPLATE",
    "STANDARD_PLACEHOLDERS",
    "JudgePrompt",
    "ParsedVerdict",
    "parse_verdict",
]

#: The judge's prompt when the suite gives none.
DEFAULT_TEMPLATE = JudgeTemplateSpec(
    system=("You grade one answer against a rubric. Reply with PASS or FAIL on the first"
            " line, then one short sentence saying why."),
    user=("Rubric:\n{rubric}\n\nTask inputs:\n{inputs}\n{reference}\nAnswer to grade:\n"
          "{answer}\n\nVerdict (PASS or FAIL), then why:"),
)

#: The placeholders every template may use besides the cases' vars.
STANDARD_PLACEHOLDERS = ("rubric", "inputs", "reference", "answer")
#: The placeholders a template must use: a judge that never sees them grades nothing.
REQUIRED_PLACEHOLDERS = ("rubric", "answer")

Verdict = Literal["PASS", "FAIL"]
_VERDICT = re.compile(r"(?<![A-Za-z0-9_])(PASS|FAIL)(?![A-Za-z0-9_])", re.IGNORECASE)
#: Both words in a row: the judge echoed the instruction instead of deciding.
_ECHO = re.compile(r"\s*(?:/|,|\bor\b|\|)\s*\[?(?:PASS|FAIL)\b", re.IGNORECASE)
_MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class ParsedVerdict:
    """A judge's answer read: its verdict (None when it gave none) and its reason."""

    verdict: Verdict | None
    reason: str | None


def parse_verdict(text: str) -> ParsedVerdict:
    """The first whole-word PASS or FAIL in ``text``, and the words after it as the reason."""
    match = _VERDICT.search(text)
    if match is None:
        shown = " ".join(text.split())[:_MAX_REASON]
        return ParsedVerdict(None, f"no PASS or FAIL in the judge's answer: {shown!r}")
    verdict: Verdict = "PASS" if match.group(1).upper() == "PASS" else "FAIL"
    if _ECHO.match(text, match.end()):
        shown = " ".join(text.split())[:_MAX_REASON]
        return ParsedVerdict(None, f"the judge wrote both PASS and FAIL: {shown!r}")
    rest = text[match.end():].lstrip(" \t\r\n]):.*-—–")
    reason = " ".join(rest.split())[:_MAX_REASON] or None
    return ParsedVerdict(verdict, reason)


class JudgePrompt:
    """A judge check's template and rubric, parsed once; renders one prompt per answer."""

    __slots__ = ("fingerprint", "rubric", "spec", "system", "user")

    def __init__(self, options: JudgeOptions) -> None:
        self.spec = options.template or DEFAULT_TEMPLATE
        self.rubric = options.rubric.strip()
        self.system = Template(self.spec.system) if self.spec.system else None
        self.user = Template(self.spec.user)
        #: sha256 of what shapes every judge prompt: rubric, template, decoding settings.
        self.fingerprint = _digest({
            "rubric": self.rubric, "system": self.spec.system, "user": self.spec.user,
            "max_tokens": options.max_tokens, "constrain": options.constrain})

    @property
    def placeholders(self) -> set[str]:
        """Every placeholder of the system and user templates."""
        found = set(self.user.placeholders)
        if self.system is not None:
            found |= set(self.system.placeholders)
        return found

    def var_placeholders(self) -> set[str]:
        """Placeholders the cases' vars must fill."""
        return self.placeholders - set(STANDARD_PLACEHOLDERS)

    def render(self, variables: Mapping[str, Any], reference: str | None,
               answer: str) -> tuple[str | None, str]:
        """(system, user) messages for one answer to a case with ``variables``."""
        values = {**variables, "rubric": self.rubric, "inputs": _inputs(variables),
                  "reference": "" if not reference else f"\nReference answer:\n{reference}\n",
                  "answer": answer}
        return (None if self.system is None else self.system.render(values),
                self.user.render(values))


def case_digest(variables: Mapping[str, Any], reference: str | None) -> str:
    """sha256 of what the judge sees of a case (its vars and reference)."""
    return _digest({"vars": variables, "reference": reference})


def _inputs(variables: Mapping[str, Any]) -> str:
    lines = []
    for name, value in variables.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f"{name}: {text}")
    return "\n".join(lines) or "(none)"


def _digest(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
