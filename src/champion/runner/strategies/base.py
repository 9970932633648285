"""Strategies decide *what* runs next from the trials so far; the executor decides *how*.

A strategy sees the run's plan (models, cases, K batches, seed, the pass-rate
rule) and every finished trial as an :class:`Outcome`. The executor asks it for
waves: a wave is a list of models to run now (models on different lanes run at
the same time, models on one lane one after another). When a lane reaches a
model, the executor asks :meth:`Strategy.trials_for` which (case, batch) pairs
to run, so the order can use what other models measured meanwhile; after
every trial it asks :meth:`Strategy.keep_running`.

A strategy's state is a function of the outcomes it observed: on resume the
stored trials are replayed through :meth:`Strategy.observe`, so the run goes
on where it stopped, and a model the strategy stopped is not run again.
Adding a strategy means adding a subclass and registering it; no executor
code changes.
"""

from __future__ import annotations

import abc
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "Outcome",
    "RunPlan",
    "Strategy",
    "batch_order",
    "register_strategy",
    "strategy_class",
    "strategy_names",
]


def batch_order(cases: Sequence[str], seed: int, batch: int) -> list[str]:
    """The case order of one batch: a shuffle fixed by (seed, batch)."""
    order = list(cases)
    random.Random(seed * 1_000_003 + batch).shuffle(order)
    return order


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What a strategy plans over.

    Attributes:
        models: candidate ids, in the order given.
        cases: case ids, in suite order.
        repeats: K, the batches every qualifying model runs.
        seed: fixes the case order of each batch.
        min_pass_rate: the qualification rule.
        confirm: extra batches for the champion and the runner-up.
    """

    models: tuple[str, ...]
    cases: tuple[str, ...]
    repeats: int
    seed: int
    min_pass_rate: float = 1.0
    confirm: int = 0

    def batch_order(self, batch: int) -> list[str]:
        """The shuffled case order of ``batch``."""
        return batch_order(self.cases, self.seed, batch)

    @property
    def allowed_failures(self) -> int:
        """Failures a model may have over K batches and still qualify."""
        return int((1 - self.min_pass_rate) * len(self.cases) * self.repeats + 1e-9)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a strategy sees of one finished trial."""

    model: str
    case_id: str
    batch: int
    correct: bool
    error: bool
    latency_ms: float | None


class Strategy(abc.ABC):
    """Plans trials, observes outcomes, stops models and the run."""

    name: ClassVar[str]

    def __init__(self, plan: RunPlan) -> None:
        self.plan = plan
        self._stopped: dict[str, str] = {}

    @abc.abstractmethod
    def next_wave(self) -> list[str]:
        """Models to run now; empty when the run is done. Asked again after every wave."""

    @abc.abstractmethod
    def trials_for(self, model: str) -> Iterable[tuple[str, int]]:
        """(case, batch) pairs ``model`` runs in this wave, in order.

        Pairs already stored are skipped by the executor. A generator is fine
        (and keeps memory flat for big suites); it may be iterated twice,
        once to count and once to run, with no outcome observed in between.
        """

    @abc.abstractmethod
    def observe(self, outcome: Outcome) -> None:
        """A trial finished, or was replayed from the store on resume."""

    def keep_running(self, model: str) -> bool:
        """Whether ``model`` should run its next planned trial."""
        return model not in self._stopped

    def stop(self, model: str, why: str) -> None:
        """Stop ``model`` early; the first reason given is kept."""
        self._stopped.setdefault(model, why)

    @property
    def stopped(self) -> dict[str, str]:
        """Model → why the strategy stopped it early."""
        return dict(self._stopped)


StrategyClass = type[Strategy]
_STRATEGIES: dict[str, Callable[[], StrategyClass]] = {}


def register_strategy(name: str) -> Callable[[Callable[[], StrategyClass]],
                                             Callable[[], StrategyClass]]:
    """Register a factory returning the strategy class for ``name`` (imported lazily)."""

    def register(factory: Callable[[], StrategyClass]) -> Callable[[], StrategyClass]:
        _STRATEGIES[name] = factory
        return factory

    return register


def strategy_names() -> list[str]:
    """Names of every registered strategy."""
    return sorted(_STRATEGIES)


def strategy_class(name: str) -> StrategyClass:
    """The strategy class registered as ``name``."""
    from champion.errors import InputError

    factory = _STRATEGIES.get(name)
    if factory is None:
        raise InputError(f"unknown strategy {name!r}; known: " + ", ".join(strategy_names()))
    return factory()


@register_strategy("full")
def _full() -> StrategyClass:
    from champion.runner.strategies.full import FullStrategy

    return FullStrategy


@register_strategy("failfast")
def _failfast() -> StrategyClass:
    from champion.runner.strategies.full import FailFastStrategy

    return FailFastStrategy


@register_strategy("race")
def _race() -> StrategyClass:
    from champion.runner.strategies.race import RaceStrategy

    return RaceStrategy
