"""The run JSON's ``judge`` object: who judged, how reliable, and what it cost.

Built when a run finishes from what the run stored (so a resumed run counts
every process's calls) and stored with the run's settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from champion._judge.calibration import calibration_of
from champion._judge.resolve import ResolvedJudge, describe
from champion._ranking.stats import percentile
from champion._records import JudgeCall
from champion._suite.model import CalibrationCase

__all__ = ["judge_summary"]


def judge_summary(judge: ResolvedJudge, calls: Sequence[JudgeCall],
                  calibration: Sequence[CalibrationCase], unjudged: int,
                  cold_starts: Mapping[str, float]) -> dict[str, Any]:
    """The ``judge`` object of a run (see docs/judges.md for every field).

    Args:
        calls: every judge call the run stored.
        calibration: the suite's calibration cases.
        unjudged: trials left without a verdict, over every model.
        cold_starts: judge model id → load and warm-up time (ms) in this process.
    """
    made = [c for c in calls if not c.cached]
    latencies = sorted(c.latency_ms for c in made if c.latency_ms is not None)
    # Calls that answered (with token counts) cost something; unpriced ones make it unknown.
    spent = [c.cost_usd for c in made if c.completion_tokens is not None]
    checked = calibration_of(calibration, calls, judge.panel)
    data = describe(judge)
    data.update({
        "calibration": None if checked is None else checked.to_json(),
        "calls": len(made),
        "cache_hits": len(calls) - len(made),
        "errors": sum(1 for c in made if c.verdict is None),
        "cost_usd": None if any(c is None for c in spent)
        else round(sum(c for c in spent if c is not None), 8),
        "latency_ms": None if not latencies else {
            "median": round(percentile(latencies, 50), 3),
            "p90": round(percentile(latencies, 90), 3),
            "mean": round(sum(latencies) / len(latencies), 3)},
        "cold_start_ms": {model: round(ms, 3) for model, ms in cold_starts.items()},
        "unjudged": unjudged,
    })
    return data
