"""Confusion matrix of a PASS/FAIL grader against the gold verdicts.

A grading model accepts (answers PASS) or rejects (answers FAIL). Accepting a
should-FAIL case is a false accept (too lenient); rejecting a should-PASS case
is a false reject (too strict). Answers that are neither PASS nor FAIL (errors,
unparseable output) are counted apart, so the four cells stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Confusion"]


@dataclass(slots=True)
class Confusion:
    """Counts of one model's verdicts against the gold polarity; add trials one by one."""

    true_accepts: int = 0
    false_accepts: int = 0
    true_rejects: int = 0
    false_rejects: int = 0
    no_verdict: int = 0

    def add(self, expected: str, got: str | None) -> None:
        """Count one trial: ``expected`` is the gold "PASS"/"FAIL", ``got`` the answer."""
        gold = expected.upper()
        answer = (got or "").strip().upper()
        if answer not in ("PASS", "FAIL"):
            self.no_verdict += 1
        elif answer == "PASS":
            if gold == "PASS":
                self.true_accepts += 1
            else:
                self.false_accepts += 1
        elif gold == "FAIL":
            self.true_rejects += 1
        else:
            self.false_rejects += 1

    @property
    def total(self) -> int:
        """Trials counted."""
        return (self.true_accepts + self.false_accepts + self.true_rejects
                + self.false_rejects + self.no_verdict)

    def as_dict(self) -> dict[str, int]:
        """The counts by name, for the JSON report."""
        return {"true_accepts": self.true_accepts, "false_accepts": self.false_accepts,
                "true_rejects": self.true_rejects, "false_rejects": self.false_rejects,
                "no_verdict": self.no_verdict}
