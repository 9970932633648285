"""Where every finished trial goes: the listener, the strategy and, in batches, the store.

Trials are not kept in memory: the recorder hands them to the sink at most once
per flush interval (on one writer thread, so a write never stalls calls in
flight on other lanes, and one connection and one allocator arena serve every
write) and always when a model ends or the run stops. Which trials exist is
kept in a compact ledger, one byte per trial the strategy may plan; a trial
outside it is a strategy that planned more batches than it declared, and an
error.

The recorder numbers each model's trials in the order they finish
(``position``), across waves and resumes, whatever executor ran them. A judge's
calls are queued beside the trials and written with them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from champion._records import JudgeCall, ModelRun, Trial
from champion._runner.config import RunListener, TrialSink
from champion._runner.strategies import Outcome, Strategy

__all__ = ["Ledger", "Recorder"]

#: Trials queued at most before a write, however fast the model answers.
MAX_PENDING = 500


class Ledger:
    """Which (model, case, batch) trials are stored or recorded: one byte each."""

    def __init__(self, models: Sequence[str], cases: Sequence[str], batches: int) -> None:
        self._case_index = {case: i for i, case in enumerate(cases)}
        self._width = len(cases)
        self._batches = batches
        self._rows = {model: bytearray(len(cases) * batches) for model in models}

    def _slot(self, model: str, case: str, batch: int) -> int | None:
        index = self._case_index.get(case)
        if index is None or model not in self._rows or not 0 <= batch < self._batches:
            return None
        return batch * self._width + index

    @property
    def batches(self) -> int:
        """Batches tracked per model."""
        return self._batches

    def add(self, model: str, case: str, batch: int) -> None:
        """Mark a trial as recorded.

        Raises:
            ValueError: the trial is outside the plan (an unknown model or case,
                or a batch beyond what the strategy declared).
        """
        slot = self._slot(model, case, batch)
        if slot is None:
            raise ValueError(f"trial ({model}, {case}, batch {batch}) is outside the plan of"
                             f" {self._batches} batches")
        self._rows[model][slot] = 1

    def has(self, model: str, case: str, batch: int) -> bool:
        """Whether the trial is recorded."""
        slot = self._slot(model, case, batch)
        return slot is not None and self._rows[model][slot] == 1

    def count(self, model: str) -> int:
        """Trials recorded for ``model``."""
        row = self._rows.get(model)
        return 0 if row is None else row.count(1)


class Recorder:
    """Receives each trial as it finishes."""

    def __init__(self, run_id: str, sink: TrialSink, listener: RunListener,
                 strategy: Strategy, ledger: Ledger, flush_interval_s: float) -> None:
        self.run_id = run_id
        self.sink = sink
        self.listener = listener
        self.strategy = strategy
        self.ledger = ledger
        self.flush_interval_s = flush_interval_s
        self.pending: list[Trial] = []
        self.pending_judged: list[JudgeCall] = []
        self.positions: dict[str, int] = {}
        self._last_flush = time.monotonic()
        self._lock = asyncio.Lock()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="champion-store")

    async def write(self, function: Callable[..., Any], *args: Any) -> None:
        """Run a sink call on the writer thread."""
        await asyncio.get_running_loop().run_in_executor(self._writer, function, *args)

    async def model(self, run: ModelRun) -> None:
        """Record (or update) what is known of a model, off the event loop."""
        await self.write(self.sink.add_model, self.run_id, run)

    def replay(self, trial: Trial) -> None:
        """A trial stored by an earlier process of this run (resume)."""
        self.ledger.add(trial.model, trial.case_id, trial.batch)
        self.positions[trial.model] = max(self.positions.get(trial.model, 0),
                                          trial.position + 1)
        self.strategy.observe(_outcome(trial))

    def record(self, trial: Trial) -> None:
        """A trial that just finished: number it, show it, let the strategy see it, queue it."""
        self.ledger.add(trial.model, trial.case_id, trial.batch)
        trial.position = self.positions.get(trial.model, 0)
        self.positions[trial.model] = trial.position + 1
        self.pending.append(trial)
        self.listener.trial_done(trial.model, trial)
        self.strategy.observe(_outcome(trial))

    def judged(self, call: JudgeCall) -> None:
        """A judge call behind the next trial's verdict: show it, queue it."""
        self.pending_judged.append(call)
        self.listener.judged(call)

    async def maybe_flush(self) -> None:
        """Write queued trials when the flush interval has passed."""
        if self.pending and (len(self.pending) >= MAX_PENDING
                             or time.monotonic() - self._last_flush >= self.flush_interval_s):
            await self.flush()

    async def flush(self) -> None:
        """Write every queued trial now (off the event loop)."""
        async with self._lock:
            if not self.pending and not self.pending_judged:
                return
            batch, self.pending = self.pending, []
            judged, self.pending_judged = self.pending_judged, []
            self._last_flush = time.monotonic()
            if judged:
                await self.write(self.sink.add_judge_calls, self.run_id, judged)
            if batch:
                await self.write(self.sink.add_trials, self.run_id, batch)

    def flush_now(self) -> None:
        """Write queued trials synchronously (the run is stopping) and end the writer."""
        self._writer.shutdown(wait=True)
        batch, self.pending = self.pending, []
        judged, self.pending_judged = self.pending_judged, []
        if judged:
            self.sink.add_judge_calls(self.run_id, judged)
        if batch:
            self.sink.add_trials(self.run_id, batch)


def _outcome(trial: Trial) -> Outcome:
    return Outcome(trial.model, trial.case_id, trial.batch, trial.correct, trial.is_error,
                   trial.latency_ms, trial.unjudged)
