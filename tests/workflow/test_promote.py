"""Promoting a workflow as one unit, its registry table, rollback, and the Router."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from champion._cli.main import cli
from champion._registry import Registry
from champion._registry.router import Router
from champion._store import Store
from tests.workflow.factories import Figures, store_run

WORKFLOW = """\
workflow: job-processing
budget: {memory_gb: 2}
steps:
  - {id: extract, task: extract-task}
  - {id: grade, task: grade-task, after: [extract]}
"""


def _cli(db: str, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", db])


def _store_runs(db: str, minutes: int = 0) -> None:
    with Store(db) as store:
        for task, fast in (("extract-task", "fast-e"), ("grade-task", "fast-g")):
            store_run(store, task, [Figures(fast, 20.0, 400.0, 1000.0),
                                    Figures("big", 40.0, 400.0, 1500.0)], minutes=minutes)


def test_promote_then_registry_shows_the_table_and_rollback_restores_the_previous_plan(
        any_db: str, write: Callable[[str, str], Path]) -> None:
    _store_runs(any_db)
    path = write("w.yaml", WORKFLOW)
    few = _cli(any_db, "promote", "--workflow", str(path), "--items", "5", "--stage", "dev")
    assert few.exit_code == 0, few.output
    assert "promoted workflow job-processing on dev (plan for 5 items" in few.output
    assert "extract: big (fallback fast-e), route job-processing/extract" in few.output
    table = _cli(any_db, "registry", "--workflow", "job-processing")
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert any(line.startswith("┃ step") and "runner-up" in line and "memory" in line
               and "status" in line for line in lines)
    extract = next(line for line in lines if "│ extract" in line)
    assert "big" in extract and "fast-e" in extract and "1500 MB" in extract
    assert "shared: batch together (with grade)" in extract and "over budget" in extract

    # Many items: each step's own champion; one promotion, one rollback.
    many = _cli(any_db, "promote", "--workflow", str(path), "--items", "1000", "--stage",
                "dev")
    assert many.exit_code == 0 and "extract: fast-e" in many.output
    steps = json.loads(_cli(any_db, "registry", "--workflow", str(path), "--format",
                            "json").output)[0]["steps"]
    over = ["over budget: the runner-up does not fit beside the resident models"]
    assert [(s["step"], s["champion"], s["runner_up"], s["status"]) for s in steps] == [
        ("extract", "fast-e", "big", over), ("grade", "fast-g", "big", over)]
    back = _cli(any_db, "promote", "--workflow", str(path), "--stage", "dev", "--rollback")
    assert back.exit_code == 0 and "rolled back workflow job-processing on dev" in back.output
    current = json.loads(_cli(any_db, "registry", "--workflow", "job-processing", "--format",
                              "json").output)
    assert [(c["stage"], c["action"], c["items"]) for c in current] == [("dev", "rollback", 5)]
    assert [s["champion"] for s in current[0]["steps"]] == ["big", "big"]
    with Store(any_db) as store:
        history = store.workflow_promotion_history("job-processing")
        assert [(row.action, row.items) for row in history] == [
            ("promote", 5), ("promote", 1000), ("rollback", 5)]
        assert [r.champion for r in history[-1].routes] == ["big", "big"]
    again = _cli(any_db, "promote", "--workflow", str(path), "--stage", "dev", "--rollback")
    assert again.exit_code == 2 and "no earlier promotion to roll back to" in again.output


def test_each_step_is_a_registry_route_the_router_serves_with_the_planned_model(
        any_db: str, write: Callable[[str, str], Path]) -> None:
    _store_runs(any_db)
    path = write("w.yaml", WORKFLOW)
    assert _cli(any_db, "promote", "--workflow", str(path), "--items", "5").exit_code == 0
    with Store(any_db) as store:
        registry = Registry(store)
        entries = {e.task: e for e in registry.entries("prod")}
        assert set(entries) == {"job-processing/extract", "job-processing/grade"}
        entry = entries["job-processing/extract"]
        assert (entry.champion.id, entry.runner_up and entry.runner_up.id) == ("big", "fast-e")
        assert entry.suite.task == "extract-task"
        assert registry.entry("job-processing/grade", "prod") is not None
        version = registry.version()
        with Router(store) as router:
            answer = router.complete("job-processing/extract", {"ticket": "charged twice"})
            assert (answer.value, answer.served_by, answer.fallback_reason) == (
                "billing", "big", None)
        assert _cli(any_db, "promote", "--workflow", str(path), "--items", "1000").exit_code \
            == 0
        assert registry.version() > version  # the router reads the registry again
        with Router(store) as router:
            assert router.complete("job-processing/extract",
                                   {"ticket": "x"}).served_by == "fast-e"
    env = _cli(any_db, "registry", "--format", "env").output
    assert "CHAMPION_JOB_PROCESSING_EXTRACT_MODEL=fast-e" in env


def test_nothing_fits_is_not_promoted(db_url: str, write: Callable[[str, str], Path]) -> None:
    _store_runs(db_url)
    path = write("w.yaml", WORKFLOW.replace("memory_gb: 2", "memory_gb: 0.5"))
    done = _cli(db_url, "promote", "--workflow", str(path))
    assert done.exit_code == 2
    assert "nothing fits, so nothing is promoted" in done.output
    assert _cli(db_url, "registry", "--workflow", "job-processing").exit_code == 2


@pytest.mark.parametrize(("args", "message"), [
    (("promote", "some-task", "--workflow", "w.yaml"), "--workflow takes no TASK or --run"),
    (("promote",), "name a TASK (or --workflow WORKFLOW_FILE)"),
    (("registry", "--workflow", "nope"), "workflow 'nope' is not promoted"),
    (("registry", "--workflow", "w", "--format", "env"), "--workflow prints a table or json"),
])
def test_misused_workflow_options_exit_2(db_url: str, args: tuple[str, ...],
                                         message: str) -> None:
    done = _cli(db_url, *args)
    assert done.exit_code == 2 and message in done.output


def test_plan_with_stage_shows_what_the_stage_serves(
        db_url: str, write: Callable[[str, str], Path]) -> None:
    _store_runs(db_url)
    path = write("w.yaml", WORKFLOW)
    assert _cli(db_url, "promote", "--workflow", str(path), "--items", "5").exit_code == 0
    plan = json.loads(_cli(db_url, "plan", str(path), "--items", "1000", "--stage", "prod",
                           "--format", "json").output)
    promoted = plan["promoted"]
    assert promoted["promoted"] is True and promoted["promoted_items"] == 5
    assert promoted["changes"] == [{"step": "extract", "from": "big", "to": "fast-e"},
                                   {"step": "grade", "from": "big", "to": "fast-g"}]
    # the promoted plan (big everywhere) projected for 1000 items
    assert promoted["projected_total_ms"] == pytest.approx(400 + 1000 * 80)
    none = json.loads(_cli(db_url, "plan", str(path), "--stage", "dev", "--format",
                           "json").output)
    assert none["promoted"] == {"stage": "dev", "promoted": False}
