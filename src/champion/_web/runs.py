"""What the dashboard reads of the store, cached so a page never re-reads a run's trials.

A run's view (aggregates over its trials) is built once and kept while the run
is unchanged: a finished run never changes, a running one is looked at again
after a few seconds. History across runs comes from the registry's history,
which reads run summaries and ranking lines, never trials.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, overload

from champion._errors import InputError
from champion._registry import Registry
from champion._registry.history import ModelTrend, model_trend, task_history
from champion._report.view import RunView, build_view
from champion._store import Store

__all__ = ["RunCache", "RunRow", "TaskRow"]

#: Seconds a running run's view is trusted before it is rebuilt.
RUNNING_TTL_S = 2.0
#: Seconds pages across runs are trusted when no run is known to be running.
LONG_TTL_S = 30.0


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run of a task, with its champion's figures (for history and lists)."""

    run_id: str
    task: str
    started_at: datetime
    status: str
    champion: str | None
    runner_up: str | None
    calls: int
    suite_fingerprint: str
    champion_median_ms: float | None
    champion_pass_rate: float | None
    champion_changed: bool
    suite_changed: bool
    #: Models whose identity (digest, weights) changed under the same name in this run.
    identity_changes: tuple[str, ...] = ()
    #: ``benchmark``, or ``check`` (a re-run of the registered pair by ``champion check``).
    purpose: str = "benchmark"


@dataclass(frozen=True, slots=True)
class TaskRow:
    """A task on the overview: its latest run and what each stage has registered."""

    task: str
    runs: int
    latest: RunRow | None
    registered: dict[str, Any]


def _bucket(seconds: float = RUNNING_TTL_S) -> int:
    return int(time.monotonic() // seconds)


class RunCache:
    """Run views and run lists over one store, safe to use from many threads."""

    def __init__(self, store: Store, size: int = 48, stamp_ttl_s: float = 0.5) -> None:
        self.store = store
        self.size = size
        #: Seconds a stamp is reused: under load most requests then ask the store nothing.
        self.stamp_ttl_s = stamp_ttl_s
        self._views: OrderedDict[str, tuple[tuple[Any, ...], float, RunView]] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self._stamps: dict[str | None, tuple[float, tuple[Any, ...]]] = {}

    # -- one run ----------------------------------------------------------

    def _memo(self, key: str | None, read: Callable[[], tuple[Any, ...]],
              cached_only: bool) -> tuple[Any, ...] | None:
        now = time.monotonic()
        known = self._stamps.get(key)
        if known is not None and now - known[0] < self.stamp_ttl_s:
            return known[1]
        if cached_only:
            return None
        value = read()
        if len(self._stamps) > 4096:  # ids that were asked once and never again
            self._stamps.clear()
        self._stamps[key] = (now, value)
        return value

    @overload
    def stamp(self, run_id: str, cached_only: Literal[False] = False) -> tuple[Any, ...]: ...

    @overload
    def stamp(self, run_id: str, cached_only: bool) -> tuple[Any, ...] | None: ...

    def stamp(self, run_id: str, cached_only: bool = False) -> tuple[Any, ...] | None:
        """What changes when a run changes: status, finish time and call count.

        With ``cached_only``, None unless it is known without asking the store.

        Raises:
            InputError: no such run.
        """
        def read() -> tuple[Any, ...]:
            row = self.store.run_summary(run_id)
            return (run_id, row.status, row.finished_at, row.calls)

        return self._memo(run_id, read, cached_only)

    @overload
    def store_stamp(self, cached_only: Literal[False] = False) -> tuple[Any, ...]: ...

    @overload
    def store_stamp(self, cached_only: bool) -> tuple[Any, ...] | None: ...

    def store_stamp(self, cached_only: bool = False) -> tuple[Any, ...] | None:
        """Changes when a run is added, the newest run changes or the registry changes.

        While the newest run is running it also changes every few seconds; an
        older run resumed in place shows within half a minute. With
        ``cached_only``, None unless it is known without asking the store.
        """
        def read() -> tuple[Any, ...]:
            ids = tuple(self.store.run_ids())
            newest = self.stamp(ids[-1]) if ids else ()
            running = len(newest) > 1 and newest[1] == "running"
            return (ids, self.store.registry_version(), self.store.workflow_version(), newest,
                    _bucket() if running else _bucket(LONG_TTL_S))

        return self._memo(None, read, cached_only)

    def view(self, run_id: str) -> RunView:
        """The run's view, built from its trials at most once while it is unchanged.

        Raises:
            InputError: no such run.
        """
        stamp = self.stamp(run_id)
        cached = self._fresh(run_id, stamp)
        if cached is not None:
            return cached
        with self._lock:
            building = self._building.setdefault(run_id, threading.Lock())
        with building:  # one build per run at a time; others wait for it
            cached = self._fresh(run_id, stamp)
            if cached is not None:
                return cached
            view = build_view(self.store.load_run(run_id))
            with self._lock:
                self._views[run_id] = (stamp, time.monotonic(), view)
                self._views.move_to_end(run_id)
                while len(self._views) > self.size:
                    self._views.popitem(last=False)
            return view

    def _fresh(self, run_id: str, stamp: tuple[Any, ...]) -> RunView | None:
        with self._lock:
            entry = self._views.get(run_id)
            if entry is None:
                return None
            self._views.move_to_end(run_id)
        old_stamp, built, view = entry
        if old_stamp != stamp:
            return None
        if view.result.status == "running" and time.monotonic() - built > RUNNING_TTL_S:
            return None
        return view

    # -- many runs --------------------------------------------------------

    def tasks(self) -> list[str]:
        """Every task with a run."""
        return self.store.tasks()

    def runs(self, task: str) -> list[RunRow]:
        """Every run of a task, oldest first, with its champion's figures and what changed."""
        try:
            runs = task_history(self.store, task).runs
        except InputError:
            return []
        return [RunRow(
            run_id=r.run_id, task=task, started_at=r.started_at, status=r.status,
            champion=r.champion.id if r.champion else None,
            runner_up=r.runner_up.id if r.runner_up else None, calls=r.calls,
            suite_fingerprint=r.suite_fingerprint,
            champion_median_ms=r.champion.median_ms if r.champion else None,
            champion_pass_rate=r.champion.pass_rate if r.champion else None,
            champion_changed=r.champion_changed, suite_changed=r.suite_changed,
            identity_changes=tuple(f"{c.model}: {c.before} → {c.after}"
                                   for c in r.identity_changes),
            purpose=r.purpose) for r in runs]

    def model_trend(self, task: str, model: str) -> ModelTrend:
        """One model's figures over the runs of a task.

        Raises:
            InputError: the model never ran on the task.
        """
        return model_trend(self.store, task, model)

    def overview(self) -> list[TaskRow]:
        """Every task with its latest run and its registered champions per stage."""
        registered = self.registered()
        rows = []
        for task in self.tasks():
            runs = self.runs(task)
            rows.append(TaskRow(task=task, runs=len(runs), latest=runs[-1] if runs else None,
                                registered=registered.get(task, {})))
        return rows

    def registered(self) -> dict[str, dict[str, Any]]:
        """task → stage → registry entry."""
        entries: dict[str, dict[str, Any]] = {}
        for entry in Registry(self.store).entries():
            entries.setdefault(entry.task, {})[entry.stage] = entry
        return entries

    def run_of_task(self, run_id: str, task: str) -> RunView:
        """A run's view, refused when it belongs to another task."""
        view = self.view(run_id)
        if view.result.task != task:
            raise InputError(f"run {run_id!r} is not a run of {task!r}")
        return view
