"""The one loop every run goes through: waves, lanes, stored trials, stops.

The strategy says which models run next (a wave); the loop groups them into
lanes (lanes side by side, a lane's models one after another), asks the
strategy which trials each model runs, leaves out what is stored already,
hands the rest to the executor, and takes back what it yields: the model's
facts once loaded, then each trial as it finishes, which goes through the
recorder to the listener, the strategy and the store (a judged trial's judge
calls come just before it, and go to the store apart). Whatever executor runs
the trials, this bookkeeping is the same.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import aclosing
from dataclasses import replace

from champion._errors import ChampionError
from champion._records import JudgeCall, ModelRun, Trial
from champion._runner.config import RunListener
from champion._runner.contention import ContentionTracker
from champion._runner.executors.base import Executor, ModelReady, TrialLost, Work
from champion._runner.lanes import lanes_of
from champion._runner.recorder import Recorder
from champion._runner.strategies import Strategy
from champion._suite.model import Case

__all__ = ["RunLoop", "StrategyStalled"]


class StrategyStalled(ChampionError):
    """The strategy asked for a wave in which nothing could run."""


class RunLoop:
    """Runs a strategy's waves on an executor, recording everything.

    Args:
        strategy: decides what runs.
        executor: runs it.
        recorder: where trials and model facts go.
        listener: progress callbacks.
        lanes: model id → its lane.
        cases: case id → case.
        runs: model id → what is known of it (updated as models load).
    """

    def __init__(self, strategy: Strategy, executor: Executor, recorder: Recorder,
                 listener: RunListener, lanes: Mapping[str, str], cases: Mapping[str, Case],
                 runs: dict[str, ModelRun]) -> None:
        self.strategy = strategy
        self.executor = executor
        self.recorder = recorder
        self.listener = listener
        self.lanes = lanes
        self.cases = cases
        self.runs = runs
        self.contention = ContentionTracker()
        #: Trials lost to infrastructure, per model (run again; never stored).
        self.lost: Counter[str] = Counter()
        self._seen_loaded: set[str] = set()

    async def run(self) -> None:
        """Until the strategy has nothing left to run."""
        seen: tuple[int, int] | None = None
        ledger = self.recorder.ledger
        while wave := self.strategy.next_wave():
            progress = (sum(ledger.count(m) for m in self.runs), len(self.strategy.stopped))
            if progress == seen:
                raise StrategyStalled(
                    f"strategy {self.strategy.name!r} asked again for {', '.join(wave)} with"
                    " nothing new to run; the run stops here (resume continues it)")
            seen = progress
            async with self.executor.wave(wave):
                await asyncio.gather(*(self._lane(lane)
                                       for lane in lanes_of(wave, self.lanes)))

    async def _lane(self, models: list[str]) -> None:
        self.contention.lane_started()
        try:
            for model in models:
                await self._model(model)
        finally:
            self.contention.lane_finished()

    def _pending(self, model: str) -> Iterator[tuple[Case, int]]:
        ledger = self.recorder.ledger
        for case, batch in self.strategy.trials_for(model):
            if not 0 <= batch < ledger.batches:
                raise StrategyStalled(
                    f"strategy {self.strategy.name!r} planned batch {batch + 1} of {model}"
                    f" beyond the {ledger.batches} it declared (max_batches)")
            if not ledger.has(model, case, batch):
                yield self.cases[case], batch

    async def _model(self, model: str) -> None:
        strategy = self.strategy
        if not strategy.keep_running(model):
            return
        total = sum(1 for _ in self._pending(model))
        if not total:
            return
        self.listener.model_started(model, total)
        work = Work(model, self.lanes[model], self._pending(model),
                    lambda: strategy.keep_running(model))
        lost: TrialLost | None = None
        try:
            async with aclosing(self.executor.execute(work)) as events:
                async for event in events:
                    if isinstance(event, Trial):
                        self.contention.trial(model, event.latency_ms)
                        self.recorder.record(event)
                        await self.recorder.maybe_flush()
                    elif isinstance(event, TrialLost):
                        self.lost[model] += 1
                        lost = event
                    elif isinstance(event, JudgeCall):
                        self.recorder.judged(event)
                    else:
                        await self._ready(model, event)
        finally:
            await self.recorder.flush()
        run = self.runs[model]
        if lost is not None:
            note = (f"{self.lost[model]} trial(s) lost to infrastructure ({TrialLost.kind};"
                    f" last: {lost.reason}); never counted, each ran again")
            run.notes = [n for n in run.notes if " lost to infrastructure " not in n] + [note]
            self.listener.model_notes(model, [note])
        run.stopped = strategy.stopped.get(model)
        await self.recorder.model(run)
        self.listener.model_finished(model, run.stopped)

    async def _ready(self, model: str, ready: ModelReady) -> None:
        mine = self.runs[model]
        theirs = ready.run
        merged = replace(
            theirs, lane=mine.lane, stopped=mine.stopped, key=mine.key or theirs.key,
            # The first cold start recorded stands (a resumed run loads again).
            cold_start_ms=mine.cold_start_ms if mine.cold_start_ms is not None
            else theirs.cold_start_ms,
            memory_mb=mine.memory_mb if mine.memory_mb is not None else theirs.memory_mb,
            notes=list(dict.fromkeys([*mine.notes, *theirs.notes])))
        self.runs[model] = merged
        if ready.excluded is not None:
            self.strategy.stop(model, f"excluded: {ready.excluded}")
            await self.recorder.model(merged)
            self.listener.model_excluded(model, ready.excluded)
            return
        new_notes = [n for n in theirs.notes if n not in mine.notes]
        if model not in self._seen_loaded:
            self._seen_loaded.add(model)
            self.listener.model_loaded(model, merged.cold_start_ms if ready.first_load else None,
                                       merged.error)
        else:
            self.listener.model_loaded(model, None, merged.error)
        if new_notes:
            self.listener.model_notes(model, new_notes)
        await self.recorder.model(merged)

    def contention_warnings(self) -> dict[str, str]:
        """Models whose latency spread changed while other lanes ran (see ContentionTracker)."""
        return self.contention.warnings()
