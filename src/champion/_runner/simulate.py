"""Driving a strategy through the real run loop with simulated trials.

:func:`drive` runs a strategy through :class:`~champion._runner.loop.RunLoop`,
the loop every run uses (waves, lanes, the ledger of what is stored, the
recorder, the stall guard), with a :class:`SimulatedExecutor` whose trials
come from a function instead of a model. A strategy that passes its tests
here behaves the same in a real run, and a strategy can be tried on
thousands of simulated worlds in seconds.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from champion._records import ModelRun, Trial
from champion._runner.config import RunConfig, RunListener
from champion._runner.executors.base import (
    Executor,
    ExecutorEvent,
    ModelReady,
    RunSetup,
    Work,
)
from champion._runner.lanes import Placement
from champion._runner.loop import RunLoop
from champion._runner.memory import MemorySink
from champion._runner.recorder import Ledger, Recorder
from champion._runner.strategies import Outcome, Strategy
from champion._suite.model import Case, PromptSpec, Suite
from champion._sync import run_sync

__all__ = ["OutcomeFn", "SimulatedExecutor", "drive"]

#: (model, case, batch) → what that trial gives.
OutcomeFn = Callable[[str, str, int], Outcome]


class _BudgetSpent(Exception):
    """The simulated run is cut here, as an interrupted run would be."""


class SimulatedExecutor(Executor):
    """Yields trials from an outcome function; every model on one simulated host."""

    name: ClassVar[str] = "simulated"

    def __init__(self, models: Sequence[str], outcome: OutcomeFn,
                 budget: int | None = None) -> None:
        super().__init__(_setup())
        self.outcome = outcome
        self.budget = budget
        self.ran: list[Outcome] = []
        self._models = {m: ModelRun(model=m, provider="simulated", model_name=m,
                                    key=f"simulated/{m}") for m in models}

    def models(self) -> Mapping[str, ModelRun]:
        """Every simulated model."""
        return self._models

    def placement(self, model: str) -> Placement:
        """One host: models run one after another, as on one machine."""
        return Placement("simulated", "simulated")

    def preflight(self) -> Mapping[str, str]:
        """Nothing is missing in a simulation."""
        return {}

    async def execute(self, work: Work) -> AsyncGenerator[ExecutorEvent, None]:
        """The outcome function's verdict for each trial, in the order planned."""
        yield ModelReady(self._models[work.model])
        for case, batch in work.trials:
            if not work.keep_running():
                break
            if self.budget is not None and len(self.ran) >= self.budget:
                raise _BudgetSpent
            result = self.outcome(work.model, case.id, batch)
            self.ran.append(result)
            yield _trial(result)


def _setup() -> RunSetup:
    suite = Suite(task="simulated", prompt=PromptSpec(user="-"), cases=(Case(id="-"),))
    return RunSetup(suite, (), RunConfig())


def _trial(outcome: Outcome) -> Trial:
    return Trial(model=outcome.model, case_id=outcome.case_id, batch=outcome.batch,
                 position=0, correct=outcome.correct,
                 error="simulated error" if outcome.error else None,
                 latency_ms=outcome.latency_ms)


class _InlineRecorder(Recorder):
    """Writes to its in-memory sink on the loop itself (no writer thread)."""

    async def write(self, function: Callable[..., Any], *args: Any) -> None:
        function(*args)


def drive(strategy: Strategy, outcome: OutcomeFn, *, stored: Iterable[Outcome] = (),
          budget: int | None = None) -> list[Outcome]:
    """Replay ``stored`` outcomes, then run the strategy's waves until none is left.

    Stops after ``budget`` new trials (an interrupted run). Returns the new outcomes.
    """
    plan = strategy.plan
    executor = SimulatedExecutor(plan.models, outcome, budget)
    sink = MemorySink()
    ledger = Ledger(plan.models, plan.cases, strategy.max_batches)
    recorder = _InlineRecorder("simulated", sink, RunListener(), strategy, ledger, math.inf)
    for old in stored:
        recorder.replay(_trial(old))
    lanes = {model: "simulated" for model in plan.models}
    loop = RunLoop(strategy, executor, recorder, RunListener(), lanes,
                   {case: Case(id=case) for case in plan.cases}, dict(executor.models()))
    with contextlib.suppress(_BudgetSpent):
        run_sync(loop.run())
    return executor.ran
