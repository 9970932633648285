"""Runner: trial scheduling, repeats, strategies, timing and warm-up."""

from champion.runner.config import RunConfig, RunListener, TrialSink
from champion.runner.execute import SuiteRunner, batch_order, ranking_rules

__all__ = ["RunConfig", "RunListener", "SuiteRunner", "TrialSink", "batch_order",
           "ranking_rules"]
