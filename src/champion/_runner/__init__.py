"""Runner: strategies decide what runs next, executors decide how and where.

::

    RunSession ── builds ──▶ Strategy (race, full, failfast; typed options)
        │                    Executor (local, ray; typed options)
        │
        └── drives ──▶ RunLoop: waves → lanes (host | endpoint | serial) → Work
                          │
                          ├── Executor.execute(Work) ──▶ ModelReady, Trial, Trial, …
                          └── Recorder ──▶ listener, strategy, store (batched)
"""

from champion._runner.config import (
    LanePolicy,
    NullListener,
    RunConfig,
    RunListener,
    TrialSink,
)
from champion._runner.executors import (
    Executor,
    ExecutorOptions,
    ModelReady,
    RunSetup,
    TrialLost,
    Work,
    executor_class,
    executor_names,
    executors,
)
from champion._runner.executors.local import LocalExecutor
from champion._runner.loop import RunLoop, StrategyStalled
from champion._runner.memory import MemorySink
from champion._runner.session import NoCandidateLeft, RunSession, ranking_rules
from champion._runner.strategies import (
    Outcome,
    RunPlan,
    Strategy,
    StrategyOptions,
    batch_order,
    strategies,
    strategy_class,
    strategy_names,
)

__all__ = ["Executor", "ExecutorOptions", "LanePolicy", "LocalExecutor", "MemorySink",
           "ModelReady", "NoCandidateLeft", "NullListener", "Outcome", "RunConfig",
           "RunListener", "RunLoop", "RunPlan", "RunSession", "RunSetup", "Strategy",
           "StrategyOptions", "StrategyStalled", "TrialLost", "TrialSink", "Work", "batch_order",
           "executor_class", "executor_names", "executors", "ranking_rules", "strategies",
           "strategy_class", "strategy_names"]
