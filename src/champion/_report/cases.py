"""Per-case summaries shared by the terminal and Markdown reports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from champion._ranking.stats import percentile
from champion._results import RunResult

__all__ = ["CaseLine", "case_lines"]


@dataclass(frozen=True, slots=True)
class CaseLine:
    """One model on one case over all its repeats.

    ``trials`` counts the judged repeats; ``unjudged`` those a judge gave no
    verdict on; ``reason`` is the judge's reason for the wrong answer shown.
    """

    case_id: str
    passes: int
    trials: int
    median_ms: float | None
    got: str | None
    reason: str | None = None
    unjudged: int = 0

    @property
    def ok(self) -> bool:
        """Every repeat was correct (and judged)."""
        return self.trials > 0 and self.passes == self.trials and not self.unjudged


def case_lines(result: RunResult, model: str) -> list[CaseLine]:
    """The model's cases in suite order."""
    judged_run = bool((result.config or {}).get("judge"))
    per_case = defaultdict(list)
    for trial in result.trials:
        if trial.model == model:
            per_case[trial.case_id].append(trial)
    lines = []
    for case_id in result.case_order:
        trials = per_case.get(case_id, [])
        if not trials:
            continue
        times = sorted(t.latency_ms for t in trials if t.latency_ms is not None)
        judged = [t for t in trials if not t.unjudged]
        wrong = [t for t in judged if not t.correct]
        got = reason = None
        if wrong:
            got = f"error: {wrong[0].error}" if wrong[0].is_error else wrong[0].got
            reason = wrong[0].reason if judged_run and not wrong[0].is_error else None
        lines.append(CaseLine(case_id, len(judged) - len(wrong), len(judged),
                              percentile(times, 50) if times else None, got, reason,
                              len(trials) - len(judged)))
    return lines
