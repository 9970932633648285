"""The local executor: models in this process, and the endpoints it calls.

In-process models run one at a time with one call in flight; an HTTP model
may have up to ``concurrency`` calls in flight (a steady pipeline, never
lock-step groups). At most one model of a lane is loaded at a time: when a
lane moves on to its next model, the previous one is released (an embedded
model's weights freed, an Ollama model unloaded); a model needed again in the
next wave of its lane stays loaded.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import ClassVar

from champion._records import JudgeCall, ModelRun, Trial
from champion._runner.executors.base import (
    Executor,
    ExecutorEvent,
    ExecutorOptions,
    RunSetup,
    Work,
)
from champion._runner.lanes import Placement
from champion._runner.requests import build_requests
from champion._runner.slot import ModelSlot
from champion._scoring import Scorer
from champion._suite.model import Case

__all__ = ["LocalExecutor"]


class LocalExecutor(Executor):
    """Runs models in this process (in-process models and HTTP clients)."""

    name: ClassVar[str] = "local"

    def __init__(self, setup: RunSetup, options: ExecutorOptions | None = None) -> None:
        super().__init__(setup, options)
        suite, config = setup.suite, setup.config
        scorer = Scorer(suite, setup.grader)
        requests = build_requests(suite)
        # The warm-up has exactly a trial's shape (constraint and all): what the
        # server refuses, it refuses before any measured call. A text case when
        # there is one: a model that cannot see images still answers those.
        first = next((case for case in suite.cases if not case.images), suite.cases[0])
        warmup = requests[first.id]
        self.slots = {c.id: ModelSlot(c, config, scorer, requests, warmup)
                      for c in setup.candidates}
        self.concurrency = max(1, config.concurrency)
        self._resident: dict[str, ModelSlot] = {}

    def models(self) -> Mapping[str, ModelRun]:
        """What each slot knows before loading."""
        return {model: slot.run for model, slot in self.slots.items()}

    def placement(self, model: str) -> Placement:
        """This machine for in-process models; the endpoint's host otherwise."""
        return self.slots[model].placement

    def preflight(self) -> Mapping[str, str]:
        """Missing packages and unset key variables, found when the slots were made."""
        return {model: slot.excluded for model, slot in self.slots.items()
                if slot.excluded is not None}

    @asynccontextmanager
    async def wave(self, models: Sequence[str]) -> AsyncIterator[None]:
        """Objects alive now are not garbage: keep the collector from rescanning
        them while models are measured (a full collection would stall calls)."""
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()

    async def execute(self, work: Work) -> AsyncGenerator[ExecutorEvent, None]:
        """Load (releasing the lane's previous model), warm up, run the trials."""
        slot = self.slots[work.model]
        resident = self._resident.get(work.lane)
        if resident is not None and resident is not slot:
            await resident.release()
        self._resident[work.lane] = slot
        ready = await slot.open()
        yield ready
        if ready.excluded is not None:
            return
        if slot.local or self.concurrency == 1:
            for case, batch in work.trials:  # no task per trial on the common path
                if not work.keep_running():
                    break
                trial = await slot.trial(case, batch)
                if slot.judge_calls:
                    for judged in slot.take_judge_calls():
                        yield judged
                yield trial
            return
        async for event in self._pipeline(slot, work.trials, work):
            yield event

    async def _pipeline(self, slot: ModelSlot, planned: Iterator[tuple[Case, int]],
                        work: Work) -> AsyncIterator[Trial | JudgeCall]:
        """Up to ``concurrency`` calls in flight; a new one starts as soon as one ends."""
        finished: asyncio.Queue[Trial | JudgeCall | None] = asyncio.Queue()

        async def worker() -> None:
            try:
                for case, batch in planned:
                    if not work.keep_running():
                        break
                    trial = await slot.trial(case, batch)
                    for judged in slot.take_judge_calls():
                        await finished.put(judged)
                    await finished.put(trial)
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
                yield trial
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def aclose(self) -> None:
        """Release every model and close connections."""
        for slot in self.slots.values():
            await slot.close()
