"""Per-case summaries shared by the terminal and Markdown reports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from champion.ranking.stats import percentile
from champion.results import RunResult

__all__ = ["CaseLine", "case_lines"]


@dataclass(frozen=True, slots=True)
class CaseLine:
    """One model on one case over all its repeats."""

    case_id: str
    passes: int
    trials: int
    median_ms: float | None
    got: str | None

    @property
    def ok(self) -> bool:
        """Every repeat was correct."""
        return self.trials > 0 and self.passes == self.trials


def case_lines(result: RunResult, model: str) -> list[CaseLine]:
    """The model's cases in suite order."""
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
        wrong = [t for t in trials if not t.correct]
        got = None
        if wrong:
            got = f"error: {wrong[0].error}" if wrong[0].is_error else wrong[0].got
        lines.append(CaseLine(case_id, len(trials) - len(wrong), len(trials),
                              percentile(times, 50) if times else None, got))
    return lines
