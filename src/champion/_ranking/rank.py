"""Qualification and ordering: champion, runner-up and why the others failed.

:func:`rank` reads the trials once (they may stream from the store) into
per-model tallies, then qualifies and orders the models.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from champion._ranking.ceilings import Ceilings, memory_reasons
from champion._ranking.compare import PairComparison
from champion._ranking.detail import (
    SpeedEntry,
    details,
    frontier,
    latency_interval,
    speed_order,
)
from champion._ranking.pareto import ParetoPoint
from champion._ranking.reliability import CaseReliability
from champion._ranking.stats import clopper_pearson_lower, percentile
from champion._ranking.tally import ModelTally
from champion._records import ModelRun, Trial

__all__ = ["FailedCase", "LatencyStats", "ModelRanking", "Ranking", "RankingRules",
           "qualified_frontier", "rank", "tally"]

Status = Literal["champion", "runner-up", "qualified", "disqualified", "error"]


@dataclass(frozen=True, slots=True)
class RankingRules:
    """What the suite says about qualification."""

    min_pass_rate: float = 1.0
    output_kind: str = "text"
    #: case id → gold polarity ("PASS"/"FAIL") for grading suites, else empty.
    polarity: dict[str, str] = field(default_factory=dict)
    #: case id → expected answer, for failed-case reports (in suite order).
    expected: dict[str, Any] = field(default_factory=dict)
    #: Service-level ceilings; a model over one is disqualified.
    ceilings: Ceilings = field(default_factory=Ceilings)
    #: A judge grades the answers: failed cases carry its reason.
    judged: bool = False


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Latency summary in milliseconds."""

    median: float
    p90: float
    mean: float
    min: float
    max: float

    @classmethod
    def of(cls, values: Iterable[float]) -> LatencyStats | None:
        """Summarise values; None when there are none."""
        ordered = sorted(values)
        if not ordered:
            return None
        return cls(percentile(ordered, 50), percentile(ordered, 90),
                   sum(ordered) / len(ordered), ordered[0], ordered[-1])


@dataclass(frozen=True, slots=True)
class FailedCase:
    """A case a model got wrong at least once."""

    id: str
    expected: Any
    got: str
    failures: int
    trials: int
    polarity: str | None = None
    #: Why it was wrong, for judged answers: the judge's most common reason.
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ModelRanking:
    """One model's line in the ranking."""

    model: str
    provider: str
    rank: int
    status: Status
    trials: int
    passes: int
    errors: int
    pass_rate: float
    pass_rate_lower95: float
    latency_ms: LatencyStats | None
    ttft_ms_median: float | None
    output_tokens_per_s: float | None
    cold_start_ms: float | None
    cost_usd: float | None
    failed_cases: tuple[FailedCase, ...] = ()
    json_valid_rate: float | None = None
    field_accuracy: dict[str, float] | None = None
    too_lenient: int = 0
    too_strict: int = 0
    error: str | None = None
    #: error kind → trials that failed with it.
    error_reasons: dict[str, int] = field(default_factory=dict)
    identity: dict[str, Any] = field(default_factory=dict)
    #: Median time to the first answer token (differs from TTFT for reasoning models).
    ttfot_ms_median: float | None = None
    #: The price used for ``cost_usd``: USD per million tokens and where it came from.
    price: dict[str, Any] | None = None
    #: ``provider/model@endpoint``: the same in every run.
    key: str = ""
    #: Why the strategy stopped running this model early, if it did.
    stopped: str | None = None
    #: Settings that could not be applied to this model.
    notes: tuple[str, ...] = ()
    #: Memory the model took, when known.
    memory_mb: float | None = None
    #: Percentile bootstrap 95% interval of the median latency, resampling cases
    #: (qualified models only).
    latency_median_ci95: tuple[float, float] | None = None
    #: Per case: repeats run and passed (pass^k), and whether it was flaky.
    case_reliability: tuple[CaseReliability, ...] = ()
    #: Clopper–Pearson lower bound counting cases (all repeats passed) as the trials.
    pass_rate_lower95_cases: float | None = None
    #: For PASS/FAIL suites: true/false accepts, true/false rejects, no verdict.
    confusion: dict[str, int] | None = None
    #: ``cost_usd`` per trial.
    cost_per_case_usd: float | None = None
    #: Why the model did not qualify: the pass-rate rule, ceilings it broke.
    disqualified_because: tuple[str, ...] = ()
    #: Comparison with the next qualified model in the order.
    vs_next: PairComparison | None = None
    #: A qualified model on the Pareto frontier of the qualified models
    #: (pass-rate bound, median latency, cost per case).
    pareto: bool = False
    #: Trials a judge gave no verdict on: in no pass rate, and the model cannot
    #: qualify until a resumed run judges them.
    unjudged: int = 0

    @property
    def qualified(self) -> bool:
        """Champion, runner-up or qualified."""
        return self.status in ("champion", "runner-up", "qualified")

    @property
    def flaky_cases(self) -> list[str]:
        """Cases this model both passed and failed."""
        return [case.id for case in self.case_reliability if case.flaky]

    @property
    def speed_score(self) -> float | None:
        """The cookbook's score: 1000 / median latency in seconds.

        The median, not the mean: a few slow calls must not move it (the
        ranking orders by the median too). Taken from the median rounded to
        the µs, as stored, so a report rebuilt from the database shows the
        same score. A figure of speed, not a rank: only qualified models are
        ranked, and reports show no score for the others.
        """
        median = round(self.latency_ms.median, 3) if self.latency_ms else 0.0
        return 1e6 / median if median > 0 else None

    @property
    def leaning(self) -> str | None:
        """For PASS/FAIL suites: 'too lenient', 'too strict' or 'both'."""
        if self.too_lenient and self.too_strict:
            return "both too lenient and too strict"
        if self.too_lenient:
            return "too lenient"
        if self.too_strict:
            return "too strict"
        return None


@dataclass(frozen=True, slots=True)
class Ranking:
    """Every model, ordered by rank."""

    models: tuple[ModelRanking, ...]

    @property
    def champion(self) -> str | None:
        """The fastest qualified model."""
        return next((m.model for m in self.models if m.status == "champion"), None)

    @property
    def runner_up(self) -> str | None:
        """The second fastest qualified model."""
        return next((m.model for m in self.models if m.status == "runner-up"), None)

    @property
    def comparisons(self) -> list[PairComparison]:
        """Each qualified model against the next one, in rank order."""
        return [m.vs_next for m in self.models if m.vs_next is not None]

    @property
    def pareto_frontier(self) -> list[str]:
        """Qualified models on the Pareto frontier, in rank order.

        Computed from the lines, not read from their ``pareto`` flags: a run
        ranked before the frontier was limited to qualified models keeps its
        stored flags, and must not show a disqualified model on it.
        """
        on_frontier = qualified_frontier(self.models)
        return [m.model for m in self.models if m.model in on_frontier]


def qualified_frontier(lines: Iterable[ModelRanking]) -> set[str]:
    """Ids of the qualified models on the Pareto frontier.

    Only qualified models take part: a model that failed cases is no
    trade-off anyone can choose, and must not push a qualified one off.
    """
    return frontier([
        ParetoPoint(line.model, line.pass_rate_lower95, line.latency_ms.median,
                    line.cost_per_case_usd)
        for line in lines if line.qualified and line.latency_ms is not None])


def tally(trials: Iterable[Trial], rules: RankingRules) -> dict[str, ModelTally]:
    """One pass over the trials: model id → its tally."""
    tallies: dict[str, ModelTally] = {}
    polarity = rules.polarity
    for trial in trials:
        counts = tallies.get(trial.model)
        if counts is None:
            counts = tallies[trial.model] = ModelTally()
        counts.add(trial, polarity.get(trial.case_id))
    return tallies


def rank(models: Sequence[ModelRun], trials: Iterable[Trial], rules: RankingRules) -> Ranking:
    """Qualify every model and order them: qualified by speed, then the rest.

    Qualified models are ordered by median latency, except that two
    neighbours whose difference is a tie (not significantly slower, or by
    less than the margin) are ordered by p90 latency, then cost. A model the
    strategy stopped before it ran its whole plan comes after those that
    did, and is never champion or runner-up.
    """
    tallies = tally(trials, rules)
    empty = ModelTally()
    lines = [_summarise(run, tallies.get(run.model) or empty, rules) for run in models]
    by_model = {line.model: line for line in lines}

    def entry(line: ModelRanking) -> SpeedEntry:
        return SpeedEntry(line.model, tallies.get(line.model) or empty, line.cost_per_case_usd)

    qualified = [line for line in lines if line.status == "qualified"]
    speed, comparisons = speed_order([
        [entry(line) for line in qualified if line.stopped is None],
        [entry(line) for line in qualified if line.stopped is not None]])

    def order(line: ModelRanking) -> tuple[int, float, float]:
        median = line.latency_ms.median if line.latency_ms else float("inf")
        group = 1 if line.status == "disqualified" else 2
        return (group, -line.pass_rate, median)

    ordered = [by_model[model] for model in speed] + sorted(
        (line for line in lines if line.status != "qualified"), key=order)
    on_frontier = qualified_frontier(lines)
    final = []
    for index, line in enumerate(ordered):
        status: Status = line.status
        if status == "qualified" and line.stopped is None and index == 0:
            status = "champion"
        elif status == "qualified" and line.stopped is None and index == 1:
            status = "runner-up"
        final.append(replace(line, rank=index + 1, status=status,
                             vs_next=comparisons.get(line.model),
                             pareto=line.model in on_frontier))
    return Ranking(tuple(final))


def _summarise(run: ModelRun, counts: ModelTally, rules: RankingRules) -> ModelRanking:
    total, passes = counts.trials, counts.passes
    pass_rate = passes / total if total else 0.0
    never_ran = run.error is not None or total + counts.unjudged == 0 or not counts.answered
    cost = _cost(run, counts)
    answered_total = total + counts.unjudged
    json_valid_rate = (counts.parsed_ok / answered_total
                       if rules.output_kind == "json" and answered_total else None)
    extra = details(counts, polarity=rules.polarity, case_order=rules.expected,
                    cost_usd=cost, json_valid_rate=json_valid_rate, ceilings=rules.ceilings)
    because = list(extra.ceiling_reasons) + memory_reasons(rules.ceilings, run.memory_mb)
    if pass_rate < rules.min_pass_rate and total:
        because.insert(0, f"pass rate {pass_rate:.1%} under the {rules.min_pass_rate:.0%} rule")
    if counts.unjudged:
        because.append(f"{counts.unjudged} trial(s) unjudged: the judge gave no usable verdict"
                       " (champion run --resume judges them again)")
    if never_ran:
        status: Status = "error"
    elif not because:
        status = "qualified"
    else:
        status = "disqualified"
    error = run.error
    if error is None and never_ran:
        error = (f"every call failed ({counts.first_error_kind or 'internal'}):"
                 f" {counts.first_error}" if counts.first_error else "no trials ran")
    ttfts, ttfots = sorted(counts.ttfts), sorted(counts.ttfots)
    return ModelRanking(
        model=run.model, provider=run.provider, rank=0, status=status,
        trials=total, passes=passes, errors=counts.errors, pass_rate=pass_rate,
        pass_rate_lower95=clopper_pearson_lower(passes, total),
        latency_ms=LatencyStats.of(counts.latencies),
        ttft_ms_median=percentile(ttfts, 50) if ttfts else None,
        output_tokens_per_s=counts.tokens_per_s(),
        cold_start_ms=run.cold_start_ms,
        cost_usd=cost,
        failed_cases=_failed_cases(counts, rules),
        json_valid_rate=json_valid_rate,
        field_accuracy=({name: counts.field_passes[name] / total
                         for name in sorted(counts.field_passes)}
                        if counts.fields_seen and total else None),
        too_lenient=counts.too_lenient, too_strict=counts.too_strict, error=error,
        error_reasons=dict(counts.error_kinds), identity=dict(run.identity),
        ttfot_ms_median=percentile(ttfots, 50) if ttfots else None,
        price=_price(run), key=run.key, stopped=run.stopped, notes=tuple(run.notes),
        memory_mb=run.memory_mb,
        latency_median_ci95=latency_interval(counts) if status == "qualified" else None,
        case_reliability=extra.cases,
        pass_rate_lower95_cases=extra.pass_rate_lower95_cases, confusion=extra.confusion,
        cost_per_case_usd=extra.cost_per_case_usd,
        disqualified_because=() if never_ran else tuple(because),
        unjudged=counts.unjudged,
    )


def _price(run: ModelRun) -> dict[str, Any] | None:
    if run.price_in_per_mtok is None or run.price_out_per_mtok is None:
        return None
    return {"input_per_mtok": run.price_in_per_mtok, "output_per_mtok": run.price_out_per_mtok,
            "source": run.price_source}


def _cost(run: ModelRun, counts: ModelTally) -> float | None:
    if run.price_in_per_mtok is None or run.price_out_per_mtok is None:
        return None
    if counts.prompt_tokens is None or counts.output_tokens is None:
        return None
    return (counts.prompt_tokens * run.price_in_per_mtok
            + counts.output_tokens * run.price_out_per_mtok) / 1e6


def _failed_cases(counts: ModelTally, rules: RankingRules) -> tuple[FailedCase, ...]:
    failed = []
    for case_id, case in counts.cases.items():
        failures = case.trials - case.passes
        if not failures:
            continue
        got = case.answers.most_common(1)[0][0] if case.answers else ""
        reason = case.reasons.most_common(1)[0][0] if rules.judged and case.reasons else None
        failed.append(FailedCase(
            id=case_id, expected=rules.expected.get(case_id), got=got, failures=failures,
            trials=case.trials, polarity=rules.polarity.get(case_id), reason=reason,
        ))
    failed.sort(key=lambda f: (-f.failures, f.id))
    return tuple(failed)
