"""examples/workflow.yaml on the bundled models (embedded, in process), through the CLI:
benchmark both suites, plan, verify three items, promote, and resolve a step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.model

EXAMPLES = ROOT / "examples"


def test_the_example_workflow_is_planned_and_verified_on_the_bundled_models(
        tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'champion.db'}"
    bench = run_cli("run", str(EXAMPLES / "destination-city.yaml"),
                    str(EXAMPLES / "order-number.yaml"), "-m", "builtin", "--repeats", "1",
                    "--db", db, cwd=tmp_path)
    assert bench.returncode == 0, bench.stderr

    planned = run_cli("plan", str(EXAMPLES / "workflow.yaml"), "--items", "100", "--format",
                      "json", "--db", db, cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert plan["workflow"] == "travel-desk" and plan["feasible"] is True
    models = {m["id"]: m for m in plan["models"]}
    assert set(models) <= {"smollm2-135m", "gemma3-270m"}
    assert all(m["memory_source"] == "measured" and m["cold_start_ms"] > 0
               for m in models.values())
    steps = plan["steps"]
    assert [s["id"] for s in steps] == ["city", "order"]
    # one model serves both steps when it qualifies on both: loaded once
    if steps[0]["model"] == steps[1]["model"]:
        assert plan["loads"] == 1 and steps[0]["shared_with"] == ["order"]
    assert plan["projected_total_ms"] <= plan["per_step_champions"]["projected_total_ms"]

    verified = run_cli("plan", str(EXAMPLES / "workflow.yaml"), "--items", "3", "--verify",
                       str(EXAMPLES / "workflow-items.yaml"), "--format", "json", "--db", db,
                       cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    verify = json.loads(verified.stdout)["verify"]
    assert verify["status"] == "complete"
    assert [(s["step"], s["calls"], s["errors"]) for s in verify["steps"]] == [
        ("city", 3, 0), ("order", 2, 0)]
    # the same inputs the models answered correctly at temperature 0 in the benchmark
    assert (verify["correct"], verify["graded"]) == (5, 5)
    assert verify["measured_total_ms"] > 0 and verify["projected_total_ms"] > 0

    promoted = run_cli("promote", "--workflow", str(EXAMPLES / "workflow.yaml"), "--db", db,
                       cwd=tmp_path)
    assert promoted.returncode == 0, promoted.stderr
    table = run_cli("registry", "--workflow", "travel-desk", "--db", db, cwd=tmp_path)
    assert table.returncode == 0 and "destination-city" in table.stdout
