"""Canaries: a run's pair serving a share of a task's calls on a stage.

A canary row holds the plan (share, step, interval, ceilings) and the state
every gateway worker and replica shares: the interval in progress, when it
started, how many intervals were bad. Workers add what they counted of an
interval to ``canary_tallies`` (one row per worker, cohort and interval); one
of them decides the interval once it is over (:meth:`CanaryQueries.decide_canary`,
under the promotion history's lock, so only one decision is ever made per
interval) and the others follow when they next read the registry. Every start,
decision and end is a row of the promotion history; the full promotion at the
end is an ordinary ``promote`` row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from champion._errors import InputError
from champion._store import schema
from champion._store.engine import run_write
from champion._store.promotions import current_row, insert_row, lock_promotions
from champion._store.rows import PromotionRow, utc

__all__ = ["CanaryDecision", "CanaryQueries", "CanaryRow", "CanaryStep", "CohortTally"]

_table = schema.canaries
_tallies = schema.canary_tallies
_PLAN = ("share", "step", "interval_s", "failure_limit", "min_calls", "max_error_rate",
         "max_fallback_rate", "max_p95_ms")


@dataclass(frozen=True, slots=True)
class CanaryRow:
    """One canary as stored: its pair, plan and state.

    ``share`` and ``step`` are percentages of calls; ``status`` is ``running``,
    ``promoted``, ``rolled_back`` or ``aborted``; ``interval_no`` counts intervals
    from 1.
    """

    id: int
    task: str
    stage: str
    run_id: str
    champion: str
    champion_key: str
    runner_up: str | None
    runner_up_key: str | None
    share: float
    step: float | None
    interval_s: float
    failure_limit: int
    min_calls: int
    max_error_rate: float
    max_fallback_rate: float
    max_p95_ms: float | None
    status: str
    interval_no: int
    interval_started_at: datetime
    bad_intervals: int
    started_at: datetime
    ended_at: datetime | None

    def plan(self) -> dict[str, Any]:
        """Share, step, interval and ceilings, as JSON."""
        return {name: getattr(self, name) for name in _PLAN}


@dataclass(slots=True)
class CohortTally:
    """What was counted of one cohort's calls in one interval.

    ``latency`` maps a latency bucket (see :mod:`champion._registry.rollout.tally`)
    to the number of served calls in it.
    """

    calls: int = 0
    errors: int = 0
    fallbacks: int = 0
    latency: dict[int, int] = field(default_factory=dict)

    def add(self, other: CohortTally) -> None:
        """Count ``other`` in too."""
        self.calls += other.calls
        self.errors += other.errors
        self.fallbacks += other.fallbacks
        for bucket, count in other.latency.items():
            self.latency[bucket] = self.latency.get(bucket, 0) + count


@dataclass(frozen=True, slots=True)
class CanaryStep:
    """What a decision does to a canary.

    Attributes:
        action: the history row's action (``canary-step``, ``canary-pass``,
            ``canary-hold``, ``canary-fail``, ``canary-rollback`` or ``promote``).
        share: the share from now on (%).
        bad_intervals: bad intervals so far.
        status: ``running``, ``promoted`` or ``rolled_back``.
        details: the figures kept with the history row.
    """

    action: str
    share: float
    bad_intervals: int
    status: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CanaryDecision:
    """A decision made: the canary as it is now, and its history row."""

    canary: CanaryRow
    entry: PromotionRow


#: Decides an interval from the canary and its tallies by cohort, at a time;
#: None when it is not over yet.
Policy = Callable[[CanaryRow, Mapping[str, CohortTally], datetime], CanaryStep | None]


def _canary(row: Any) -> CanaryRow:
    values = dict(row._mapping)
    for name in ("interval_started_at", "started_at", "ended_at"):
        values[name] = utc(values[name])
    return CanaryRow(**values)


def _running(connection: Connection, task: str, stage: str) -> Any:
    return connection.execute(
        select(_table).where(_table.c.task == task, _table.c.stage == stage,
                             _table.c.status == "running")
        .order_by(_table.c.id.desc()).limit(1)).first()


def _event(connection: Connection, canary: CanaryRow, action: str, share: float,
           details: dict[str, Any]) -> PromotionRow:
    serving = current_row(connection, canary.task, canary.stage)
    return insert_row(
        connection, task=canary.task, stage=canary.stage, run_id=canary.run_id,
        champion=canary.champion, champion_key=canary.champion_key,
        runner_up=canary.runner_up, runner_up_key=canary.runner_up_key,
        previous_id=None if serving is None else serving.id, action=action,
        canary_id=canary.id, share=share, details=details)


class CanaryQueries:
    """Canaries and their tallies; mixed into :class:`champion._store.Store`."""

    engine: Engine

    def start_canary(self, *, task: str, stage: str, run_id: str, champion: str,
                     champion_key: str, runner_up: str | None, runner_up_key: str | None,
                     plan: Mapping[str, Any],
                     details: Mapping[str, Any] | None = None) -> CanaryDecision:
        """Record a canary of this run's pair on ``stage`` (``plan``: share, step,
        interval_s, failure_limit, min_calls and the ceilings; ``details`` go with
        its first history row).

        Raises:
            InputError: nothing is served there yet, that run is served already,
                or a canary is in progress there.
        """
        def work(connection: Connection) -> CanaryDecision:
            lock_promotions(connection)
            serving = current_row(connection, task, stage)
            if serving is None:
                raise InputError(f"nothing is promoted for {task!r} on {stage}: a canary needs"
                                 " a pair to split calls with; promote one first")
            if serving.run_id == run_id:
                raise InputError(f"run {run_id} already serves {task!r} on {stage}")
            running = _running(connection, task, stage)
            if running is not None:
                raise InputError(
                    f"a canary of run {running.run_id} is in progress for {task!r} on {stage}"
                    f" at {running.share:g}%: abort it first")
            now = datetime.now(UTC)
            key = connection.execute(_table.insert().values(
                task=task, stage=stage, run_id=run_id, champion=champion,
                champion_key=champion_key, runner_up=runner_up, runner_up_key=runner_up_key,
                status="running", interval_no=1, interval_started_at=now, bad_intervals=0,
                started_at=now, **{name: plan.get(name) for name in _PLAN}
            )).inserted_primary_key
            assert key is not None
            canary = _canary(connection.execute(
                select(_table).where(_table.c.id == key[0])).one())
            entry = _event(connection, canary, "canary", canary.share,
                           {**(details or {}), "plan": canary.plan()})
            return CanaryDecision(canary, entry)

        return run_write(self.engine, work)

    def end_canary(self, task: str, stage: str, status: str, action: str,
                   details: dict[str, Any]) -> CanaryDecision:
        """End the canary in progress (e.g. ``aborted``, ``canary-abort``).

        Raises:
            InputError: no canary is in progress for ``task`` on ``stage``.
        """
        def work(connection: Connection) -> CanaryDecision:
            lock_promotions(connection)
            row = _running(connection, task, stage)
            if row is None:
                raise InputError(f"no canary is in progress for {task!r} on {stage}")
            connection.execute(update(_table).where(_table.c.id == row.id).values(
                status=status, share=0.0, ended_at=datetime.now(UTC)))
            canary = _canary(connection.execute(
                select(_table).where(_table.c.id == row.id)).one())
            return CanaryDecision(canary, _event(connection, canary, action, 0.0, details))

        return run_write(self.engine, work)

    def running_canary(self, task: str, stage: str) -> CanaryRow | None:
        """The canary in progress for ``task`` on ``stage``, if any."""
        with self.engine.connect() as connection:
            row = _running(connection, task, stage)
        return None if row is None else _canary(row)

    def running_canaries(self, stage: str | None = None) -> list[CanaryRow]:
        """Every canary in progress (on ``stage``), by task."""
        query = select(_table).where(_table.c.status == "running")
        if stage is not None:
            query = query.where(_table.c.stage == stage)
        with self.engine.connect() as connection:
            return [_canary(row) for row in connection.execute(
                query.order_by(_table.c.task, _table.c.stage))]

    def canaries_of(self, task: str, limit: int = 20) -> list[CanaryRow]:
        """The newest canaries of ``task`` on any stage, ended or not, newest first."""
        query = (select(_table).where(_table.c.task == task)
                 .order_by(_table.c.id.desc()).limit(limit))
        with self.engine.connect() as connection:
            return [_canary(row) for row in connection.execute(query)]

    def add_canary_tallies(self, worker: str,
                           tallies: Iterable[tuple[int, int, str, CohortTally]]) -> None:
        """Add a worker's counts, each (canary id, interval, cohort, counts), to what it
        counted before, in one transaction."""
        items = list(tallies)
        if not items:
            return

        def work(connection: Connection) -> None:
            now = datetime.now(UTC)
            for canary_id, interval_no, cohort, counted in items:
                key = (_tallies.c.canary_id == canary_id, _tallies.c.interval_no == interval_no,
                       _tallies.c.cohort == cohort, _tallies.c.worker == worker)
                old = connection.execute(select(_tallies).where(*key)).first()
                if old is None:
                    connection.execute(_tallies.insert().values(
                        canary_id=canary_id, interval_no=interval_no, cohort=cohort,
                        worker=worker, calls=counted.calls, errors=counted.errors,
                        fallbacks=counted.fallbacks, updated_at=now,
                        latency={str(b): n for b, n in counted.latency.items()}))
                    continue
                total = _tally(old)
                total.add(counted)
                connection.execute(update(_tallies).where(*key).values(
                    calls=total.calls, errors=total.errors, fallbacks=total.fallbacks,
                    latency={str(b): n for b, n in total.latency.items()}, updated_at=now))

        run_write(self.engine, work)

    def canary_tallies(self, canary_id: int, interval_no: int) -> dict[str, CohortTally]:
        """What every worker counted of one interval, summed by cohort."""
        with self.engine.connect() as connection:
            return _summed(connection, canary_id, interval_no)

    def decide_canary(self, canary_id: int, interval_no: int,
                      policy: Policy) -> CanaryDecision | None:
        """Decide interval ``interval_no`` of a canary with ``policy``, once: None when
        the canary ended, that interval was decided already, or the policy says it
        is not over."""
        def work(connection: Connection) -> CanaryDecision | None:
            lock_promotions(connection)
            row = connection.execute(select(_table).where(_table.c.id == canary_id)).first()
            if row is None or row.status != "running" or row.interval_no != interval_no:
                return None
            canary = _canary(row)
            now = datetime.now(UTC)
            step = policy(canary, _summed(connection, canary_id, interval_no), now)
            if step is None:
                return None
            ended = step.status != "running"
            connection.execute(update(_table).where(_table.c.id == canary_id).values(
                share=step.share, bad_intervals=step.bad_intervals, status=step.status,
                interval_no=interval_no + 1, interval_started_at=now,
                ended_at=now if ended else None))
            canary = _canary(connection.execute(
                select(_table).where(_table.c.id == canary_id)).one())
            return CanaryDecision(canary, _event(connection, canary, step.action, step.share,
                                                 step.details))

        return run_write(self.engine, work)


def _tally(row: Any) -> CohortTally:
    return CohortTally(row.calls, row.errors, row.fallbacks,
                       {int(bucket): int(count) for bucket, count in (row.latency or {}).items()})


def _summed(connection: Connection, canary_id: int, interval_no: int) -> dict[str, CohortTally]:
    cohorts: dict[str, CohortTally] = {}
    for row in connection.execute(select(_tallies).where(
            _tallies.c.canary_id == canary_id, _tallies.c.interval_no == interval_no)):
        cohorts.setdefault(row.cohort, CohortTally()).add(_tally(row))
    return cohorts
