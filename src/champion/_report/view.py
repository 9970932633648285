"""What the HTML report and the dashboard show of one run, computed in one pass over its trials.

A :class:`RunView` keeps aggregates only (per model and per case, with each
distinct output once), so it is small enough to cache for a run of any size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from champion._ranking import ModelRanking, percentile
from champion._records import ModelRun, Trial
from champion._report.cases import CaseLine
from champion._report.json_report import run_to_json
from champion._results import RunResult

__all__ = ["Cell", "ModelView", "Output", "RunSummary", "RunView", "build_view"]

#: Distinct outputs kept per model and case; the rest are counted.
MAX_OUTPUTS = 20
#: Characters kept of each output.
MAX_OUTPUT_CHARS = 4000
#: Latencies kept per model for the strip plot (quantiles of the full set).
MAX_POINTS = 240


@dataclass(slots=True)
class Output:
    """One distinct output of a model on a case, with how often it came."""

    text: str
    got: str
    correct: bool
    error: str | None
    count: int = 0
    latencies: list[float] = field(default_factory=list)
    #: A judge gave no verdict on it.
    unjudged: bool = False
    #: The judge's reason (judged runs only).
    judge_reason: str | None = None

    @property
    def median_ms(self) -> float | None:
        """Median latency of the trials that gave this output."""
        return percentile(sorted(self.latencies), 50) if self.latencies else None


@dataclass(slots=True)
class Cell:
    """One model on one case: the shared case line plus every distinct output."""

    line: CaseLine
    outputs: list[Output]
    errors: int
    more_outputs: int = 0

    @property
    def state(self) -> str:
        """``pass`` (every repeat right), ``flaky`` (some), ``error``, ``fail``, or
        ``unjudged`` (no repeat wrong, some a judge gave no verdict on)."""
        if self.line.ok:
            return "pass"
        if self.line.unjudged and self.line.passes == self.line.trials:
            return "unjudged"
        if self.line.passes:
            return "flaky"
        return "error" if self.errors == self.line.trials else "fail"


@dataclass(slots=True)
class ModelView:
    """One model's ranking line and what the charts need of it."""

    line: ModelRanking
    run: ModelRun | None
    #: Sorted latencies of answered trials, thinned to at most MAX_POINTS quantiles.
    points: list[float]
    quartiles: tuple[float, float] | None
    cost_per_case: float | None
    #: On the Pareto frontier of the qualified models (never a model that did not qualify).
    pareto: bool = False

    @property
    def stopped(self) -> str | None:
        """Why a strategy stopped running the model early, if it did."""
        stopped = getattr(self.line, "stopped", None)
        if stopped is None and self.run is not None:
            stopped = getattr(self.run, "stopped", None)
        return str(stopped) if stopped else None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A run in one line: what overviews and history charts need."""

    run_id: str
    task: str
    started_at: datetime
    status: str
    champion: str | None
    runner_up: str | None
    champion_median_ms: float | None
    champion_pass_rate: float | None
    calls: int
    models: int
    suite_fingerprint: str
    #: ``benchmark``, or ``check`` (a re-run of the registered pair by ``champion check``).
    purpose: str = "benchmark"


@dataclass(slots=True)
class RunView:
    """Everything shown of one run."""

    result: RunResult
    models: list[ModelView]
    cells: dict[tuple[str, str], Cell]
    calls: int
    data: dict[str, Any]
    summary: RunSummary

    @property
    def case_order(self) -> list[str]:
        """Case ids in suite order."""
        return self.result.case_order

    def model(self, name: str) -> ModelView | None:
        """The model of that id, if it ran."""
        return next((m for m in self.models if m.line.model == name), None)

    def case(self, case_id: str) -> dict[str, Any]:
        """The suite's facts about a case (expected, type, difficulty)."""
        info = self.result.case_info.get(case_id)
        return info if isinstance(info, dict) else {}


class _CellBuilder:
    __slots__ = ("errors", "judged", "latencies", "outputs", "passes", "trials", "unjudged")

    def __init__(self, judged: bool) -> None:
        self.judged = judged
        self.passes = 0
        self.trials = 0
        self.errors = 0
        self.unjudged = 0
        self.latencies: list[float] = []
        self.outputs: dict[tuple[str, bool, str | None, bool], Output] = {}

    def add(self, trial: Trial) -> None:
        if trial.unjudged:
            self.unjudged += 1
        else:
            self.trials += 1
        self.passes += int(trial.correct)
        self.errors += int(trial.is_error)
        if trial.latency_ms is not None and not trial.is_error:
            self.latencies.append(trial.latency_ms)
        key = (trial.output[:MAX_OUTPUT_CHARS], trial.correct, trial.error, trial.unjudged)
        output = self.outputs.get(key)
        if output is None:
            reason = trial.reason if self.judged and trial.error is None else None
            output = Output(key[0], trial.got[:MAX_OUTPUT_CHARS], trial.correct, trial.error,
                            unjudged=trial.unjudged, judge_reason=reason)
            self.outputs[key] = output
        output.count += 1
        if trial.latency_ms is not None:
            output.latencies.append(trial.latency_ms)

    def build(self, case_id: str) -> Cell:
        times = sorted(self.latencies)
        # Wrong answers first, then by frequency: what a reader looks for.
        outputs = sorted(self.outputs.values(), key=lambda o: (o.correct, -o.count))
        wrong = next((o for o in outputs if not o.correct and not o.unjudged), None)
        got = reason = None
        if wrong is not None:
            got = f"error: {wrong.error}" if wrong.error is not None else wrong.got
            reason = wrong.judge_reason
        line = CaseLine(case_id, self.passes, self.trials,
                        percentile(times, 50) if times else None, got, reason, self.unjudged)
        return Cell(line, outputs[:MAX_OUTPUTS], self.errors,
                    max(0, len(outputs) - MAX_OUTPUTS))


def _thin(values: list[float]) -> list[float]:
    if len(values) <= MAX_POINTS:
        return values
    step = (len(values) - 1) / (MAX_POINTS - 1)
    return [values[round(i * step)] for i in range(MAX_POINTS)]


def _cost_per_case(line: ModelRanking, answered: int) -> float | None:
    stored = getattr(line, "cost_per_case_usd", None)
    if isinstance(stored, (int, float)):
        return float(stored)
    return line.cost_usd / answered if line.cost_usd is not None and answered > 0 else None


def build_view(result: RunResult) -> RunView:
    """Aggregate a run: iterates its trials exactly once."""
    judged = bool((result.config or {}).get("judge"))
    builders: dict[tuple[str, str], _CellBuilder] = defaultdict(lambda: _CellBuilder(judged))
    latencies: dict[str, list[float]] = defaultdict(list)
    calls = 0
    for trial in result.trials:
        calls += 1
        builders[(trial.model, trial.case_id)].add(trial)
        if trial.latency_ms is not None and not trial.is_error:
            latencies[trial.model].append(trial.latency_ms)
    cells = {key: builder.build(key[1]) for key, builder in builders.items()}
    runs = {run.model: run for run in result.models}
    models = []
    for line in result.ranking.models:
        values = sorted(latencies.get(line.model, []))
        answered = line.trials - line.errors
        quartiles = ((percentile(values, 25), percentile(values, 75)) if values else None)
        models.append(ModelView(
            line=line, run=runs.get(line.model), points=_thin(values), quartiles=quartiles,
            cost_per_case=_cost_per_case(line, answered),
        ))
    frontier = set(result.ranking.pareto_frontier)  # qualified models only
    for m in models:
        m.pareto = m.line.model in frontier
    data = run_to_json(cast(RunResult, _Counted(result, calls)))
    champion = next((m.line for m in models if m.line.status == "champion"), None)
    summary = RunSummary(
        run_id=result.run_id, task=result.task, started_at=result.started_at,
        status=result.status, champion=result.champion, runner_up=result.runner_up,
        champion_median_ms=(champion.latency_ms.median
                            if champion is not None and champion.latency_ms else None),
        champion_pass_rate=champion.pass_rate if champion is not None else None,
        calls=calls, models=len(models),
        suite_fingerprint=str(getattr(result, "suite_fingerprint", "") or ""),
        purpose=str(result.config.get("purpose") or "benchmark"),
    )
    # The view keeps no trials: it is cached, and a run may hold many.
    return RunView(result=replace(result, trials=[]), models=models, cells=cells, calls=calls,
                   data=data, summary=summary)


class _Counted:
    """A RunResult whose ``calls`` is already known (its trials were iterated once)."""

    def __init__(self, result: RunResult, calls: int) -> None:
        self._result = result
        self.calls = calls

    def __getattr__(self, name: str) -> Any:
        return getattr(self._result, name)

