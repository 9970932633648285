"""Qualification and ordering: champion, runner-up and why the others failed."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from champion.ranking.stats import clopper_pearson_lower, percentile
from champion.records import ModelRun, Trial

__all__ = ["FailedCase", "LatencyStats", "ModelRanking", "Ranking", "RankingRules", "rank"]

Status = Literal["champion", "runner-up", "qualified", "disqualified", "error"]


@dataclass(frozen=True, slots=True)
class RankingRules:
    """What the suite says about qualification."""

    min_pass_rate: float = 1.0
    output_kind: str = "text"
    #: case id → gold polarity ("PASS"/"FAIL") for grading suites, else empty.
    polarity: dict[str, str] = field(default_factory=dict)
    #: case id → expected answer, for failed-case reports.
    expected: dict[str, Any] = field(default_factory=dict)


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


@dataclass(frozen=True, slots=True)
class ModelRanking:
    """One model's line in the ranking (DESIGN §5)."""

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
    error_reasons: dict[str, int] = field(default_factory=dict)
    identity: dict[str, Any] = field(default_factory=dict)
    #: Median time to the first answer token (differs from TTFT for reasoning models).
    ttfot_ms_median: float | None = None
    #: The price used for ``cost_usd``: USD per million tokens and where it came from.
    price: dict[str, Any] | None = None

    @property
    def qualified(self) -> bool:
        """Champion, runner-up or qualified."""
        return self.status in ("champion", "runner-up", "qualified")

    @property
    def speed_score(self) -> float | None:
        """The cookbook's score: 1000 / mean latency in seconds.

        Taken from the mean rounded to the µs, as stored, so a report rebuilt
        from the database shows the same score.
        """
        mean = round(self.latency_ms.mean, 3) if self.latency_ms else 0.0
        return 1e6 / mean if mean > 0 else None

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


def rank(models: Sequence[ModelRun], trials: Iterable[Trial], rules: RankingRules) -> Ranking:
    """Qualify every model and order them: qualified by median latency, then the rest."""
    by_model: dict[str, list[Trial]] = defaultdict(list)
    for trial in trials:
        by_model[trial.model].append(trial)
    lines = [_summarise(run, by_model.get(run.model, []), rules) for run in models]

    def order(line: ModelRanking) -> tuple[int, float, float]:
        median = line.latency_ms.median if line.latency_ms else float("inf")
        group = 0 if line.status == "qualified" else 1 if line.status == "disqualified" else 2
        return (group, median if group == 0 else -line.pass_rate, median)

    ordered = sorted(lines, key=order)
    final = []
    for index, line in enumerate(ordered):
        status: Status = line.status
        if status == "qualified" and index == 0:
            status = "champion"
        elif status == "qualified" and index == 1:
            status = "runner-up"
        final.append(_replace(line, rank=index + 1, status=status))
    return Ranking(tuple(final))


def _replace(line: ModelRanking, **changes: Any) -> ModelRanking:
    from dataclasses import replace

    return replace(line, **changes)


def _summarise(run: ModelRun, trials: list[Trial], rules: RankingRules) -> ModelRanking:
    total = len(trials)
    passes = sum(1 for t in trials if t.correct)
    errors = [t for t in trials if t.is_error]
    answered = [t for t in trials if not t.is_error]
    pass_rate = passes / total if total else 0.0
    latency = LatencyStats.of(t.latency_ms for t in answered if t.latency_ms is not None)
    ttfts = sorted(t.ttft_ms for t in answered if t.ttft_ms is not None)
    ttfots = sorted(t.ttfot_ms for t in answered if t.ttfot_ms is not None)
    never_ran = run.error is not None or total == 0 or not answered
    if never_ran:
        status: Status = "error"
    elif pass_rate >= rules.min_pass_rate:
        status = "qualified"
    else:
        status = "disqualified"
    error_reasons = Counter((t.error or "").split(":", 1)[0] for t in errors)
    error = run.error
    if error is None and never_ran:
        first = errors[0].error if errors else "no trials ran"
        error = f"every call failed: {first}" if errors else first
    lenient = sum(1 for t in answered if not t.correct
                  and rules.polarity.get(t.case_id) == "FAIL" and t.got.upper() == "PASS")
    strict = sum(1 for t in answered if not t.correct
                 and rules.polarity.get(t.case_id) == "PASS" and t.got.upper() == "FAIL")
    return ModelRanking(
        model=run.model, provider=run.provider, rank=0, status=status,
        trials=total, passes=passes, errors=len(errors), pass_rate=pass_rate,
        pass_rate_lower95=clopper_pearson_lower(passes, total),
        latency_ms=latency,
        ttft_ms_median=percentile(ttfts, 50) if ttfts else None,
        output_tokens_per_s=_tokens_per_s(answered),
        cold_start_ms=run.cold_start_ms,
        cost_usd=_cost(run, trials),
        failed_cases=_failed_cases(trials, rules),
        json_valid_rate=(sum(1 for t in answered if t.parsed_ok) / total
                         if rules.output_kind == "json" and total else None),
        field_accuracy=_field_accuracy(answered, total),
        too_lenient=lenient, too_strict=strict, error=error,
        error_reasons=dict(error_reasons), identity=dict(run.identity),
        ttfot_ms_median=percentile(ttfots, 50) if ttfots else None,
        price=_price(run),
    )


def _price(run: ModelRun) -> dict[str, Any] | None:
    if run.price_in_per_mtok is None or run.price_out_per_mtok is None:
        return None
    return {"input_per_mtok": run.price_in_per_mtok, "output_per_mtok": run.price_out_per_mtok,
            "source": run.price_source}


def _tokens_per_s(trials: list[Trial]) -> float | None:
    """Server-measured decode speed when every trial has it, else a client figure.

    The client figure is output tokens after the first over the time after the
    first token, summed over trials (token-weighted, TTFT excluded).
    """
    server = [(t.server_tokens_per_s, t.completion_tokens or 0) for t in trials]
    if trials and all(speed is not None for speed, _n in server):
        weight = sum(n for _speed, n in server)
        if weight:
            return sum((speed or 0.0) * n for speed, n in server) / weight
    tokens = 0
    seconds = 0.0
    for t in trials:
        if (t.completion_tokens or 0) > 1 and t.latency_ms and t.ttft_ms is not None:
            tokens += (t.completion_tokens or 0) - 1
            seconds += (t.latency_ms - t.ttft_ms) / 1000
    return tokens / seconds if tokens and seconds > 0 else None


def _cost(run: ModelRun, trials: list[Trial]) -> float | None:
    if run.price_in_per_mtok is None or run.price_out_per_mtok is None:
        return None
    total = 0.0
    for trial in trials:
        if trial.is_error:
            continue
        if trial.prompt_tokens is None or trial.completion_tokens is None:
            return None
        total += trial.prompt_tokens * run.price_in_per_mtok
        total += (trial.completion_tokens + (trial.reasoning_tokens or 0)) \
            * run.price_out_per_mtok
    return total / 1e6


def _failed_cases(trials: list[Trial], rules: RankingRules) -> tuple[FailedCase, ...]:
    per_case: dict[str, list[Trial]] = defaultdict(list)
    for trial in trials:
        per_case[trial.case_id].append(trial)
    failed = []
    for case_id, case_trials in per_case.items():
        wrong = [t for t in case_trials if not t.correct]
        if not wrong:
            continue
        answers = Counter(t.got if not t.is_error else f"error: {t.error}" for t in wrong)
        failed.append(FailedCase(
            id=case_id, expected=rules.expected.get(case_id), got=answers.most_common(1)[0][0],
            failures=len(wrong), trials=len(case_trials), polarity=rules.polarity.get(case_id),
        ))
    failed.sort(key=lambda f: (-f.failures, f.id))
    return tuple(failed)


def _field_accuracy(trials: list[Trial], total: int) -> dict[str, float] | None:
    counts: Counter[str] = Counter()
    seen = False
    for trial in trials:
        if trial.fields is None:
            continue
        seen = True
        for name, ok in trial.fields.items():
            counts[name] += int(ok)
            counts.setdefault(name, 0)
    if not seen or not total:
        return None
    return {name: counts[name] / total for name in sorted(counts)}
