"""Workflow planning: what the solver costs, and how close the projection is to a measurement.

1. Import: the time ``import highspy`` takes in a fresh interpreter (only
   ``champion plan`` pays it; ``import champion`` and the other commands never load it).
2. Solve: the HiGHS program for synthetic pipelines of S steps × M qualified models
   per step (a shared pool, random latencies, cold starts and memory, a budget that
   binds), wave and item flow; median and worst of ``--repeat`` solves each.
3. Projection against measurement: a three-step scripted workflow on a loopback
   server speaking Ollama's protocol (known call and load times) is benchmarked,
   planned and verified for 5 and 20 items; measured total against projected.

Usage: python benchmarks/workflow.py [--repeat N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from champion._workflow.solver import Problem, solve

SIZES = [(3, 4), (7, 6), (12, 10), (20, 15)]


def import_ms() -> float:
    code = ("import time; t = time.perf_counter(); import highspy; "
            "print((time.perf_counter() - t) * 1000)")
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(5)]
    return statistics.median(runs)


def problem(steps: int, models: int, flow: str, rng: random.Random) -> Problem:
    pool = [f"m{i}" for i in range(models * 2)]
    latency = tuple({m: float(rng.randint(20, 2000)) for m in rng.sample(pool, models)}
                    for _ in range(steps))
    memory = {m: float(rng.randint(1, 8) * 1000) for m in pool}
    return Problem(
        flow=flow, items=100, shares=tuple(rng.choice([1.0, 1.0, 0.5, 0.2])
                                           for _ in range(steps)),
        latency=latency,
        rank=tuple({m: r for r, m in enumerate(sorted(opts, key=opts.__getitem__))}
                   for opts in latency),
        cold_start_ms={m: float(rng.randint(500, 20_000)) for m in pool},
        memory_mb=memory, memory_budget_mb=12_000.0, max_item_ms=None)


def solve_times(repeat: int) -> None:
    rng = random.Random(7)
    print("solve (HiGHS), 100 items, memory budget 12 GB:")
    for steps, models in SIZES:
        for flow in ("wave", "item"):
            times = []
            for _ in range(repeat):
                found = solve(problem(steps, models, flow, rng))
                assert found is not None
                times.append(found.solve_ms)
            print(f"  {steps:2d} steps × {models:2d} models, {flow:4s}: median"
                  f" {statistics.median(times):7.1f} ms, worst {max(times):7.1f} ms")


SUITE = """\
task: {task}
prompt: {{user: "{prefix}: {{{var}}}"}}
output: {{kind: label, labels: [{labels}]}}
repeats: 3
params: {{max_tokens: 4, timeout_s: 10}}
cases:
{cases}
"""


def projection_accuracy() -> None:
    from champion._api import run_suite
    from champion._runner import RunConfig
    from champion._store import Store
    from champion._suite import load_suite
    from champion._workflow import load_workflow
    from champion._workflow.items import load_items
    from champion._workflow.plan import plan_workflow
    from champion._workflow.verify import verify_plan
    from champion.testing import OllamaModel, OllamaProtocolServer

    rules = [("Text: .*alpha", "alpha"), ("Text: .*beta", "beta"), ("Kind: alpha", "yes"),
             ("Kind: beta", "no"), ("Ticket: .*charged", "billing"), ("Ticket: .*error", "tech")]

    def model(prefix: str | None, prompt_ms: float) -> OllamaModel:
        return OllamaModel(reply="none", load_ms=300.0, prompt_ms=prompt_ms, token_ms=1.0,
                           rules=[r for r in rules if prefix is None or r[0].startswith(prefix)])

    models = {"big": model(None, 40.0), "fast-e": model("Text", 10.0),
              "fast-g": model("Kind", 10.0), "fast-t": model("Ticket", 10.0)}
    with tempfile.TemporaryDirectory() as folder, OllamaProtocolServer(models) as server:
        root = Path(folder)
        suites = {
            "extract-task": ("Text", "text", "alpha, beta",
                             [("first alpha", "alpha"), ("a beta", "beta")]),
            "grade-task": ("Kind", "kind", "yes, no", [("alpha", "yes"), ("beta", "no")]),
            "ticket-task": ("Ticket", "text", "billing, tech",
                            [("charged", "billing"), ("an error", "tech")]),
        }
        db = f"sqlite:///{root / 'bench.db'}"
        candidates = [f"ollama/{name}@{server.base_url}" for name in models]
        for task, (prefix, var, labels, cases) in suites.items():
            lines = "".join(f"  - {{id: C{i}, vars: {{{var}: \"{text}\"}}, expected: \"{gold}\"}}\n"
                            for i, (text, gold) in enumerate(cases))
            path = root / f"{task}.yaml"
            path.write_text(SUITE.format(task=task, prefix=prefix, var=var, labels=labels,
                                         cases=lines), encoding="utf-8")
            run_suite(load_suite(path), candidates, db=db, config=RunConfig(strategy="full"))
        (root / "w.yaml").write_text(textwrap.dedent("""\
            workflow: scripted
            budget: {memory_gb: 1.5}
            steps:
              - {id: extract, task: extract-task}
              - {id: grade, task: grade-task, after: [extract], inputs: {kind: extract}}
              - {id: ticket, task: ticket-task, after: [grade], share: 0.4}
            """), encoding="utf-8")
        print("projection against measurement (scripted Ollama-protocol server, load 300 ms):")
        with Store(db) as store:
            for count in (5, 20):
                items = "".join(_item(i) for i in range(count))
                (root / "items.yaml").write_text(items, encoding="utf-8")
                workflow = load_workflow(root / "w.yaml", store.tasks())
                plan = plan_workflow(workflow, store, count)
                verified = verify_plan(plan, load_items(root / "items.yaml", plan), store)
                models_used = sorted({plan.model_id(s.model_key) for s in plan.steps})
                print(f"  {count:2d} items on {', '.join(m or '?' for m in models_used)}:"
                      f" measured {verified.measured_total_ms:7.1f} ms, projected"
                      f" {verified.projected_total_ms:7.1f} ms"
                      f" ({verified.measured_total_ms / verified.projected_total_ms - 1:+.1%})")


def _item(number: int) -> str:
    """Every item through extract and grade; two in five on to ticket."""
    text = f"item {number} " + ("alpha charged" if number % 2 else "beta error")
    steps = "" if number % 5 in (0, 2) else ", steps: [extract, grade]"
    return f'- {{id: i{number}, vars: {{text: "{text}"}}{steps}}}\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"import highspy: {import_ms():.0f} ms (median of 5 fresh interpreters)")
    solve_times(args.repeat)
    projection_accuracy()


if __name__ == "__main__":
    main()
