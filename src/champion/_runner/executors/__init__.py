"""Executors decide *how* and *where* trials run; a registry finds them by name.

Built-in: ``local`` (the default: this process and the endpoints it calls),
``simulated`` (strategy tests and simulations: no model, outcomes from a
function) and ``ray`` (embedded candidates on the workers of a Ray cluster;
the ``champion[ray]`` extra). Third-party executors register through the
``champion.executors`` entry-point group.
"""

from __future__ import annotations

import importlib.util

from champion._errors import MissingDependency
from champion._plugins import Registry
from champion._runner.executors.base import (
    Executor,
    ExecutorOptions,
    ModelReady,
    RunSetup,
    TrialLost,
    Work,
    parse_executor_options,
)

__all__ = [
    "Executor",
    "ExecutorOptions",
    "ModelReady",
    "RunSetup",
    "TrialLost",
    "Work",
    "executor_class",
    "executor_names",
    "executors",
    "parse_executor_options",
    "register_executor",
]

#: Every executor, by name.
executors: Registry[type[Executor]] = Registry("executor", "champion.executors")


def executor_class(name: str) -> type[Executor]:
    """The executor registered as ``name``.

    Raises:
        InputError: no executor of that name.
    """
    return executors.get(name)


def register_executor(executor: type[Executor]) -> type[Executor]:
    """Make ``executor`` available under its :attr:`~Executor.name` in this process
    (``RunConfig(executor=NAME)``).

    Returns the class, so it also works as a class decorator. A package registers
    for every ``champion`` command through the ``champion.executors`` entry-point
    group instead.
    """
    executors.add(executor.name, executor)
    return executor


def executor_names() -> list[str]:
    """Names of every registered executor."""
    return executors.names()


@executors.register("local")
def _local() -> type[Executor]:
    from champion._runner.executors.local import LocalExecutor

    return LocalExecutor


@executors.register("ray")
def _ray() -> type[Executor]:
    if importlib.util.find_spec("ray") is None:
        raise MissingDependency("the ray executor needs the ray package:"
                                " pip install 'champion[ray]'", "ray")
    from champion._runner.executors.ray import RayExecutor

    return RayExecutor
