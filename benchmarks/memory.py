"""Memory of a run stays flat in the number of trials: trials stream to the store.

Each measurement runs in its own process against a zero-delay loopback server
(scripted models in a child process) and prints the peak resident memory, and
how much of it the run itself added beyond the loaded suite. First a sweep
over the number of cases (1k, 10k, 100k: the suite itself grows), then a sweep
over repeats at a fixed number of cases (only the trials grow).

While a model runs, resident memory stays flat whatever the number of trials
(at most a few hundred queued trials between writes); the final ranking keeps
each trial's latencies in compact arrays (tens of bytes per trial) for exact
medians and percentiles.

Usage: python benchmarks/memory.py [--cases 1000,10000,100000] [--repeats 1,3,10]
                                   [--fixed-cases 5000] [--provider http|test]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, resource, sys, time
from champion import Candidate, RunConfig, run_suite
from champion._suite.model import Suite

cases, repeats, url, db = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
suite = Suite.model_validate({
    "task": "memory", "prompt": {"user": "Item {n}: reply ok"},
    "output": {"kind": "label", "labels": ["ok", "no"]},
    "params": {"max_tokens": 4, "timeout_s": 30},
    "cases": [{"id": f"c{i}", "vars": {"n": i}, "expected": "ok"} for i in range(cases)],
})
if url == "test":
    candidate = Candidate(id="m", provider="test", model="m", options={"reply": "ok"})
else:
    candidate = Candidate(id="m", provider="openai", model="m", base_url=url)
def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 1e6
before = rss_mb()
start = time.perf_counter()
result = run_suite(suite, [candidate], config=RunConfig(repeats=repeats, seed=1,
                   flush_interval_s=0.5), db=db)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000
print(json.dumps({"cases": cases, "repeats": repeats, "calls": result.calls,
                  "passes": result.ranking.models[0].passes, "seconds": elapsed,
                  "before_mb": before, "peak_mb": peak}))
"""


def measure(cases: int, repeats: int, url: str, folder: str) -> dict[str, float]:
    """One run in a fresh process; its figures."""
    db = f"sqlite:///{folder}/memory-{cases}-{repeats}.db"
    done = subprocess.run([sys.executable, "-c", _CHILD, str(cases), str(repeats), url, db],
                          capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _print(figures: dict[str, float]) -> None:
    print(f"  {int(figures['cases']):>7} cases × {int(figures['repeats']):>2} repeats"
          f" = {int(figures['calls']):>7} trials   peak {figures['peak_mb']:7.1f} MB"
          f"   run added {figures['peak_mb'] - figures['before_mb']:6.1f} MB"
          f"   {figures['seconds']:6.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="1000,10000,100000")
    parser.add_argument("--repeats", default="1,3,10")
    parser.add_argument("--fixed-cases", type=int, default=5000)
    parser.add_argument("--provider", choices=["http", "test"], default="http")
    args = parser.parse_args()
    from champion.testing.scripted import ScriptedModel, ScriptedServerProcess

    with tempfile.TemporaryDirectory() as folder, \
            ScriptedServerProcess({"m": ScriptedModel(reply="ok")}) as server:
        url = server.openai_url if args.provider == "http" else "test"
        print(f"Peak resident memory, one model, {args.provider} provider:")
        print("By cases (the suite grows with them):")
        for cases in (int(n) for n in args.cases.split(",")):
            _print(measure(cases, 1, url, folder))
        print(f"By repeats at {args.fixed_cases} cases (only the trials grow):")
        runs = [measure(args.fixed_cases, int(k), url, folder) for k in args.repeats.split(",")]
        for figures in runs:
            _print(figures)
        added = [f["peak_mb"] - f["before_mb"] for f in runs]
        trials = [f["calls"] for f in runs]
        per_trial = (added[-1] - added[0]) * 1e6 / max(1.0, trials[-1] - trials[0])
        print(f"  {per_trial:.0f} bytes per extra trial: the ranking's latency arrays for exact"
              " medians (trials themselves are streamed to the store, not kept)")


if __name__ == "__main__":
    main()
