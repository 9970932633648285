"""Is a registered champion still fit to serve? Re-run the pair and compare.

``check`` runs the registered champion and runner-up again on the suite of the
promoted run (a new, stored run) and fails when the champion

- no longer qualifies on that suite, or
- got significantly slower: per case, the median latency of its correct
  trials in the promoted run is paired with the same in the new run; a
  one-sided Wilcoxon signed-rank test says the new medians are larger
  (p < 0.05) *and* the median of the new per-case medians is more than 10%
  above the old one (the ranking's own Wilcoxon test: exact for small
  samples, normal approximation beyond). With fewer than 5 cases no p-value
  can fall under 0.05, so slowness alone never fails a check of so small a suite.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from champion._ranking.wilcoxon import wilcoxon
from champion._records import Trial
from champion._registry.entries import RegistryEntry
from champion._store import Store

__all__ = ["MAX_SLOWDOWN", "P_THRESHOLD", "CheckOutcome", "check_entry", "compare_latency"]

#: A champion is "significantly slower" only when the test's p-value is below this ...
P_THRESHOLD = 0.05
#: ... and its median latency grew by more than this factor.
MAX_SLOWDOWN = 1.10


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
    """Re-run ``entry``'s champion and runner-up on its suite and compare with the
    promotion; the verdict is stored (``champion promote --from`` reads it)."""
    from champion import RunConfig, run_suite

    candidates = [entry.champion.candidate]
    if entry.runner_up is not None:
        candidates.append(entry.runner_up.candidate)
    result = run_suite(entry.suite, candidates, db=store, config=RunConfig(purpose="check"))
    lines = {line.model: line for line in result.ranking.models}
    champion_id = entry.champion.candidate.id or entry.champion.id
    line = lines.get(champion_id)
    runner_up_line = None
    if entry.runner_up is not None:
        runner_up_line = lines.get(entry.runner_up.candidate.id or entry.runner_up.id)
    then = store.iter_trials(entry.run_id, model=entry.champion.id)
    now = (t for t in result.trials if t.model == champion_id)
    outcome = CheckOutcome(
        task=entry.task, stage=entry.stage, promoted_run=entry.run_id,
        check_run=result.run_id, champion=entry.champion.id,
        status=line.status if line is not None else "error",
        pass_rate_then=entry.champion.pass_rate,
        pass_rate_now=line.pass_rate if line is not None else 0.0,
        latency=compare_latency(then, now),
        runner_up=None if entry.runner_up is None else entry.runner_up.id,
        runner_up_status=None if runner_up_line is None else runner_up_line.status,
    )
    store.add_check(task=entry.task, stage=entry.stage, promoted_run=entry.run_id,
                    check_run=result.run_id, champion=entry.champion.id, status=outcome.status,
                    ok=outcome.ok, ratio=outcome.latency.ratio, p_value=outcome.latency.p_value)
    return outcome


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
        p_value=wilcoxon([b - a for a, b in zip(old, new, strict=True)],
                         alternative="greater").p_value)


def _case_medians(trials: Iterable[Trial]) -> dict[str, float]:
    times: dict[str, list[float]] = defaultdict(list)
    for trial in trials:
        if trial.correct and trial.latency_ms is not None:
            times[trial.case_id].append(trial.latency_ms)
    return {case: statistics.median(values) for case, values in times.items()}
