"""Run configuration and the hooks the runner reports to."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from champion.records import ModelRun, Trial, TrialKey
from champion.results import RunResult

__all__ = ["RunConfig", "RunListener", "TrialSink"]


@dataclass(frozen=True, slots=True)
class RunConfig:
    """How to run a suite.

    Attributes:
        repeats: K, trials per case; None takes the suite's ``repeats``.
        strategy: ``race`` (the default) screens every model once, then
            certifies the survivors in order of speed and stops as soon as the
            champion and the runner-up are settled; ``full`` runs every trial;
            ``failfast`` stops a model once it can no longer qualify.
        confirm: extra batches for the champion and the runner-up (race).
        concurrency: calls in flight per HTTP endpoint (in-process models always 1).
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
    confirm: int = 0
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
        """Record the run before its first trial."""

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


class RunListener(Protocol):
    """Progress callbacks (terminal progress bars, logs)."""

    def run_started(self, run_id: str) -> None:
        """The run has its id (new or resumed)."""

    def lanes(self, lanes: list[list[str]]) -> None:
        """The lanes of the run: lanes run side by side, a lane's models one after another."""

    def model_started(self, model: str, total: int) -> None:
        """A model is about to load; ``total`` measured trials are planned now."""

    def model_loaded(self, model: str, cold_start_ms: float | None, error: str | None) -> None:
        """Load and warm-up finished."""

    def model_notes(self, model: str, notes: list[str]) -> None:
        """Settings that could not be applied to the model (said once per model)."""

    def trial_done(self, model: str, trial: Trial) -> None:
        """A measured trial finished."""

    def model_finished(self, model: str, stopped: str | None) -> None:
        """The model's planned trials of this wave are done (or the strategy stopped it)."""


class NullListener:
    """A listener that shows nothing."""

    def run_started(self, run_id: str) -> None:
        """Nothing to show."""

    def lanes(self, lanes: list[list[str]]) -> None:
        """Nothing to show."""

    def model_started(self, model: str, total: int) -> None:
        """Nothing to show."""

    def model_loaded(self, model: str, cold_start_ms: float | None, error: str | None) -> None:
        """Nothing to show."""

    def model_notes(self, model: str, notes: list[str]) -> None:
        """Nothing to show."""

    def trial_done(self, model: str, trial: Trial) -> None:
        """Nothing to show."""

    def model_finished(self, model: str, stopped: str | None) -> None:
        """Nothing to show."""
