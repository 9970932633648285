"""Workflow rows in the store (SQLite and PostgreSQL), and verify runs that fail or stop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from champion._errors import InputError
from champion._store import Store, WorkflowRouteRow
from champion._workflow import load_items, load_workflow, plan_workflow, verify_plan
from tests.workflow.factories import Figures, store_run


def _route(step: str, run_id: str, model: str) -> WorkflowRouteRow:
    return WorkflowRouteRow(step=step, position=0, task="t", run_id=run_id, champion=model,
                            champion_key=f"test/{model}@test", runner_up=None,
                            runner_up_key=None)


def test_promotions_routes_and_verify_runs_round_trip(any_db: str) -> None:
    with Store(any_db) as store:
        run_id = store_run(store, "t", [Figures("m", 10.0)])
        assert store.workflow_names() == [] and store.workflow_routes() == []
        before = (store.registry_version(), store.workflow_version())
        first = store.add_workflow_promotion(workflow="w", stage="prod", items=10,
                                             plan={"steps": [], "items": 10},
                                             routes=[_route("a", run_id, "m")])
        second = store.add_workflow_promotion(workflow="w", stage="prod", items=99,
                                              plan={"items": 99}, routes=[])
        assert second.previous_id == first.id and store.registry_version() > before[0]
        back = store.roll_back_workflow("w", "prod")
        assert (back.action, back.items, back.previous_id) == ("rollback", 10, None)
        assert [r.champion for r in back.routes] == ["m"] and back.plan == first.plan
        with pytest.raises(InputError, match="no earlier promotion"):
            store.roll_back_workflow("w", "prod")
        with pytest.raises(InputError, match="not promoted on dev"):
            store.roll_back_workflow("w", "dev")
        routes = store.workflow_routes("prod")
        assert [(r.task, r.run_id, r.champion) for r in routes] == [("w/a", run_id, "m")]
        store.begin_verification(verification_id="v1", workflow="w", items=3, plan={"x": 1})
        store.save_verification("v1", {"calls": [{"output": "<b>"}]})
        running = store.latest_verification("w")
        assert running is not None and (running.status, running.finished_at) == ("running",
                                                                                  None)
        store.save_verification("v1", {"calls": []}, "interrupted")
        stopped = store.latest_verification("w")
        assert stopped is not None and stopped.status == "interrupted"
        assert stopped.finished_at is not None and stopped.measured == {"calls": []}
        assert store.workflow_names() == ["w"]
        assert store.workflow_version() != before[1]


@pytest.fixture
def broken_plan(db_url: str, write: Callable[[str, str], Path]) -> tuple[str, Any, Path]:
    """A plan whose second step's model answers, and whose first fails every call."""
    with Store(db_url) as store:
        store_run(store, "t1", [Figures("down", 10.0)])
        store_run(store, "t2", [Figures("up", 10.0)])
    path = write("w.yaml", "workflow: w\nsteps:\n  - {id: a, task: t1}\n"
                 "  - {id: b, task: t2}\n")
    items = write("items.yaml", "- {id: i1, vars: {ticket: x}}\n- {id: i2, vars: {ticket: y}}\n"
                  "- {id: i3, vars: {ticket: z}}\n")
    return db_url, path, items


def test_a_provider_that_fails_is_recorded_and_its_items_go_no_further(
        broken_plan: tuple[str, Path, Path]) -> None:
    db, path, items_file = broken_plan
    with Store(db) as store:
        import sqlalchemy as sa

        from champion._store import schema

        with store.engine.begin() as connection:  # "down" now refuses every call
            connection.execute(schema.run_models.update().where(
                schema.run_models.c.model == "down").values(candidate={
                    "id": "down", "provider": "test", "model": "down",
                    "options": {"error": "unavailable"}}))
            assert connection.scalar(sa.select(sa.func.count()).select_from(
                schema.run_models)) == 2
        plan = plan_workflow(load_workflow(path, store.tasks()), store, 3)
        verified = verify_plan(plan, load_items(items_file, plan), store)
        assert verified.status == "complete"
        a, b = verified.steps
        assert (a.calls, a.errors, a.loads, b.calls, b.skipped) == (3, 3, 1, 0, 3)
        assert all(c.error and "unavailable" in c.error for c in verified.calls
                   if c.step == "a")
        stored = store.latest_verification("w")
        assert stored is not None and len((stored.measured or {})["calls"]) == 3


def test_an_interrupted_verify_run_keeps_what_it_measured(
        broken_plan: tuple[str, Path, Path]) -> None:
    db, path, items_file = broken_plan
    with Store(db) as store:
        plan = plan_workflow(load_workflow(path, store.tasks()), store, 3)
        seen: list[str] = []

        def stop_after_four(record: Any) -> None:
            seen.append(record.item)
            if len(seen) == 4:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            verify_plan(plan, load_items(items_file, plan), store, stop_after_four)
        stored = store.latest_verification("w")
        assert stored is not None and stored.status == "interrupted"
        assert stored.finished_at is not None
        assert len((stored.measured or {})["calls"]) == 4
