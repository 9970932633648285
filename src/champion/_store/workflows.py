"""Workflow promotions (with their per-step routes) and verify runs.

What a (workflow, stage) serves is its newest promotion row. A promotion
points at the one it replaced; a rollback copies the one before the current
and points where that one pointed, so repeated rollbacks walk further back,
as task promotions do. Each promotion's steps are routes named
``WORKFLOW/STEP`` that the registry serves like tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text

from champion._errors import InputError
from champion._store import schema
from champion._store.engine import run_write
from champion._store.rows import PromotionRow, utc

__all__ = ["VerificationRow", "WorkflowPromotionRow", "WorkflowQueries", "WorkflowRouteRow",
           "route_name"]

_promotions, _routes, _verifications = (schema.workflow_promotions, schema.workflow_routes,
                                        schema.workflow_verifications)
#: Names the advisory lock that orders workflow promotions on PostgreSQL.
_PG_LOCK_ID = 0x77_66_70_72_6F  # "wfpro"


def route_name(workflow: str, step: str) -> str:
    """The registry name of a workflow step: ``WORKFLOW/STEP``."""
    return f"{workflow}/{step}"


@dataclass(frozen=True, slots=True)
class WorkflowRouteRow:
    """One step of a workflow promotion: its task's run, planned model and fallback."""

    step: str
    position: int
    task: str
    run_id: str
    champion: str
    champion_key: str
    runner_up: str | None
    runner_up_key: str | None


@dataclass(frozen=True, slots=True)
class WorkflowPromotionRow:
    """One promotion or rollback of a workflow's plan on a stage."""

    id: int
    workflow: str
    stage: str
    items: int
    #: The plan as ``champion plan --format json`` prints it.
    plan: dict[str, Any]
    promoted_at: datetime
    previous_id: int | None
    #: ``promote`` or ``rollback``.
    action: str
    routes: tuple[WorkflowRouteRow, ...]


@dataclass(frozen=True, slots=True)
class VerificationRow:
    """One measured check of a plan."""

    id: str
    workflow: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    items: int
    plan: dict[str, Any]
    measured: dict[str, Any] | None


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})


def _routes_of(connection: Connection, ids: Sequence[int]) -> dict[int, list[WorkflowRouteRow]]:
    found: dict[int, list[WorkflowRouteRow]] = {}
    if not ids:
        return found
    query = select(_routes).where(_routes.c.promotion_id.in_(list(ids))).order_by(
        _routes.c.promotion_id, _routes.c.position)
    for row in connection.execute(query):
        found.setdefault(row.promotion_id, []).append(WorkflowRouteRow(
            step=row.step, position=row.position, task=row.task, run_id=row.run_id,
            champion=row.champion, champion_key=row.champion_key, runner_up=row.runner_up,
            runner_up_key=row.runner_up_key))
    return found


def _promotion_rows(connection: Connection, rows: Sequence[Any]) -> list[WorkflowPromotionRow]:
    routes = _routes_of(connection, [row.id for row in rows])
    return [WorkflowPromotionRow(
        id=row.id, workflow=row.workflow, stage=row.stage, items=row.items,
        plan=dict(row.plan or {}), promoted_at=utc(row.promoted_at) or datetime.now(UTC),
        previous_id=row.previous_id, action=row.action, routes=tuple(routes.get(row.id, ())))
        for row in rows]


def _current(connection: Connection, workflow: str, stage: str) -> Any:
    return connection.execute(
        select(_promotions).where(_promotions.c.workflow == workflow,
                                  _promotions.c.stage == stage)
        .order_by(_promotions.c.id.desc()).limit(1)).first()


def _insert(connection: Connection, values: dict[str, Any],
            routes: Sequence[WorkflowRouteRow]) -> WorkflowPromotionRow:
    key = connection.execute(_promotions.insert().values(**values)).inserted_primary_key
    assert key is not None
    new_id = int(key[0])
    if routes:
        connection.execute(_routes.insert(), [
            {"promotion_id": new_id, "step": r.step, "position": r.position, "task": r.task,
             "run_id": r.run_id, "champion": r.champion, "champion_key": r.champion_key,
             "runner_up": r.runner_up, "runner_up_key": r.runner_up_key} for r in routes])
    row = connection.execute(select(_promotions).where(_promotions.c.id == new_id)).one()
    return _promotion_rows(connection, [row])[0]


def _verification(row: Any) -> VerificationRow:
    return VerificationRow(
        id=row.id, workflow=row.workflow, status=row.status,
        started_at=utc(row.started_at) or datetime.now(UTC), finished_at=utc(row.finished_at),
        items=row.items, plan=dict(row.plan or {}),
        measured=None if row.measured is None else dict(row.measured))


class WorkflowQueries:
    """Workflow promotions and verify runs; mixed into :class:`champion._store.Store`."""

    engine: Engine

    # -- promotions --------------------------------------------------------

    def add_workflow_promotion(self, *, workflow: str, stage: str, items: int,
                               plan: dict[str, Any], routes: Sequence[WorkflowRouteRow]
                               ) -> WorkflowPromotionRow:
        """Make this plan what the stage serves; the current one becomes its previous."""
        def work(connection: Connection) -> WorkflowPromotionRow:
            _lock(connection)
            current = _current(connection, workflow, stage)
            return _insert(connection, {
                "workflow": workflow, "stage": stage, "items": items, "plan": plan,
                "promoted_at": datetime.now(UTC), "action": "promote",
                "previous_id": None if current is None else current.id}, routes)

        return run_write(self.engine, work)

    def roll_back_workflow(self, workflow: str, stage: str) -> WorkflowPromotionRow:
        """Serve again the plan before the current one; InputError when there is none."""
        def work(connection: Connection) -> WorkflowPromotionRow:
            _lock(connection)
            current = _current(connection, workflow, stage)
            if current is None:
                raise InputError(f"workflow {workflow!r} is not promoted on {stage}")
            if current.previous_id is None:
                raise InputError(f"workflow {workflow!r} on {stage} has no earlier promotion"
                                 " to roll back to")
            previous = connection.execute(select(_promotions).where(
                _promotions.c.id == current.previous_id)).one()
            routes = _routes_of(connection, [previous.id]).get(previous.id, [])
            return _insert(connection, {
                "workflow": workflow, "stage": stage, "items": previous.items,
                "plan": previous.plan, "promoted_at": datetime.now(UTC), "action": "rollback",
                "previous_id": previous.previous_id}, routes)

        return run_write(self.engine, work)

    def workflow_promotion(self, workflow: str, stage: str) -> WorkflowPromotionRow | None:
        """What the stage serves for the workflow now."""
        with self.engine.connect() as connection:
            row = _current(connection, workflow, stage)
            return None if row is None else _promotion_rows(connection, [row])[0]

    def current_workflow_promotions(self, stage: str | None = None,
                                    workflow: str | None = None
                                    ) -> list[WorkflowPromotionRow]:
        """The current promotion of every (workflow, stage), by workflow then stage."""
        newest = select(func.max(_promotions.c.id)).group_by(_promotions.c.workflow,
                                                             _promotions.c.stage)
        if stage is not None:
            newest = newest.where(_promotions.c.stage == stage)
        if workflow is not None:
            newest = newest.where(_promotions.c.workflow == workflow)
        query = (select(_promotions).where(_promotions.c.id.in_(newest.scalar_subquery()))
                 .order_by(_promotions.c.workflow, _promotions.c.stage))
        with self.engine.connect() as connection:
            return _promotion_rows(connection, connection.execute(query).all())

    def workflow_promotion_history(self, workflow: str) -> list[WorkflowPromotionRow]:
        """Every promotion and rollback of a workflow, oldest first."""
        query = (select(_promotions).where(_promotions.c.workflow == workflow)
                 .order_by(_promotions.c.id))
        with self.engine.connect() as connection:
            return _promotion_rows(connection, connection.execute(query).all())

    def workflow_routes(self, stage: str | None = None) -> list[PromotionRow]:
        """Every current workflow step as a registry row named ``WORKFLOW/STEP``."""
        return [PromotionRow(
            id=promotion.id, task=route_name(promotion.workflow, route.step),
            stage=promotion.stage, run_id=route.run_id, champion=route.champion,
            champion_key=route.champion_key, runner_up=route.runner_up,
            runner_up_key=route.runner_up_key, promoted_at=promotion.promoted_at,
            previous_id=promotion.previous_id, action=promotion.action)
            for promotion in self.current_workflow_promotions(stage)
            for route in promotion.routes]

    def workflow_names(self) -> list[str]:
        """Every workflow promoted or verified, sorted."""
        with self.engine.connect() as connection:
            names = set(connection.scalars(select(_promotions.c.workflow).distinct()))
            names |= set(connection.scalars(select(_verifications.c.workflow).distinct()))
        return sorted(names)

    # -- verify runs -------------------------------------------------------

    def begin_verification(self, *, verification_id: str, workflow: str, items: int,
                           plan: dict[str, Any]) -> None:
        """Record a verify run as started."""
        run_write(self.engine, lambda connection: connection.execute(
            _verifications.insert().values(
                id=verification_id, workflow=workflow, status="running",
                started_at=datetime.now(UTC), items=items, plan=plan)))

    def save_verification(self, verification_id: str, measured: dict[str, Any],
                          status: str = "running") -> None:
        """Store what a verify run measured so far (and its status; a final one
        sets the finish time)."""
        values: dict[str, Any] = {"measured": measured, "status": status}
        if status != "running":
            values["finished_at"] = datetime.now(UTC)
        run_write(self.engine, lambda connection: connection.execute(
            _verifications.update().where(_verifications.c.id == verification_id)
            .values(**values)))

    def verifications(self, workflow: str) -> list[VerificationRow]:
        """Every verify run of a workflow, oldest first."""
        query = (select(_verifications).where(_verifications.c.workflow == workflow)
                 .order_by(_verifications.c.started_at, _verifications.c.id))
        with self.engine.connect() as connection:
            return [_verification(row) for row in connection.execute(query)]

    def latest_verification(self, workflow: str) -> VerificationRow | None:
        """The workflow's newest verify run."""
        query = (select(_verifications).where(_verifications.c.workflow == workflow)
                 .order_by(_verifications.c.started_at.desc(), _verifications.c.id.desc())
                 .limit(1))
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else _verification(row)

    def workflow_version(self) -> tuple[int, int, str | None]:
        """Changes with every workflow promotion, rollback and verify-run update:
        (newest promotion id, verify runs, newest verify run's status and finish)."""
        with self.engine.connect() as connection:
            promoted = int(connection.scalar(select(func.max(_promotions.c.id))) or 0)
            count = int(connection.scalar(select(func.count()).select_from(_verifications))
                        or 0)
            newest = connection.execute(
                select(_verifications.c.status, _verifications.c.finished_at)
                .order_by(_verifications.c.started_at.desc()).limit(1)).first()
        return promoted, count, None if newest is None else f"{newest[0]}@{newest[1]}"
