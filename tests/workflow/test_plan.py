"""Planning from stored rankings: the joint choice, the objective, the budget."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from champion._cli.main import cli
from champion._errors import InputError
from champion._store import Store
from champion._workflow import load_workflow
from champion._workflow.plan import plan_workflow
from champion._workflow.projection import project
from champion._workflow.solver import Problem, solve
from tests.workflow.factories import Figures, store_run

PIPELINE = """\
workflow: job-processing
budget: {{memory_gb: {memory_gb}}}
flow: {flow}
steps:
  - {{id: extract, task: extract-task}}
  - {{id: grade, task: grade-task, after: [extract]}}
  - {{id: ticket, task: ticket-task, after: [grade], share: 0.4}}
"""


@pytest.fixture
def pipeline_db(db_url: str) -> str:
    """Each step's champion is its own fast model; ``big`` qualifies on all three,
    slower per call but one load for the whole pipeline."""
    with Store(db_url) as store:
        for task, fast in (("extract-task", "fast-e"), ("grade-task", "fast-g"),
                           ("ticket-task", "fast-t")):
            store_run(store, task, [Figures(fast, 20.0, 400.0, 1000.0),
                                    Figures("big", 40.0, 400.0, 1500.0),
                                    Figures("wrong", 5.0, 10.0, 100.0, qualified=False)])
    return db_url


def _plan(db: str, path: Path, *args: str) -> tuple[Result, dict[str, Any]]:
    done = CliRunner().invoke(cli, ["plan", str(path), "--format", "json", "--db", db, *args])
    return done, json.loads(done.output)


def test_a_shared_model_wins_once_loads_count_and_the_plan_says_why(
        write: Callable[[str, str], Path], pipeline_db: str) -> None:
    path = write("w.yaml", PIPELINE.format(memory_gb=2, flow="wave"))
    done, plan = _plan(pipeline_db, path, "--items", "10")
    assert done.exit_code == 0
    assert plan["feasible"] is True and plan["workflow"] == "job-processing"
    assert [(s["id"], s["model"], s["champion"]) for s in plan["steps"]] == [
        ("extract", "big", "fast-e"), ("grade", "big", "fast-g"), ("ticket", "big", "fast-t")]
    assert plan["steps"][0]["shared_with"] == ["grade", "ticket"]
    # 400 ms load + 10 × (40 + 40 + 0.4 × 40) ms; the champions: 3 loads + 10 × 48 ms
    assert plan["projected_total_ms"] == pytest.approx(1360.0)
    assert (plan["loads"], plan["peak_memory_mb"]) == (1, 1500.0)
    champions = plan["per_step_champions"]
    assert (champions["projected_total_ms"], champions["loads"], champions["peak_memory_mb"]) \
        == (pytest.approx(1680.0), 3, 1000.0)
    assert plan["why"].startswith("big runs extract, grade and ticket: 1 load instead of 3"
                                  " loads saves 800 ms of loading, more than the 480 ms")
    assert [s["fallback"] for s in plan["steps"]] == ["fast-e", "fast-g", "fast-t"]
    assert plan["steps"][0]["fallback_fits"] is False  # 1500 + 1000 MB > 2 GB
    table = CliRunner().invoke(cli, ["plan", str(path), "--items", "10", "--db", pipeline_db])
    assert table.exit_code == 0
    assert "why: big runs extract, grade and ticket" in table.output
    assert "each step's own champion: 1.7 s for 10 items" in table.output


def test_with_many_items_each_step_keeps_its_own_champion(
        write: Callable[[str, str], Path], pipeline_db: str) -> None:
    path = write("w.yaml", PIPELINE.format(memory_gb=2, flow="wave"))
    _done, plan = _plan(pipeline_db, path, "--items", "1000")
    assert [s["model"] for s in plan["steps"]] == ["fast-e", "fast-g", "fast-t"]
    assert plan["projected_total_ms"] == plan["per_step_champions"]["projected_total_ms"]
    assert plan["why"] is None and all(not s["shared_with"] for s in plan["steps"])


def test_a_budget_below_any_model_fits_nothing_exit_3_and_says_what_is_closest(
        write: Callable[[str, str], Path], pipeline_db: str) -> None:
    path = write("w.yaml", PIPELINE.format(memory_gb=0.5, flow="wave"))
    done, plan = _plan(pipeline_db, path, "--items", "10")
    assert done.exit_code == 3
    assert plan["feasible"] is False and plan["projected_total_ms"] is None
    assert plan["closest"]["models"] == ["fast-e", "fast-g", "fast-t"]
    assert plan["closest"]["memory_excess_mb"] == pytest.approx(500.0)
    assert "no assignment of qualified models fits the budget; the closest (extract: fast-e," \
        " grade: fast-g, ticket: fast-t) its peak memory 1000 MB is 500 MB over memory_gb" \
        " 0.5" in plan["reason"]
    table = CliRunner().invoke(cli, ["plan", str(path), "--items", "10", "--db", pipeline_db])
    assert table.exit_code == 3 and "nothing fits: no assignment" in table.output


def test_item_flow_keeps_every_model_resident_or_reloads_it_per_item(
        write: Callable[[str, str], Path], pipeline_db: str) -> None:
    # One at a time through all steps: the three champions need 3 GB resident at
    # once; in 2.5 GB two stay and the third is swapped in and out for every item.
    # The plan keeps big for extract and ticket and fast-g beside it: 2.5 GB, 2 loads.
    path = write("w.yaml", PIPELINE.format(memory_gb=2.5, flow="item"))
    _done, plan = _plan(pipeline_db, path, "--items", "100")
    assert [s["model"] for s in plan["steps"]] == ["big", "fast-g", "big"]
    assert (plan["loads"], plan["peak_memory_mb"]) == (2, 2500.0)
    assert plan["projected_total_ms"] == pytest.approx(800 + 100 * (40 + 20 + 0.4 * 40))
    assert plan["steps"][0]["shared_with"] == ["ticket"]
    champions = plan["per_step_champions"]
    assert champions["feasible"] is True and champions["peak_memory_mb"] <= 2500
    # two loads once, and one swap per item that reaches the swapped step
    assert champions["loads"] > 40
    roomy = write("roomy.yaml", PIPELINE.format(memory_gb=3, flow="item"))
    _done, plan = _plan(pipeline_db, roomy, "--items", "100")
    assert [s["model"] for s in plan["steps"]] == ["fast-e", "fast-g", "fast-t"]
    assert (plan["loads"], plan["peak_memory_mb"]) == (3, 3000.0)
    assert plan["steps"][0]["resident"] == ["fast-e", "fast-g", "fast-t"]


def test_the_per_item_ceiling_rules_out_a_slow_shared_model(
        write: Callable[[str, str], Path], pipeline_db: str) -> None:
    text = PIPELINE.format(memory_gb=2, flow="wave").replace(
        "{memory_gb: 2}", "{memory_gb: 2, max_item_ms: 90}")
    _done, plan = _plan(pipeline_db, write("w.yaml", text), "--items", "10")
    assert [s["model"] for s in plan["steps"]] == ["fast-e", "fast-g", "fast-t"]
    assert plan["item_latency_ms"] == 60.0
    tight = text.replace("max_item_ms: 90", "max_item_ms: 50")
    done, plan = _plan(pipeline_db, write("t.yaml", tight), "--items", "10")
    assert done.exit_code == 3 and plan["closest"]["item_excess_ms"] == pytest.approx(10.0)
    assert "one item takes 60 ms, 10 ms over max_item_ms 50" in plan["reason"]


def test_a_model_shared_by_steps_apart_stays_resident_only_when_memory_allows(
        db_url: str, write: Callable[[str, str], Path]) -> None:
    with Store(db_url) as store:
        store_run(store, "t1", [Figures("m1", 10.0, 500.0, 1000.0)])
        store_run(store, "t2", [Figures("m2", 10.0, 500.0, 1000.0)])
        store_run(store, "t3", [Figures("m1", 10.0, 500.0, 1000.0)])
    text = ("workflow: w\nbudget: {{memory_gb: {gb}}}\nsteps:\n  - {{id: a, task: t1}}\n"
            "  - {{id: b, task: t2}}\n  - {{id: c, task: t3}}\n")
    _done, roomy = _plan(db_url, write("roomy.yaml", text.format(gb=2)), "--items", "5")
    assert roomy["loads"] == 2 and roomy["steps"][1]["resident"] == ["m1", "m2"]
    _done, tight = _plan(db_url, write("tight.yaml", text.format(gb=1)), "--items", "5")
    assert tight["loads"] == 3 and [s["loads"] for s in tight["steps"]] == [1, 1, 1]
    assert tight["projected_total_ms"] == pytest.approx(3 * 500 + 5 * 30)


def test_the_plan_reads_the_latest_complete_benchmark_of_the_current_suite(
        db_url: str, write: Callable[[str, str], Path]) -> None:
    path = write("w.yaml", "workflow: w\nsteps:\n  - {id: a, task: t}\n")
    with Store(db_url) as store:
        store_run(store, "t", [Figures("old", 10.0)], minutes=0, fingerprint="fp-old")
        store_run(store, "t", [Figures("current", 30.0)], minutes=1, fingerprint="fp-new")
        store_run(store, "t", [Figures("rechecked", 5.0)], minutes=2, fingerprint="fp-new",
                  purpose="check")
        store_run(store, "t", [Figures("unfinished", 5.0)], minutes=3, fingerprint="fp-new",
                  status="running")
        plan = plan_workflow(load_workflow(path, store.tasks()), store, 10)
        assert [plan.model_id(s.model_key) for s in plan.steps] == ["current"]
        store_run(store, "t", [Figures("newer-suite", 5.0)], minutes=4, fingerprint="fp-3",
                  status="running")
        with pytest.raises(InputError, match="no complete benchmark of its current suite"):
            plan_workflow(load_workflow(path, store.tasks()), store, 10)


def test_memory_comes_from_size_gb_when_not_measured_and_unknowns_are_noted(
        db_url: str, write: Callable[[str, str], Path]) -> None:
    with Store(db_url) as store:
        store_run(store, "t", [Figures("sized", 10.0, None, None, size_gb=0.8),
                               Figures("unknown", 20.0, 100.0, None)])
    path = write("w.yaml", "workflow: w\nbudget: {memory_gb: 0.5}\n"
                 "steps:\n  - {id: a, task: t}\n")
    _done, plan = _plan(db_url, path, "--items", "10")
    assert plan["steps"][0]["model"] == "unknown"  # sized: 800 MB > 500 MB
    assert {m["id"]: (m["memory_mb"], m["memory_source"]) for m in plan["models"]} == {
        "sized": (800.0, "size_gb"), "unknown": (None, "unknown")}
    assert any("unknown: memory unknown" in note for note in plan["notes"])


def test_a_step_without_a_qualified_model_fits_nothing(
        db_url: str, write: Callable[[str, str], Path]) -> None:
    with Store(db_url) as store:
        store_run(store, "t1", [Figures("m", 10.0)])
        run_id = store_run(store, "t2", [Figures("m", 10.0, qualified=False)])
    path = write("w.yaml", "workflow: w\nsteps:\n  - {id: a, task: t1}\n"
                 "  - {id: b, task: t2, after: [a]}\n")
    done, plan = _plan(db_url, path)
    assert done.exit_code == 3
    assert plan["reason"] == f"step 'b': no model qualified on task 't2' (run {run_id})"
    assert plan["steps"][1]["model"] is None and plan["closest"] is None


def _brute_force(problem: Problem) -> float | None:
    """The least projected total over every assignment and every residency."""
    count = len(problem.shares)
    models = sorted({m for options in problem.latency for m in options})
    best = None
    subsets = [frozenset(c) for r in range(len(models) + 1)
               for c in itertools.combinations(models, r)]
    for chosen in itertools.product(*(sorted(options) for options in problem.latency)):
        for resident in itertools.product(*([s for s in subsets if chosen[t] in s]
                                            for t in range(count))):
            projection = project(problem.flow, problem.shares,
                                 [problem.latency[t][m] for t, m in enumerate(chosen)],
                                 resident, problem.cold_start_ms, problem.memory_mb)
            if problem.memory_budget_mb is not None and \
                    projection.peak_memory_mb > problem.memory_budget_mb + 1e-9:
                continue
            if problem.max_item_ms is not None and \
                    projection.item_latency_ms > problem.max_item_ms + 1e-9:
                continue
            total = projection.total_ms(problem.items)
            best = total if best is None else min(best, total)
    return best


@pytest.mark.parametrize("seed", range(30))
def test_the_solver_finds_the_least_projected_time_that_fits(seed: int) -> None:
    rng = random.Random(seed)
    models = ["m1", "m2", "m3"]
    count = rng.choice([2, 3])
    latency = tuple({m: float(rng.randint(5, 60)) for m in rng.sample(models, rng.randint(1, 3))}
                    for _ in range(count))
    problem = Problem(
        flow=rng.choice(["wave", "item"]), items=rng.choice([1, 5, 40]),
        shares=tuple(rng.choice([1.0, 0.5, 0.25]) for _ in range(count)), latency=latency,
        rank=tuple({m: i for i, m in enumerate(sorted(opts))} for opts in latency),
        cold_start_ms={m: float(rng.randint(0, 500)) for m in models},
        memory_mb={m: float(rng.randint(1, 4) * 500) for m in models},
        memory_budget_mb=rng.choice([None, 1000.0, 2500.0]),
        max_item_ms=rng.choice([None, 90.0]))
    expected = _brute_force(problem)
    solution = solve(problem)
    if expected is None:
        assert solution is None
        return
    assert solution is not None
    found = project(problem.flow, problem.shares,
                    [problem.latency[t][m] for t, m in enumerate(solution.models)],
                    solution.resident, problem.cold_start_ms, problem.memory_mb)
    assert found.total_ms(problem.items) == pytest.approx(expected, abs=1e-3)


def test_only_solving_imports_the_solver() -> None:
    import subprocess
    import sys

    code = ("import sys, champion, champion._workflow as w, champion._cli.plan, "
            "champion._workflow.plan, champion._workflow.promotion, champion._web.workflows\n"
            "for name in w.__all__: getattr(w, name)\n"
            "assert 'highspy' not in sys.modules, 'imported early'\n"
            "from champion._workflow.solver import solver_version\n"
            "print(solver_version())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("HiGHS ")
