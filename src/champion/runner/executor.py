"""The executor decides *how* a wave runs: lanes, loading, warm-up, concurrency.

Models on different lanes (different servers) run at the same time; models on
one lane run one after another, so a latency is never time spent queueing
behind another model; in-process models share one lane and run one at a time,
model-major: load once, run every trial planned for it, and release it when
another model of its lane starts (a model needed again in the next wave stays
loaded).
Within a model, up to ``concurrency`` calls are in flight on an HTTP lane (a
steady pipeline, never lock-step groups), one on the in-process lane.

This is the seam for other executors (for example one that runs embedded
candidates on the workers of a cluster, each where its model file is, and
streams trials back): anything with ``run_wave`` and ``aclose`` that hands each
finished trial to the recorder can replace it; no strategy changes.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator, Sequence
from typing import Protocol

from champion.records import Trial
from champion.runner.config import RunListener
from champion.runner.recorder import Recorder
from champion.runner.slot import ModelSlot
from champion.runner.strategy import Strategy
from champion.suite.model import Case

__all__ = ["Executor", "LocalExecutor", "lanes_of"]


class Executor(Protocol):
    """Runs waves of models, handing every finished trial to the recorder."""

    async def run_wave(self, wave: Sequence[str], strategy: Strategy,
                       recorder: Recorder) -> None:
        """Run each model's planned trials; return when all are done or stopped."""

    async def aclose(self) -> None:
        """Release every model still loaded."""


def lanes_of(slots: Sequence[ModelSlot]) -> list[list[str]]:
    """Model ids grouped by lane, in the order given (lanes in order of first model)."""
    lanes: dict[str, list[str]] = {}
    for slot in slots:
        lanes.setdefault(slot.lane, []).append(slot.candidate.id)
    return list(lanes.values())


class LocalExecutor:
    """Runs models in this process (in-process models and HTTP clients)."""

    def __init__(self, slots: dict[str, ModelSlot], cases: dict[str, Case], concurrency: int,
                 listener: RunListener) -> None:
        self.slots = slots
        self.cases = cases
        self.concurrency = max(1, concurrency)
        self.listener = listener
        # lane → the model loaded on it: one at a time per lane, and a model
        # that runs again in the next wave is not loaded twice.
        self._resident: dict[str, ModelSlot] = {}

    async def run_wave(self, wave: Sequence[str], strategy: Strategy,
                       recorder: Recorder) -> None:
        """Lanes side by side; each lane's models one after another."""
        lanes = lanes_of([self.slots[model] for model in wave])
        # Objects alive now are not garbage: keep the collector from rescanning
        # them while models are measured (a full collection would stall calls).
        gc.collect()
        gc.freeze()
        try:
            await asyncio.gather(*(self._run_lane(lane, strategy, recorder) for lane in lanes))
        finally:
            gc.unfreeze()

    async def _run_lane(self, models: list[str], strategy: Strategy,
                        recorder: Recorder) -> None:
        for model in models:
            await self._run_model(self.slots[model], strategy, recorder)

    async def _run_model(self, slot: ModelSlot, strategy: Strategy,
                         recorder: Recorder) -> None:
        model = slot.candidate.id
        if not strategy.keep_running(model):
            return
        ledger = recorder.ledger

        def pending() -> Iterator[tuple[Case, int]]:
            return ((self.cases[case], batch) for case, batch in strategy.trials_for(model)
                    if not ledger.has(model, case, batch))

        total = sum(1 for _ in pending())
        if not total:
            return
        planned = pending()
        self.listener.model_started(model, total)
        resident = self._resident.get(slot.lane)
        if resident is not None and resident is not slot:
            await resident.release()
        self._resident[slot.lane] = slot
        already = slot.loaded
        notes = await slot.open()
        if not already:
            self.listener.model_loaded(model, slot.run.cold_start_ms, slot.run.error)
        if notes:
            self.listener.model_notes(model, notes)
        await recorder.write(recorder.sink.add_model, recorder.run_id, slot.run)
        try:
            if slot.local or self.concurrency == 1:
                for case, batch in planned:  # no task per trial on the common path
                    if not strategy.keep_running(model):
                        break
                    recorder.record(await slot.trial(case, batch))
                    await recorder.maybe_flush()
            else:
                await self._pipeline(slot, planned, strategy, recorder)
        finally:
            await recorder.flush()
        slot.run.stopped = strategy.stopped.get(model)
        await recorder.write(recorder.sink.add_model, recorder.run_id, slot.run)
        self.listener.model_finished(model, slot.run.stopped)

    async def _pipeline(self, slot: ModelSlot, planned: Iterator[tuple[Case, int]],
                        strategy: Strategy, recorder: Recorder) -> None:
        """Up to ``concurrency`` calls in flight; a new one starts as soon as one ends."""
        model = slot.candidate.id
        work = planned
        finished: asyncio.Queue[Trial | None] = asyncio.Queue()

        async def worker() -> None:
            try:
                for case, batch in work:
                    if not strategy.keep_running(model):
                        break
                    await finished.put(await slot.trial(case, batch))
            finally:
                await finished.put(None)

        workers = [asyncio.create_task(worker()) for _ in range(self.concurrency)]
        try:
            running = len(workers)
            while running:
                trial = await finished.get()
                if trial is None:
                    running -= 1
                    continue
                recorder.record(trial)
                await recorder.maybe_flush()
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def aclose(self) -> None:
        """Release every model still loaded."""
        for slot in self.slots.values():
            await slot.close()
