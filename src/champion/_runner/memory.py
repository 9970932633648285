"""A sink that keeps a run in memory, for callers without a database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from champion._errors import InputError
from champion._records import JudgeCall, ModelRun, Trial, TrialKey
from champion._results import RunResult

__all__ = ["MemorySink"]


class MemorySink:
    """Holds runs, models, trials and judge calls in lists (tests, notebooks, one-off runs)."""

    def __init__(self) -> None:
        self.runs: dict[str, RunResult] = {}
        self.models: dict[str, dict[str, ModelRun]] = {}
        self.trials: dict[str, list[Trial]] = {}
        self.judged: dict[str, list[JudgeCall]] = {}

    def begin_run(self, result: RunResult) -> None:
        """Record a run as started."""
        self.runs[result.run_id] = result
        self.models[result.run_id] = {model.model: replace(model) for model in result.models}
        self.trials.setdefault(result.run_id, [])

    def add_model(self, run_id: str, model: ModelRun) -> None:
        """Record (or replace) a model's facts."""
        self.models.setdefault(run_id, {})[model.model] = replace(model)

    def add_trials(self, run_id: str, trials: Sequence[Trial]) -> None:
        """Keep trials; a key stored already is ignored."""
        stored = self.trials.setdefault(run_id, [])
        keys = {t.key for t in stored}
        stored.extend(t for t in trials if t.key not in keys)

    def finish_run(self, result: RunResult) -> None:
        """Keep the final result."""
        self.runs[result.run_id] = result

    def load_run(self, run_id: str) -> RunResult:
        """The run as last recorded."""
        if run_id not in self.runs:
            raise InputError(f"no run {run_id!r} in memory")
        result = self.runs[run_id]
        result.models = list(self.models.get(run_id, {}).values())
        result.trials = list(self.trials.get(run_id, []))
        return result

    def iter_trials(self, run_id: str) -> Iterator[Trial]:
        """The run's trials in the order stored."""
        return iter(list(self.trials.get(run_id, [])))

    def count_trials(self, run_id: str) -> int:
        """How many trials are stored."""
        return len(self.trials.get(run_id, []))

    def trial_keys(self, run_id: str) -> set[TrialKey]:
        """(model, case, batch) of every stored trial."""
        return {t.key for t in self.trials.get(run_id, [])}

    def add_judge_calls(self, run_id: str, calls: Sequence[JudgeCall]) -> None:
        """Keep judge calls."""
        self.judged.setdefault(run_id, []).extend(replace(call) for call in calls)

    def judge_calls(self, run_id: str) -> list[JudgeCall]:
        """A run's judge calls in the order kept."""
        return list(self.judged.get(run_id, []))

    def cached_verdicts(self, judge_keys: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """cache key → (verdict, reason) of every real call with a verdict by these judges."""
        keys = set(judge_keys)
        found: dict[str, tuple[str, str | None]] = {}
        for calls in self.judged.values():
            for call in calls:
                if call.judge_key in keys and call.verdict is not None and not call.cached:
                    found.setdefault(call.cache_key, (call.verdict, call.reason))
        return found

    def update_trial_verdicts(self, run_id: str, trials: Sequence[Trial]) -> None:
        """Replace the stored trials of these keys with their new verdicts."""
        judged = {trial.key: trial for trial in trials}
        self.trials[run_id] = [replace(judged[t.key], position=t.position) if t.key in judged
                               else t for t in self.trials.get(run_id, [])]
