"""The statistics on each ranking line, computed from a model's tally.

Per model: a bootstrap interval of the median latency (resampling cases),
per-case pass^k and flakiness, the pass-rate bound counting cases rather than
trials, the confusion matrix of a PASS/FAIL grader, the cost per case and the
service-level ceilings it broke. Across models: the speed order of the
qualified ones with the comparison of each adjacent pair, and the Pareto
frontier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from champion._ranking.bootstrap import median_interval
from champion._ranking.ceilings import Ceilings, ceiling_reasons
from champion._ranking.compare import LatencyProfile, PairComparison, compare_pair, order_by_speed
from champion._ranking.confusion import Confusion
from champion._ranking.pareto import ParetoPoint, pareto_frontier
from champion._ranking.reliability import CaseReliability, case_reliability
from champion._ranking.stats import clopper_pearson_lower, percentile
from champion._ranking.tally import ModelTally

__all__ = ["ModelDetails", "SpeedEntry", "details", "frontier", "latency_interval",
           "speed_order"]


@dataclass(frozen=True, slots=True)
class ModelDetails:
    """The extra statistics of one ranking line."""

    cases: tuple[CaseReliability, ...]
    pass_rate_lower95_cases: float | None
    confusion: dict[str, int] | None
    cost_per_case_usd: float | None
    ceiling_reasons: tuple[str, ...]


def details(counts: ModelTally, *, polarity: Mapping[str, str], case_order: Iterable[str],
            cost_usd: float | None, json_valid_rate: float | None,
            ceilings: Ceilings) -> ModelDetails:
    """Everything :class:`ModelDetails` holds, for one model's tally."""
    order = [case for case in case_order if case in counts.cases]
    listed = set(order)
    order += [case for case in counts.cases if case not in listed]
    cases = case_reliability({case: (tally.passes, tally.trials)
                              for case, tally in counts.cases.items()}, order)
    cost_per_case = cost_usd / counts.trials if cost_usd is not None and counts.trials else None
    latencies = sorted(counts.latencies)
    reasons = ceiling_reasons(
        ceilings, p90_latency_ms=percentile(latencies, 90) if latencies else None,
        error_rate=counts.errors / counts.trials if counts.trials else None,
        cost_per_case_usd=cost_per_case, json_valid_rate=json_valid_rate,
    ) if ceilings.any else []
    return ModelDetails(
        cases=cases,
        pass_rate_lower95_cases=(clopper_pearson_lower(sum(c.all_passed for c in cases),
                                                       len(cases)) if cases else None),
        confusion=_confusion(counts, polarity) if polarity else None,
        cost_per_case_usd=cost_per_case,
        ceiling_reasons=tuple(reasons),
    )


def latency_interval(counts: ModelTally) -> tuple[float, float] | None:
    """The bootstrap 95% interval of the median latency, resampling cases."""
    if not counts.latencies:
        return None
    interval = median_interval([list(case.latencies) for case in counts.cases.values()])
    return None if interval is None else (interval.low, interval.high)


def _confusion(counts: ModelTally, polarity: Mapping[str, str]) -> dict[str, int]:
    """Correct answers on PASS cases are accepts, on FAIL cases rejects; the
    tally already counts the lenient and strict mistakes."""
    confusion = Confusion(false_accepts=counts.too_lenient, false_rejects=counts.too_strict)
    for case_id, case in counts.cases.items():
        gold = polarity.get(case_id)
        if gold == "PASS":
            confusion.true_accepts += case.passes
        elif gold == "FAIL":
            confusion.true_rejects += case.passes
    graded = sum(case.trials for case_id, case in counts.cases.items() if case_id in polarity)
    confusion.no_verdict = graded - (confusion.true_accepts + confusion.true_rejects
                                     + confusion.false_accepts + confusion.false_rejects)
    return confusion.as_dict()


@dataclass(frozen=True, slots=True)
class SpeedEntry:
    """A qualified model as the speed order sees it."""

    model: str
    counts: ModelTally
    cost_per_case_usd: float | None


def _profile(entry: SpeedEntry) -> LatencyProfile:
    latencies = sorted(entry.counts.latencies)
    per_case = {case: percentile(sorted(tally.latencies), 50)
                for case, tally in entry.counts.cases.items() if tally.latencies}
    return LatencyProfile(entry.model, percentile(latencies, 50), percentile(latencies, 90),
                          entry.cost_per_case_usd, per_case)


def speed_order(groups: Sequence[Sequence[SpeedEntry]],
                ) -> tuple[list[str], dict[str, PairComparison]]:
    """Order each group by speed (ties broken by p90, then cost), groups one after another.

    Returns the model ids in order and, for every model but the last, its
    comparison with the model right after it.
    """
    order: list[LatencyProfile] = []
    unmeasured: list[str] = []
    for group in groups:
        profiles = [_profile(entry) for entry in group if entry.counts.latencies]
        ordered, _pairs = order_by_speed(profiles)
        order.extend(ordered)
        unmeasured.extend(entry.model for entry in group if not entry.counts.latencies)
    comparisons = {order[i].model: compare_pair(order[i], order[i + 1])
                   for i in range(len(order) - 1)}
    return [p.model for p in order] + unmeasured, comparisons


def frontier(points: Sequence[ParetoPoint]) -> set[str]:
    """Ids of the models on the Pareto frontier."""
    return {point.model for point in pareto_frontier(points)}
