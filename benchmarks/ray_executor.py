"""The Ray executor's cost per trial, and what spreading models over nodes saves.

Starts a simulated Ray cluster on this machine (``ray.cluster_utils.Cluster``:
a head without CPUs and four workers with one benchmark slot each), then

1. **per-trial overhead**: one in-process scripted model that answers at once
   (``test`` provider, ``local: true``, no delay) runs the same trials with the
   local executor and with the Ray executor; the time between consecutive
   finished trials (first to last, load excluded) is compared. Target: the Ray
   executor adds ≤ 2 ms per trial.
2. **side by side**: eight scripted models answering in 50 ms, confined to one
   node (a placement label only that node has) against spread over the four.
   Prints both wall times (actor start-ups, loads and all) and their ratio.
   Target ≤ 0.35. Each model's median latency is printed beside its 50 ms: it is
   timed inside the actor, so spreading must not change it.

Usage: python benchmarks/ray_executor.py [--trials 300] [--models 8] [--delay-ms 50]
                                         [--cases 10] [--repeats 4]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import ray
from ray.cluster_utils import Cluster

from champion import Candidate, RunConfig, run_suite
from champion._records import Trial
from champion._runner import MemorySink, RunListener

SLOT = "champion_bench"


def write_suite(folder: Path, cases: int) -> Path:
    """A label suite every scripted model answers correctly."""
    path = folder / "suite.yaml"
    path.write_text(
        "task: ray-bench\nprompt: {user: 'Question {n}: answer ok.'}\n"
        "output: {kind: label, labels: [ok, no]}\nparams: {max_tokens: 4, timeout_s: 30}\n"
        "cases:\n" + "".join(f"  - {{id: c{i}, vars: {{n: {i}}}, expected: ok}}\n"
                             for i in range(cases)))
    return path


def scripted(name: str, delay_ms: float, labels: dict[str, str] | None = None) -> Candidate:
    """An in-process scripted model (it runs in an actor under the Ray executor)."""
    return Candidate(id=name, provider="test", model=name,
                     placement={"labels": labels} if labels else None,
                     options={"reply": "ok", "local": True, "delay_ms": delay_ms})


class _Finished(RunListener):
    """When each trial finished (perf_counter)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def trial_done(self, model: str, trial: Trial) -> None:
        self.times.append(time.perf_counter())


def per_trial_ms(suite: Path, executor: str, trials: int, cases: int) -> float:
    """Mean time between consecutive finished trials of one zero-latency model."""
    listener = _Finished()
    config = RunConfig(strategy="full", executor=executor, repeats=trials // cases, seed=1,
                       flush_interval_s=1.0)
    run_suite(str(suite), [scripted("instant", 0)], config=config, db=MemorySink(),
              listener=listener)
    times = listener.times
    return (times[-1] - times[0]) / (len(times) - 1) * 1000


def side_by_side(suite: Path, models: int, delay_ms: float, repeats: int,
                 labels: dict[str, str] | None) -> tuple[float, dict[str, float]]:
    """Wall time of a run of ``models`` scripted models, and each one's median latency."""
    candidates = [scripted(f"m{i}", delay_ms, labels) for i in range(models)]
    config = RunConfig(strategy="full", executor="ray", repeats=repeats, seed=1)
    start = time.perf_counter()
    result = run_suite(str(suite), candidates, config=config, db=MemorySink())
    wall = time.perf_counter() - start
    medians = {m.model: m.latency_ms.median for m in result.ranking.models if m.latency_ms}
    return wall, medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--models", type=int, default=8)
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args()

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0,
                                                            "include_dashboard": False})
    for index in range(args.nodes):
        labels: dict[str, Any] = {"group": "one"} if index == 0 else {}
        cluster.add_node(num_cpus=1, resources={SLOT: 1}, labels=labels)
    ray.init(address=cluster.address, log_to_driver=False, logging_level=logging.WARNING)
    try:
        with tempfile.TemporaryDirectory() as folder:
            suite = write_suite(Path(folder), args.cases)
            per_trial_ms(suite, "ray", args.cases * 2, args.cases)  # workers warm
            local = per_trial_ms(suite, "local", args.trials, args.cases)
            remote = per_trial_ms(suite, "ray", args.trials, args.cases)
            print(f"per trial, zero-latency in-process model ({args.trials} trials):"
                  f" local {local:.3f} ms, ray {remote:.3f} ms,"
                  f" overhead {remote - local:.3f} ms (target ≤ 2 ms)")

            one, one_medians = side_by_side(suite, args.models, args.delay_ms, args.repeats,
                                            {"group": "one"})
            spread, spread_medians = side_by_side(suite, args.models, args.delay_ms,
                                                  args.repeats, None)
            print(f"{args.models} models × {args.cases} cases × {args.repeats} repeats at"
                  f" {args.delay_ms:g} ms: one node {one:.2f} s, {args.nodes} nodes"
                  f" {spread:.2f} s, ratio {spread / one:.2f} (target ≤ 0.35)")
            worst = max(abs(m / args.delay_ms - 1) for m in
                        [*one_medians.values(), *spread_medians.values()])
            print(f"median latencies: one node {statistics.mean(one_medians.values()):.2f} ms,"
                  f" {args.nodes} nodes {statistics.mean(spread_medians.values()):.2f} ms"
                  f" (mean over models); worst off {args.delay_ms:g} ms by {worst:.1%}")
    finally:
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    main()
