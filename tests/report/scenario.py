"""The run that made the terminal mislead, rebuilt from hand-made trials and ranked for real.

``inproc`` (median 592 ms, steady) and ``server`` (median ≈ 545 ms, but one call in
seven is 3 s) tie on speed: 592 / 545 is within the 10% margin. The tie is ordered by
p90, so the champion is the one with the higher median. ``hasty`` is faster still
but gets case C3 wrong every time; a few slow calls inflate its mean. ``never`` is the
fastest of all and never right.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import UTC, datetime

from champion._ranking import RankingRules, rank
from champion._records import ModelRun, Trial
from champion._results import RunResult

CASES = [f"C{i}" for i in range(10)]
REPEATS = 5


def _latency(base: float, case: int, batch: int) -> float:
    return base * (1 + 0.01 * ((batch * 3 + case) % 5 - 2))


def _trials(model: str, base: float, *, slow: Set[tuple[int, int]] = frozenset(),
            wrong: Set[int] = frozenset(), answer: str = "billing") -> list[Trial]:
    out = []
    for batch in range(REPEATS):
        for i, case in enumerate(CASES):
            got = "technical" if i in wrong else answer
            latency = 3000.0 if (i, batch) in slow else _latency(base, i, batch)
            out.append(Trial(model, case, batch, batch * len(CASES) + i, got == "billing",
                             output=got, got=got, parsed_ok=True, latency_ms=latency,
                             completion_tokens=2, prompt_tokens=20))
    return out


def misleading_run() -> RunResult:
    """The four models above, ranked with the default rule (every trial correct)."""
    trials = (_trials("inproc", 592)
              + _trials("server", 545, slow={(i, 0) for i in range(7)})
              + _trials("hasty", 400, wrong={3}, slow={(0, 1), (1, 1), (2, 1), (4, 2)})
              + _trials("never", 100, answer="technical"))
    models = [ModelRun(name, "test", name, cold_start_ms=50.0)
              for name in ("inproc", "server", "hasty", "never")]
    rules = RankingRules(min_pass_rate=1.0, output_kind="label",
                         expected=dict.fromkeys(CASES, "billing"))
    return RunResult(
        run_id="misleading01", task="ticket-triage", suite_version="1", strategy="full",
        repeats=REPEATS, cases=len(CASES), seed=1,
        started_at=datetime(2026, 1, 1, tzinfo=UTC), finished_at=None, status="complete",
        models=models, trials=trials, ranking=rank(models, trials, rules),
        case_info={case: {"expected": "billing"} for case in CASES}, case_order=CASES)
