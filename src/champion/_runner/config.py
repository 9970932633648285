"""Run configuration and the hooks the runner reports to."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from champion._records import JudgeCall, ModelRun, Trial, TrialKey
from champion._results import RunResult

__all__ = ["LanePolicy", "NullListener", "RunConfig", "RunListener", "TrialSink"]

#: How models are grouped into lanes (models of one lane run one after another):
#: ``host``: by the machine they run on; ``endpoint``: by server; ``serial``: one lane.
LanePolicy = Literal["host", "endpoint", "serial"]
LANE_POLICIES: tuple[LanePolicy, ...] = ("host", "endpoint", "serial")


@dataclass(frozen=True, slots=True)
class RunConfig:
    """How to run a suite.

    Attributes:
        repeats: K, trials per case; None takes the suite's ``repeats``.
        strategy: ``race`` (the default) screens every model once, then
            certifies the survivors in order of speed and stops as soon as the
            champion and the runner-up are settled; ``full`` runs every trial;
            ``failfast`` stops a model once it can no longer qualify.
        strategy_options: the strategy's own options by name (race: ``margin``,
            ``alpha``, ``confirm``); values may be text, as on a command line.
        executor: where and how models run: ``local`` (this process and the
            endpoints it calls) or another registered executor (``ray``).
        executor_options: the executor's own options by name.
        lanes: ``host`` (the default): models on the same machine run one after
            another, models on different machines side by side; ``endpoint``:
            one lane per server (for servers known not to share hardware);
            ``serial``: everything one after another.
        concurrency: calls in flight per HTTP model (in-process models always 1).
        seed: shuffles case order per batch; None picks one (it is recorded).
        warmup: one untimed call per model before its measured trials.
        retries: extra attempts on transient errors, within the call's deadline.
        retry_backoff_s: the first retry's wait (doubled each time), unless the
            server said how long to wait (``Retry-After``).
        max_consecutive_errors: after this many failed calls in a row the rest
            of a model's trials are recorded as errors without calling it.
        flush_interval_s: trials are written at most this often while a model
            runs, and always when it ends or the run stops.
        purpose: why the run is made: ``benchmark``, or ``check`` (a re-run of
            a registered pair, which ``promote`` never picks by default).
    """

    repeats: int | None = None
    strategy: str = "race"
    strategy_options: Mapping[str, Any] = field(default_factory=dict)
    executor: str = "local"
    executor_options: Mapping[str, Any] = field(default_factory=dict)
    lanes: LanePolicy = "host"
    concurrency: int = 1
    seed: int | None = None
    warmup: bool = True
    retries: int = 2
    retry_backoff_s: float = 0.5
    max_consecutive_errors: int = 5
    flush_interval_s: float = 1.0
    purpose: str = "benchmark"


class TrialSink(Protocol):
    """Where measured trials go while a run goes on (the store)."""

    def begin_run(self, result: RunResult) -> None:
        """Record the run and its models (``result.models``) before its first trial,
        all or nothing."""

    def add_model(self, run_id: str, model: ModelRun) -> None:
        """Record (or update) what is known of a model in this run."""

    def add_trials(self, run_id: str, trials: Sequence[Trial]) -> None:
        """Persist trials; a trial whose key is stored already is not stored again."""

    def finish_run(self, result: RunResult) -> None:
        """Persist the ranking, the final status and the finish time."""

    def load_run(self, run_id: str) -> RunResult:
        """The stored run (for resume)."""

    def iter_trials(self, run_id: str) -> Iterator[Trial]:
        """The run's trials in the order they were stored, streamed."""

    def count_trials(self, run_id: str) -> int:
        """How many trials the run has stored."""

    def trial_keys(self, run_id: str) -> set[TrialKey]:
        """(model, case, batch) of every stored trial."""

    def add_judge_calls(self, run_id: str, calls: Sequence[JudgeCall]) -> None:
        """Persist the verdicts a judge gave (judged tasks)."""

    def judge_calls(self, run_id: str) -> list[JudgeCall]:
        """The run's judge calls in the order they were stored."""

    def cached_verdicts(self, judge_keys: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """cache key → (verdict, reason) of every real verdict of these judge models."""

    def update_trial_verdicts(self, run_id: str, trials: Sequence[Trial]) -> None:
        """Store the new verdicts of trials judged again (a resumed run)."""


class RunListener:
    """Progress callbacks (terminal progress bars, logs); every method does nothing here.

    Subclass and override what you want to show; new callbacks added later
    keep doing nothing for existing listeners.
    """

    def run_started(self, run_id: str) -> None:
        """The run has its id (new or resumed); no model has loaded yet."""

    def lanes(self, lanes: list[list[str]]) -> None:
        """The lanes of the run: lanes run side by side, a lane's models one after another."""

    def model_started(self, model: str, total: int) -> None:
        """A model is about to load; ``total`` measured trials are planned now."""

    def model_loaded(self, model: str, cold_start_ms: float | None, error: str | None) -> None:
        """Load and warm-up finished."""

    def model_excluded(self, model: str, reason: str) -> None:
        """The model failed preflight (a missing package or key, an unknown model,
        a constrained-output mode the server rejects) and runs no trial."""

    def model_notes(self, model: str, notes: list[str]) -> None:
        """Settings that could not be applied to the model (said once per model)."""

    def trial_done(self, model: str, trial: Trial) -> None:
        """A measured trial finished."""

    def model_finished(self, model: str, stopped: str | None) -> None:
        """The model's planned trials of this wave are done (or the strategy stopped it)."""

    def judged(self, call: JudgeCall) -> None:
        """A judge gave (or failed to give) a verdict, or one was read from the cache."""


#: A listener that shows nothing.
NullListener = RunListener
