"""Named extension points: providers, strategies, executors, checks.

A :class:`Registry` maps a name to a factory that returns the implementation,
imported only when it is used. Built-in implementations register themselves
with :meth:`Registry.register`; third-party packages declare an entry point in
the registry's group (for example ``champion.strategies``) whose object is the
implementation itself or a zero-argument factory returning it::

    [project.entry-points."champion.strategies"]
    halving = "my_package.halving:HalvingStrategy"

Entry points are read once, the first time a name is looked up that no
built-in registered; a built-in name is never replaced by an entry point.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from champion._errors import InputError

__all__ = ["Registry", "did_you_mean"]

T = TypeVar("T")


def did_you_mean(name: str, known: list[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest known name, or ``""``."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class Registry(Generic[T]):
    """Names → lazily imported implementations of one kind.

    Args:
        kind: what the registry holds, for messages ("strategy", "executor").
        group: the entry-point group third-party packages register in.
    """

    def __init__(self, kind: str, group: str) -> None:
        self.kind = kind
        self.group = group
        self._factories: dict[str, Callable[[], T]] = {}
        self._loaded: dict[str, T] = {}
        self._entry_points_read = False

    def register(self, name: str) -> Callable[[Callable[[], T]], Callable[[], T]]:
        """Decorate a zero-argument factory returning the implementation called ``name``."""

        def decorate(factory: Callable[[], T]) -> Callable[[], T]:
            self._factories[name] = factory
            self._loaded.pop(name, None)
            return factory

        return decorate

    def add(self, name: str, implementation: T) -> None:
        """Register an implementation that is already imported (tests, notebooks)."""
        self.register(name)(lambda: implementation)

    def remove(self, name: str) -> None:
        """Forget ``name`` (tests that register something temporarily)."""
        self._factories.pop(name, None)
        self._loaded.pop(name, None)

    def _read_entry_points(self) -> None:
        if self._entry_points_read:
            return
        self._entry_points_read = True
        for point in entry_points(group=self.group):
            if point.name in self._factories:
                continue  # built-ins are never replaced

            def factory(point: object = point) -> T:
                loaded = point.load()  # type: ignore[attr-defined]
                is_factory = inspect.isfunction(loaded) and not inspect.signature(
                    loaded).parameters
                return loaded() if is_factory else loaded  # type: ignore[no-any-return]

            self._factories[point.name] = factory

    def names(self) -> list[str]:
        """Every registered name, built-in or from an entry point."""
        self._read_entry_points()
        return sorted(self._factories)

    def get(self, name: str) -> T:
        """The implementation registered as ``name``.

        Raises:
            InputError: no such name (the message lists the known ones).
        """
        if name in self._loaded:
            return self._loaded[name]
        if name not in self._factories:
            self._read_entry_points()
        factory = self._factories.get(name)
        if factory is None:
            known = self.names()
            raise InputError(f"unknown {self.kind} {name!r}{did_you_mean(name, known)}"
                             f" (known: {', '.join(known)})")
        implementation = factory()
        self._loaded[name] = implementation
        return implementation

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()
