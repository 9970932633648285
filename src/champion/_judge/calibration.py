"""Calibration: the judge grades answers whose right verdict a human gave.

A suite's ``calibration:`` cases are graded at the start of every run (cached
like any verdict). How often the judge agrees, with its one-sided 95%
Clopper–Pearson lower bound, is stored with the run; every judge model that
disagreed with a case is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from champion._judge.grader import Judge
from champion._ranking.stats import clopper_pearson_lower
from champion._records import JudgeCall
from champion._suite.model import CalibrationCase

__all__ = ["Calibration", "Disagreement", "calibrate", "calibration_of"]


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A judge model's verdict on a calibration case against the human's."""

    case: str
    judge: str
    verdict: str | None
    human: str


@dataclass(frozen=True, slots=True)
class Calibration:
    """How the judge did on the calibration cases.

    Attributes:
        cases: calibration cases graded.
        agreed: cases whose decided verdict is the human's.
        unjudged: cases the judge gave no usable verdict on (counted as disagreeing).
        disagreements: each judge model's verdict that differs from the human's.
    """

    cases: int
    agreed: int
    unjudged: int
    disagreements: tuple[Disagreement, ...]

    @property
    def agreement(self) -> float:
        """Agreed cases of cases."""
        return self.agreed / self.cases if self.cases else 0.0

    @property
    def agreement_lower95(self) -> float:
        """One-sided 95% Clopper–Pearson lower bound on the agreement."""
        return clopper_pearson_lower(self.agreed, self.cases)

    def to_json(self) -> dict[str, Any]:
        """The run JSON's ``judge.calibration``."""
        return {"cases": self.cases, "agreed": self.agreed, "unjudged": self.unjudged,
                "agreement": round(self.agreement, 4),
                "agreement_lower95": round(self.agreement_lower95, 4),
                "disagreements": [{"case": d.case, "judge": d.judge, "verdict": d.verdict,
                                   "human": d.human} for d in self.disagreements]}


async def calibrate(judge: Judge, cases: Sequence[CalibrationCase]) -> list[JudgeCall]:
    """Grade every calibration case; the calls made (or read from the cache)."""
    calls: list[JudgeCall] = []
    for case in cases:
        judged = await judge.judge(case.vars, case.reference, case.answer.strip(), case.id,
                                   ("", case.id, 0), "calibration")
        calls.extend(judged.calls)
    return calls


def calibration_of(cases: Sequence[CalibrationCase], calls: Sequence[JudgeCall],
                   panel: bool) -> Calibration | None:
    """The agreement the calibration calls of a run show (None without calibration cases).

    A case's decided verdict is its first judge's verdict, then its fallback's
    (for a panel: the strict majority); the last calls stored for a case count.
    """
    if not cases:
        return None
    by_case: dict[str, list[JudgeCall]] = {}
    for judged in calls:
        if judged.purpose == "calibration":
            by_case.setdefault(judged.case_id, []).append(judged)
    agreed = unjudged = 0
    disagreements = []
    for case in cases:
        mine = _latest(by_case.get(case.id, []))
        decided = _decided(mine, panel)
        if decided is None:
            unjudged += 1
        elif decided == case.verdict:
            agreed += 1
        disagreements += [Disagreement(case.id, c.judge, c.verdict, case.verdict)
                          for c in mine if c.verdict not in (None, case.verdict)]
    return Calibration(len(cases), agreed, unjudged, tuple(disagreements))


def _latest(calls: list[JudgeCall]) -> list[JudgeCall]:
    """Of several gradings of one case (a resumed run), the last per judge model."""
    last: dict[str, JudgeCall] = {}
    for judged in calls:
        last[judged.judge] = judged
    return list(last.values())


def _decided(calls: list[JudgeCall], panel: bool) -> str | None:
    valid = [c.verdict for c in calls if c.verdict is not None]
    if not panel:
        return valid[0] if valid else None
    for verdict in ("PASS", "FAIL"):
        if valid.count(verdict) * 2 > len(valid):
            return verdict
    return None
