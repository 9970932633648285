"""Runner: strategies decide what runs next, the executor decides how.

::

    RunSession ── asks ──▶ Strategy (full, failfast, race): waves, trials, stops
        │
        └── runs waves on ──▶ Executor (lanes side by side, model-major)
                                 └── ModelSlot: load, warm-up, call, score ──▶ Recorder ──▶ store
"""

from champion.runner.config import NullListener, RunConfig, RunListener, TrialSink
from champion.runner.executor import Executor, LocalExecutor
from champion.runner.memory import MemorySink
from champion.runner.session import RunSession, ranking_rules
from champion.runner.strategy import (
    Outcome,
    RunPlan,
    Strategy,
    batch_order,
    register_strategy,
    strategy_names,
)

__all__ = ["Executor", "LocalExecutor", "MemorySink", "NullListener", "Outcome", "RunConfig",
           "RunListener", "RunPlan", "RunSession", "Strategy", "TrialSink", "batch_order",
           "ranking_rules", "register_strategy", "strategy_names"]
