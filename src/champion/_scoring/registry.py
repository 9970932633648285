"""The registry of check kinds and output kinds, read by the suite loader and the scorer.

Built-in kinds (:mod:`champion._scoring.kinds`) are registered the first time a
registry is read. Third-party packages add theirs with an entry point, loaded
the first time a suite names it::

    [project.entry-points."champion.checks"]
    max_words = "my_package.checks:MaxWords"      # a CheckKind subclass (or instance)

    [project.entry-points."champion.outputs"]
    csv_row = "my_package.outputs:CsvRow"         # an OutputKind subclass (or instance)

or in process with :func:`register_check` / :func:`register_output`.
"""

from __future__ import annotations

import importlib
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

from champion._scoring.kind import CheckKind, OutputKind

__all__ = [
    "CHECK_GROUP",
    "OUTPUT_GROUP",
    "UnknownKind",
    "check_kind",
    "check_kind_names",
    "forget_entry_points",
    "output_kind",
    "output_kind_names",
    "register_check",
    "register_output",
    "unregister_check",
    "unregister_output",
]

#: Entry-point group of third-party check kinds.
CHECK_GROUP = "champion.checks"
#: Entry-point group of third-party output kinds.
OUTPUT_GROUP = "champion.outputs"

K = TypeVar("K", CheckKind[Any], OutputKind)


class UnknownKind(LookupError):
    """No kind of that name is registered, or its entry point failed to load.

    Attributes:
        what: ``"check type"`` or ``"output kind"``.
        name: the name asked for.
        known: every name that could have been meant.
        problem: why an entry point of that name did not load, if one exists.
    """

    def __init__(self, what: str, name: object, known: list[str],
                 problem: str | None = None) -> None:
        self.what, self.name, self.known, self.problem = what, name, known, problem
        text = f"{what} {name!r}: {problem}" if problem else f"unknown {what} {name!r}"
        super().__init__(text)


class _Registry(Generic[K]):
    """Kinds of one sort by name: built-ins, in-process registrations, entry points."""

    def __init__(self, what: str, group: str, base: type[Any]) -> None:
        self.what, self.group, self.base = what, group, base
        self._kinds: dict[str, K] = {}
        self._entry_points: dict[str, EntryPoint] | None = None
        self._builtins_loaded = False

    def register(self, kind: K | type[K], *, replace: bool = False) -> K:
        instance: K = kind() if isinstance(kind, type) else kind
        if not self.accepts(instance):
            raise TypeError(f"a {self.what} must be a {self.base.__name__}, not {instance!r}")
        name = getattr(instance, "name", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{type(instance).__name__} has no name")
        self._load_builtins()
        current = self._kinds.get(name)
        if current is not None and not replace and type(current) is not type(instance):
            raise ValueError(f"{self.what} {name!r} is already registered"
                             f" ({type(current).__qualname__}); pass replace=True")
        self._kinds[name] = instance
        return instance

    def accepts(self, kind: object) -> bool:
        """Whether ``kind`` is of the sort this registry holds."""
        return isinstance(kind, self.base)

    def unregister(self, name: str) -> None:
        self._kinds.pop(name, None)

    def get(self, name: object) -> K:
        self._load_builtins()
        if isinstance(name, str):
            kind = self._kinds.get(name)
            if kind is not None:
                return kind
            point = self._points().get(name)
            if point is not None:
                return self._load(name, point)
        raise UnknownKind(self.what, name, self.names())

    def names(self) -> list[str]:
        self._load_builtins()
        return sorted(set(self._kinds) | set(self._points()))

    def _load(self, name: str, point: EntryPoint) -> K:
        try:
            loaded = point.load()
            kind = self.register(loaded)
        except Exception as exc:  # a third-party package: its failure is this lookup's
            raise UnknownKind(self.what, name, self.names(),
                              f"entry point {point.value!r} did not load:"
                              f" {type(exc).__name__}: {exc}") from None
        if kind.name != name:
            self._kinds.pop(kind.name, None)
            raise UnknownKind(self.what, name, self.names(),
                              f"entry point {point.value!r} gives a kind named {kind.name!r}")
        return kind

    def _points(self) -> dict[str, EntryPoint]:
        if self._entry_points is None:
            self._entry_points = {point.name: point for point in entry_points(group=self.group)}
        return self._entry_points

    def forget_entry_points(self) -> None:
        """Read the installed entry points again on the next lookup."""
        self._entry_points = None

    def _load_builtins(self) -> None:
        if not self._builtins_loaded:
            self._builtins_loaded = True
            importlib.import_module("champion._scoring.kinds")


_CHECKS: _Registry[CheckKind[Any]] = _Registry("check type", CHECK_GROUP, CheckKind)
_OUTPUTS: _Registry[OutputKind] = _Registry("output kind", OUTPUT_GROUP, OutputKind)


def register_check(kind: CheckKind[Any] | type[CheckKind[Any]], *,
                   replace: bool = False) -> CheckKind[Any]:
    """Register a check kind (a class is instantiated without arguments).

    Raises:
        ValueError: another kind already has that name (unless ``replace``).
    """
    return _CHECKS.register(kind, replace=replace)


def unregister_check(name: str) -> None:
    """Forget the check kind registered as ``name`` (nothing if there is none)."""
    _CHECKS.unregister(name)


def check_kind(name: object) -> CheckKind[Any]:
    """The check kind registered as ``name``.

    Raises:
        UnknownKind: there is none, or its entry point did not load.
    """
    return _CHECKS.get(name)


def check_kind_names() -> list[str]:
    """Every check type a suite may name, entry points included."""
    return _CHECKS.names()


def register_output(kind: OutputKind | type[OutputKind], *,
                    replace: bool = False) -> OutputKind:
    """Register an output kind (a class is instantiated without arguments)."""
    return _OUTPUTS.register(kind, replace=replace)


def unregister_output(name: str) -> None:
    """Forget the output kind registered as ``name``."""
    _OUTPUTS.unregister(name)


def output_kind(name: object) -> OutputKind:
    """The output kind registered as ``name``.

    Raises:
        UnknownKind: there is none, or its entry point did not load.
    """
    return _OUTPUTS.get(name)


def output_kind_names() -> list[str]:
    """Every output kind a suite may name, entry points included."""
    return _OUTPUTS.names()


def forget_entry_points() -> None:
    """Read installed entry points again on the next lookup (after installing a package)."""
    for registry in (_CHECKS, _OUTPUTS):
        registry.forget_entry_points()

