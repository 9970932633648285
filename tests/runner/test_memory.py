"""Trials stream to the store: a run's memory does not grow with its trials."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

CHILD = r"""
import sys
from champion import Candidate, RunConfig, run_suite
from champion._runner import NullListener
from champion._suite.model import Suite

def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 1e6

class Sampler(NullListener):
    def __init__(self):
        self.samples = []
    def trial_done(self, model, trial):
        if trial.batch > 0 and trial.position % 1000 == 0:
            self.samples.append(rss_mb())

suite = Suite.model_validate({
    "task": "memory", "prompt": {"user": "Item {n}: reply ok"},
    "output": {"kind": "label", "labels": ["ok", "no"]},
    "cases": [{"id": f"c{i}", "vars": {"n": i}, "expected": "ok"} for i in range(2000)]})
sampler = Sampler()
result = run_suite(suite, [Candidate(id="m", provider="test", model="m",
                                     options={"reply": "ok"})],
                   config=RunConfig(strategy="full", repeats=12, seed=1), db=sys.argv[1],
                   listener=sampler)
assert result.calls == 24000 and result.ranking.models[0].passes == 24000
print(min(sampler.samples), max(sampler.samples), len(sampler.samples))
"""


def test_memory_stays_flat_while_trials_stream_to_the_store(tmp_path: object) -> None:
    done = subprocess.run([sys.executable, "-c", CHILD, f"sqlite:///{tmp_path}/memory.db"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    low, high, samples = done.stdout.split()
    assert int(samples) >= 20
    # 22,000 trials after the first batch: kept in memory they would take tens of MB.
    assert float(high) - float(low) < 4.0
