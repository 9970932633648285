"""Is a registered champion still fit to serve? Re-run the pair and compare.

``check`` runs the registered champion and runner-up again on the suite of the
promoted run (a new, stored run) and fails when the champion

- no longer qualifies on that suite, or
- got significantly slower: per case, the median latency of its correct
  trials in the promoted run is paired with the same in the new run; a
  one-sided Wilcoxon signed-rank test says the new medians are larger
  (p < 0.05) *and* the median of the new per-case medians is more than 10%
  above the old one. The test is exact up to 25 cases (normal approximation
  beyond); with fewer than 5 cases no p-value can fall under 0.05, so slowness
  alone never fails a check of so small a suite.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from champion.records import Trial
from champion.registry.entries import RegistryEntry
from champion.store import Store

__all__ = ["MAX_SLOWDOWN", "P_THRESHOLD", "CheckOutcome", "check_entry", "compare_latency",
           "wilcoxon_greater"]

#: A champion is "significantly slower" only when the test's p-value is below this ...
P_THRESHOLD = 0.05
#: ... and its median latency grew by more than this factor.
MAX_SLOWDOWN = 1.10
_EXACT_UP_TO = 25


@dataclass(frozen=True)
class LatencyComparison:
    """Per-case median latencies of one model in two runs, compared."""

    cases: int
    median_then_ms: float | None
    median_now_ms: float | None
    #: median now / median then.
    ratio: float | None
    #: One-sided p-value that the new per-case medians are larger.
    p_value: float | None

    @property
    def significantly_slower(self) -> bool:
        """Slower by more than :data:`MAX_SLOWDOWN` with p below :data:`P_THRESHOLD`."""
        return (self.p_value is not None and self.ratio is not None
                and self.p_value < P_THRESHOLD and self.ratio > MAX_SLOWDOWN)


@dataclass(frozen=True)
class CheckOutcome:
    """What a check found."""

    task: str
    stage: str
    promoted_run: str
    check_run: str
    champion: str
    #: The champion's status in the new run (``champion``, ``qualified``, ``disqualified``...).
    status: str
    pass_rate_then: float
    pass_rate_now: float
    latency: LatencyComparison
    runner_up: str | None
    runner_up_status: str | None

    @property
    def qualifies(self) -> bool:
        """The champion still qualifies on the suite."""
        return self.status in ("champion", "runner-up", "qualified")

    @property
    def ok(self) -> bool:
        """The champion qualifies and is not significantly slower."""
        return self.qualifies and not self.latency.significantly_slower


def check_entry(store: Store, entry: RegistryEntry) -> CheckOutcome:
    """Re-run ``entry``'s champion and runner-up on its suite and compare with the promotion."""
    from champion import run_suite

    candidates = [entry.champion.candidate]
    if entry.runner_up is not None:
        candidates.append(entry.runner_up.candidate)
    result = run_suite(entry.suite, candidates, db=store)
    lines = {line.model: line for line in result.ranking.models}
    champion_id = entry.champion.candidate.id or entry.champion.id
    line = lines.get(champion_id)
    runner_up_line = None
    if entry.runner_up is not None:
        runner_up_line = lines.get(entry.runner_up.candidate.id or entry.runner_up.id)
    then = store.iter_trials(entry.run_id, model=entry.champion.id)
    now = (t for t in result.trials if t.model == champion_id)
    return CheckOutcome(
        task=entry.task, stage=entry.stage, promoted_run=entry.run_id,
        check_run=result.run_id, champion=entry.champion.id,
        status=line.status if line is not None else "error",
        pass_rate_then=entry.champion.pass_rate,
        pass_rate_now=line.pass_rate if line is not None else 0.0,
        latency=compare_latency(then, now),
        runner_up=None if entry.runner_up is None else entry.runner_up.id,
        runner_up_status=None if runner_up_line is None else runner_up_line.status,
    )


def compare_latency(then: Iterable[Trial], now: Iterable[Trial]) -> LatencyComparison:
    """Pair the per-case median latencies (correct trials only) of two runs and test them."""
    before, after = _case_medians(then), _case_medians(now)
    cases = sorted(set(before) & set(after))
    if not cases:
        return LatencyComparison(0, None, None, None, None)
    old = [before[c] for c in cases]
    new = [after[c] for c in cases]
    median_then, median_now = statistics.median(old), statistics.median(new)
    return LatencyComparison(
        cases=len(cases), median_then_ms=median_then, median_now_ms=median_now,
        ratio=median_now / median_then if median_then > 0 else None,
        p_value=wilcoxon_greater([b - a for a, b in zip(old, new, strict=True)]))


def _case_medians(trials: Iterable[Trial]) -> dict[str, float]:
    times: dict[str, list[float]] = defaultdict(list)
    for trial in trials:
        if trial.correct and trial.latency_ms is not None:
            times[trial.case_id].append(trial.latency_ms)
    return {case: statistics.median(values) for case, values in times.items()}


def wilcoxon_greater(differences: Sequence[float]) -> float:
    """One-sided p-value of the Wilcoxon signed-rank test that the differences are > 0.

    Zero differences are dropped; tied magnitudes share their average rank.
    Exact for up to 25 non-zero differences, normal approximation (with tie
    and continuity correction) beyond.
    """
    nonzero = [d for d in differences if d != 0]
    n = len(nonzero)
    if n == 0:
        return 1.0
    ranks = _average_ranks([abs(d) for d in nonzero])
    w_plus = sum(rank for rank, d in zip(ranks, nonzero, strict=True) if d > 0)
    if n <= _EXACT_UP_TO:
        return _exact_upper_tail(ranks, w_plus)
    mean = n * (n + 1) / 4
    ties: dict[float, int] = defaultdict(int)
    for rank in ranks:
        ties[rank] += 1
    variance = n * (n + 1) * (2 * n + 1) / 24 - sum(t**3 - t for t in ties.values()) / 48
    if variance <= 0:
        return 1.0
    z = (w_plus - mean - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


def _average_ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def _exact_upper_tail(ranks: Sequence[float], w_plus: float) -> float:
    """P(W+ >= w_plus) when every sign is equally likely (ranks doubled to stay integral)."""
    doubled = [round(rank * 2) for rank in ranks]
    counts = {0: 1}
    for rank in doubled:
        step = dict(counts)
        for total, ways in counts.items():
            step[total + rank] = step.get(total + rank, 0) + ways
        counts = step
    threshold = round(w_plus * 2)
    return sum(ways for total, ways in counts.items() if total >= threshold) / (1 << len(ranks))
