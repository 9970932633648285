"""A gateway worker's part in the canaries it serves, on a thread of its own.

Every ``tick_s`` the keeper writes what the worker counted of its canary calls
(:class:`~champion._registry.rollout.tally.CanaryTally`) to the store, then
decides each canary interval that is over: over by ``settle_s`` more, so every
other worker's counts of it are in. The store lets exactly one worker of all
replicas decide an interval (:meth:`~champion._store.Store.decide_canary`); the
one that did reads the registry again at once, the others when they next check
it (every canary event changes the registry's version). Nothing here runs on a
caller's path, and a failing database only delays decisions.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from champion._registry.rollout.canary import decide_interval
from champion._registry.rollout.tally import CanaryTally
from champion._registry.table import RouteTable
from champion._secrets import redact
from champion._store import Store
from champion._store.canaries import CanaryDecision

__all__ = ["CanaryKeeper", "worker_name"]

log = logging.getLogger("champion.gateway")


def worker_name() -> str:
    """This process's name among the workers of every replica: host, pid and a nonce."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class CanaryKeeper:
    """Writes a worker's canary counts and decides intervals that are over.

    Args:
        store: where counts go and canaries are decided.
        table: the worker's routes (its canaries, as last read).
        tally: the worker's counts of canary calls.
        tick_s: how often counts are written and intervals looked at.
        settle_s: how long after its end an interval is decided (default
            ``tick_s`` + 0.5 s: every worker has written its counts by then).
        on_share: told (task, share in %) of every canary the worker serves after
            each tick, and (task, 0) once one ended.
        on_decision: told of each decision this worker made.
    """

    def __init__(self, store: Store, table: RouteTable, tally: CanaryTally, *,
                 tick_s: float = 1.0, settle_s: float | None = None,
                 on_share: Callable[[str, float], None] | None = None,
                 on_decision: Callable[[CanaryDecision], None] | None = None) -> None:
        self.store = store
        self.table = table
        self.tally = tally
        self.tick_s = tick_s
        self.settle_s = tick_s + 0.5 if settle_s is None else settle_s
        self.worker = worker_name()
        self.on_share = on_share
        self.on_decision = on_decision
        self._shown: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start ticking on a thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="champion-canaries",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop ticking and write the counts left."""
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None:
            thread.join(30)
        self.write_counts()

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.tick()
            except Exception as exc:  # the next tick tries again
                log.warning("canary keeper: %s", redact(str(exc)))

    def write_counts(self) -> None:
        """Write what was counted since the last write (kept for later if it fails)."""
        counts = self.tally.take()
        if not counts:
            return
        try:
            self.store.add_canary_tallies(self.worker, counts)
        except Exception:
            self.tally.put_back(counts)
            raise

    def tick(self) -> list[CanaryDecision]:
        """Write the counts, decide the intervals that are over; the decisions made."""
        self.write_counts()
        now = datetime.now(UTC)
        settle = timedelta(seconds=self.settle_s)
        decisions = []
        for canary in self.table.canaries():
            if now < canary.interval_started_at + timedelta(seconds=canary.interval_s) + settle:
                continue
            decision = self.store.decide_canary(canary.id, canary.interval_no, decide_interval)
            if decision is not None:
                decisions.append(decision)
                entry = decision.entry
                log.info("canary %d of %s on %s: %s, share %g%% (%s)", canary.id,
                         canary.task, entry.stage, entry.action, entry.share or 0.0,
                         "; ".join((entry.details or {}).get("problems", [])) or "ok")
                if self.on_decision is not None:
                    self.on_decision(decision)
        if decisions:
            self.table.refresh()
        self._show_shares()
        return decisions

    def _show_shares(self) -> None:
        if self.on_share is None:
            return
        current = {canary.task: canary.share for canary in self.table.canaries()}
        for task in self._shown - set(current):
            self.on_share(task, 0.0)
        for task, share in current.items():
            self.on_share(task, share)
        self._shown = set(current)
