"""A judged suite on the real bundled models, in process: the bundled models write
answers and one of them judges them, whatever they score."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from champion._store import Store
from tests.conftest import run_cli

pytestmark = pytest.mark.model

SUITE = """\
task: city-answers
prompt:
  system: Answer in a few words.
  user: "Which city is the capital of {country}?"
output: {kind: text}
check:
  type: judge
  rubric: PASS when the answer names the capital city of the country, FAIL otherwise.
  judge: {model: "llamacpp/builtin:smollm2-135m"}
  max_tokens: 24
params: {max_tokens: 12, timeout_s: 60}
cases:
  - {id: FR, vars: {country: France}, reference: Paris}
  - {id: JP, vars: {country: Japan}, reference: Tokyo}
calibration:
  - {id: K1, vars: {country: France}, answer: "Paris.", verdict: PASS}
"""


def test_the_bundled_models_judged_by_a_bundled_model(write: Callable[[str, str], Path],
                                                      db_url: str, tmp_path: Path) -> None:
    suite = write("cities.yaml", SUITE)
    runs = []
    for attempt in ("first", "again"):
        out = tmp_path / f"{attempt}.json"
        result = run_cli("run", str(suite), "-m", "builtin", "--repeats", "1", "--strategy",
                         "full", "--db", db_url, "--json", str(out))
        assert result.returncode == 0, result.stderr
        assert "Judge: smollm2-135m" in result.stdout
        runs.append(json.loads(out.read_text()))
    first, again = runs
    with Store(db_url) as store:
        calls = [store.judge_calls(run["run_id"]) for run in runs]
        trials = [list(store.iter_trials(run["run_id"])) for run in runs]
    for run, judged, measured in zip(runs, calls, trials, strict=True):
        judge = run["judge"]
        assert judge["model"] == "smollm2-135m" and judge["calibration"]["cases"] == 1
        assert len(measured) == 4  # 2 models x 2 cases
        # Every trial has its judge call (calibration aside), and is judged or unjudged.
        assert {(c.model, c.case_id, c.batch) for c in judged if c.purpose == "trial"} == {
            t.key for t in measured}
        for line in run["models"]:
            assert line["trials"] + line["unjudged"] == 2
        assert judge["unjudged"] == sum(t.unjudged for t in measured)
        assert judge["calls"] + judge["cache_hits"] == len(judged)
    assert first["judge"]["calls"] >= 1 and first["judge"]["latency_ms"] is not None
    # Answers already judged (with a verdict) are never judged again.
    known = {(c.case_id, c.cache_key) for c in calls[0] if c.verdict is not None}
    repeated = [c for c in calls[1] if (c.case_id, c.cache_key) in known]
    assert all(c.cached for c in repeated)
    assert again["judge"]["calls"] == sum(1 for c in calls[1] if not c.cached)
