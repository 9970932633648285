"""Judge verdicts: each call a judge made (or a verdict read from the cache), per run.

A verdict with ``cached`` false and a verdict set is a real call; its
``cache_key`` finds it again from any later run, so the same judge meeting the
same answer to the same case under the same rubric is never asked twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine, select, update

from champion._records import JudgeCall, Trial
from champion._store import schema
from champion._store.engine import run_write
from champion._store.rows import utc

__all__ = ["JudgeQueries"]

_table = schema.judge_calls
_FIELDS = tuple(JudgeCall.__dataclass_fields__)


class JudgeQueries:
    """The store's judge verdicts (mixed into :class:`~champion._store.Store`)."""

    engine: Engine

    def add_judge_calls(self, run_id: str, calls: Sequence[JudgeCall]) -> None:
        """Persist judge calls in one transaction."""
        if not calls:
            return
        rows = [{"run_id": run_id, **{name: getattr(call, name) for name in _FIELDS}}
                for call in calls]
        run_write(self.engine, lambda connection: connection.execute(_table.insert(), rows))

    def judge_calls(self, run_id: str) -> list[JudgeCall]:
        """A run's judge calls in the order they were stored."""
        query = (select(*(_table.c[name] for name in _FIELDS))
                 .where(_table.c.run_id == run_id).order_by(_table.c.id))
        with self.engine.connect() as connection:
            calls = [JudgeCall(*row) for row in connection.execute(query)]
        for call in calls:
            call.started_at = utc(call.started_at)
        return calls

    def cached_verdicts(self, judge_keys: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """cache key → (verdict, reason) of every real call with a verdict by these judges."""
        keys = sorted(set(judge_keys))
        found: dict[str, tuple[str, str | None]] = {}
        if not keys:
            return found
        query = (select(_table.c.cache_key, _table.c.verdict, _table.c.reason)
                 .where(_table.c.judge_key.in_(keys), _table.c.verdict.is_not(None),
                        _table.c.cached.is_(False))
                 .order_by(_table.c.id))
        with self.engine.connect() as connection:
            for cache_key, verdict, reason in connection.execute(query):
                found.setdefault(cache_key, (verdict, reason))
        return found

    def update_trial_verdicts(self, run_id: str, trials: Sequence[Trial]) -> None:
        """Store new verdicts of trials judged again (correct, got, reason, unjudged)."""
        if not trials:
            return
        table = schema.trials

        def work(connection: Connection) -> None:
            for trial in trials:
                connection.execute(
                    update(table).where(table.c.run_id == run_id, table.c.model == trial.model,
                                        table.c.case_id == trial.case_id,
                                        table.c.batch == trial.batch)
                    .values(correct=trial.correct, got=trial.got, reason=trial.reason,
                            parsed_ok=trial.parsed_ok, unjudged=trial.unjudged))

        run_write(self.engine, work)
