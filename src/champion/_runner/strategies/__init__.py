"""Strategies decide *what* runs next; a registry finds them by name.

Built-in: ``race`` (the default), ``full`` and ``failfast``. A third-party
strategy subclasses :class:`Strategy` and is registered with
``strategies.register("name")`` or through the ``champion.strategies``
entry-point group; adding one touches no other strategy, no executor and no
session code.
"""

from __future__ import annotations

from champion._plugins import Registry
from champion._runner.strategies.base import (
    Outcome,
    RunPlan,
    Strategy,
    StrategyOptions,
    batch_order,
    parse_options,
)

__all__ = [
    "Outcome",
    "RunPlan",
    "Strategy",
    "StrategyOptions",
    "batch_order",
    "parse_options",
    "register_strategy",
    "strategies",
    "strategy_class",
    "strategy_names",
]

#: Every strategy, by name.
strategies: Registry[type[Strategy]] = Registry("strategy", "champion.strategies")


def strategy_class(name: str) -> type[Strategy]:
    """The strategy registered as ``name``.

    Raises:
        InputError: no strategy of that name.
    """
    return strategies.get(name)


def register_strategy(strategy: type[Strategy]) -> type[Strategy]:
    """Make ``strategy`` available under its :attr:`~Strategy.name` in this process
    (``RunConfig(strategy=NAME)``).

    Returns the class, so it also works as a class decorator. A package registers
    for every ``champion`` command through the ``champion.strategies`` entry-point
    group instead.
    """
    strategies.add(strategy.name, strategy)
    return strategy


def strategy_names() -> list[str]:
    """Names of every registered strategy."""
    return strategies.names()


@strategies.register("full")
def _full() -> type[Strategy]:
    from champion._runner.strategies.full import FullStrategy

    return FullStrategy


@strategies.register("failfast")
def _failfast() -> type[Strategy]:
    from champion._runner.strategies.full import FailFastStrategy

    return FailFastStrategy


@strategies.register("race")
def _race() -> type[Strategy]:
    from champion._runner.strategies.race import RaceStrategy

    return RaceStrategy
