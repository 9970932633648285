"""End to end on the real bundled llama.cpp models, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from champion._runner import RunConfig
from tests.conftest import run_cli

#: The full grid: these tests count every trial.
FULL = RunConfig(strategy="full")

pytestmark = pytest.mark.model

# A suite the project has never seen: written here, with a case no tiny model
# gets right (so someone is disqualified) and cases with an obvious answer.
UNSEEN = """\
task: unseen-colours
description: Name the colour.
prompt:
  system: Answer with one word.
  user: "{question}"
output: {kind: label, labels: [red, green, blue, purple], constrain: true}
check: {type: label}
params: {max_tokens: 4, timeout_s: 60}
cases:
  - id: SKY
    vars: {question: "What colour is a clear daytime sky: red, green, blue or purple?"}
    expected: blue
  - id: GRASS
    vars: {question: "What colour is fresh grass: red, green, blue or purple?"}
    expected: green
  - id: MIX
    vars: {question: "Mix the colour of a ripe tomato with the colour of the sea. Answer:"}
    expected: purple
"""


# Chosen so the bundled models split at temperature 0: one answers every case,
# the other misses them, so both a champion and a disqualified model are real.
CITIES = """\
task: unseen-cities
prompt:
  system: Reply with the city name only.
  user: "Which city is mentioned? {text}"
output: {kind: text}
check: {type: contains, ignore_case: true}
params: {max_tokens: 8}
cases:
  - {id: C1, vars: {text: "The conference takes place in Vienna next May."}, expected: Vienna}
  - {id: C2, vars: {text: "She moved to Osaka for work."}, expected: Osaka}
  - {id: C3, vars: {text: "Flights to Lima were cancelled."}, expected: Lima}
  - {id: C4, vars: {text: "Our new office opens in Tallinn."}, expected: Tallinn}
"""
CITY_NAMES = {"Vienna", "Osaka", "Lima", "Tallinn"}


def test_run_builtin_writes_run_json_and_report_rebuilds(
        write: Callable[[str, str], Path], tmp_path: Path, db_url: str) -> None:
    suite = write("unseen.yaml", CITIES)
    out = tmp_path / "out.json"
    result = run_cli("run", str(suite), "-m", "builtin", "--repeats", "1", "--strategy",
                     "full", "--json", str(out), "--db", db_url)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(out.read_text())
    assert data["task"] == "unseen-cities" and data["strategy"] == "full"
    assert data["repeats"] == 1 and data["cases"] == 4 and data["calls"] == 8
    assert {m["model"] for m in data["models"]} == {"smollm2-135m", "gemma3-270m"}
    for model in data["models"]:
        assert model["provider"] == "llamacpp"
        assert model["trials"] == 4 and model["errors"] == 0
        assert model["cold_start_ms"] > 0
        latency = model["latency_ms"]
        assert 0 < latency["min"] <= latency["median"] <= latency["p90"] <= latency["max"]
        assert latency["max"] < 60_000
        assert model["ttft_ms"]["median"] <= latency["max"]
        assert model["cost_usd"] is None  # no price: unknown, not $0
        assert model["identity"]["digest"].startswith("sha256:")
        if model["status"] == "disqualified":
            assert model["failed_cases"], model
            assert model["passes"] < model["trials"]
            for failed in model["failed_cases"]:
                assert failed["trials"] == 1 and failed["failures"] == 1
                assert failed["expected"] in CITY_NAMES
    statuses = [m["status"] for m in data["models"]]
    assert "champion" in statuses and "disqualified" in statuses, statuses
    qualified = [m for m in data["models"] if m["status"] in ("champion", "runner-up")]
    assert all(m["passes"] == m["trials"] for m in qualified)
    medians = [m["latency_ms"]["median"] for m in qualified]
    assert medians == sorted(medians)
    assert [m["rank"] for m in data["models"]] == [1, 2]
    assert statuses.index("champion") < statuses.index("disqualified")
    assert data["champion"] == qualified[0]["model"]

    report = run_cli("report", data["run_id"], "--format", "md", "--db", db_url)
    assert report.returncode == 0, report.stderr
    assert "# champion report: unseen-cities" in report.stdout
    assert f"- **Champion:** {data['champion']}" in report.stdout
    assert "## Failed to qualify" in report.stdout and "| Case | Expected | Got |" in report.stdout
    assert "## Production viability" in report.stdout
    for model in data["models"]:
        assert model["model"] in report.stdout
    rebuilt = run_cli("report", data["run_id"], "--format", "json", "--db", db_url)
    assert json.loads(rebuilt.stdout) == data


def test_python_api_on_one_bundled_model(write: Callable[[str, str], Path],
                                         db_url: str) -> None:
    from champion import load_suite, run_suite

    suite = load_suite(write("unseen.yaml", UNSEEN))
    result = run_suite(suite, ["llamacpp/builtin:smollm2-135m"], repeats=2, db=db_url,
        config=FULL)
    assert [m.model for m in result.ranking.models] == ["smollm2-135m"]
    assert len(result.trials) == 6
    assert all(t.prompt_tokens and t.prompt_tokens > 10 for t in result.trials)
    assert all(t.completion_tokens is not None and 1 <= t.completion_tokens <= 4
               for t in result.trials)
    assert all(t.output.strip() in ("red", "green", "blue", "purple") for t in result.trials)
