"""Run configuration and the hooks the runner reports to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from champion.records import ModelRun, Trial
from champion.results import RunResult

__all__ = ["RunConfig", "RunListener", "TrialSink"]


@dataclass(frozen=True, slots=True)
class RunConfig:
    """How to run a suite.

    Attributes:
        repeats: trials per case; None takes the suite's ``repeats``.
        strategy: ``full`` runs every trial; ``race`` stops a model as soon as
            it can no longer qualify.
        concurrency: calls in flight per HTTP endpoint (local models always 1).
        seed: shuffles case order per batch; None picks one (it is recorded).
        warmup: one untimed call per model before its measured trials.
        max_consecutive_errors: after this many failed calls in a row the rest
            of a model's trials are recorded as errors without calling it.
        flush_interval_s: trials are written at the end of a batch once this
            long has passed since the last write, and always when a model
            ends or the run is interrupted.
    """

    repeats: int | None = None
    strategy: Literal["full", "race"] = "full"
    concurrency: int = 1
    seed: int | None = None
    warmup: bool = True
    max_consecutive_errors: int = 5
    retries: int = 2
    retry_backoff_s: float = 0.5
    flush_interval_s: float = 1.0


class TrialSink(Protocol):
    """Where measured trials go as soon as a batch ends (the store)."""

    def begin_run(self, result: RunResult) -> None:
        """Record the run before its first trial."""

    def add_model(self, run_id: str, model: ModelRun) -> None:
        """Record (or update) what is known of a model in this run."""

    def add_trials(self, run_id: str, trials: Sequence[Trial]) -> None:
        """Persist a batch of trials."""

    def finish_run(self, result: RunResult) -> None:
        """Persist the ranking, the final status and the finish time."""


class RunListener(Protocol):
    """Progress callbacks (terminal progress bars, logs)."""

    def model_started(self, model: str, total: int) -> None:
        """A model is about to load; ``total`` measured trials are planned."""

    def model_loaded(self, model: str, cold_start_ms: float | None, error: str | None) -> None:
        """Load and warm-up finished."""

    def trial_done(self, model: str, trial: Trial) -> None:
        """A measured trial finished."""

    def model_finished(self, model: str) -> None:
        """All of a model's trials are done."""
