"""End to end on the real bundled llama.cpp models, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli

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


def test_run_builtin_writes_run_json_and_report_rebuilds(
        write: Callable[[str, str], Path], tmp_path: Path, db_url: str) -> None:
    suite = write("unseen.yaml", UNSEEN)
    out = tmp_path / "out.json"
    result = run_cli("run", str(suite), "-m", "builtin", "--repeats", "1", "--strategy",
                     "full", "--json", str(out), "--db", db_url)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(out.read_text())
    assert data["task"] == "unseen-colours" and data["strategy"] == "full"
    assert data["repeats"] == 1 and data["cases"] == 3 and data["calls"] == 6
    assert {m["model"] for m in data["models"]} == {"smollm2-135m", "gemma3-270m"}
    for model in data["models"]:
        assert model["provider"] == "llamacpp"
        assert model["trials"] == 3 and model["errors"] == 0
        assert model["cold_start_ms"] > 0
        latency = model["latency_ms"]
        assert 0 < latency["min"] <= latency["median"] <= latency["p90"] <= latency["max"]
        assert latency["max"] < 60_000
        assert model["ttft_ms"]["median"] <= latency["max"]
        assert model["cost_usd"] is None  # no price: unknown, not $0
        assert model["identity"]["digest"].startswith("sha256:")
        if model["status"] == "disqualified":
            assert model["failed_cases"], model
            for failed in model["failed_cases"]:
                assert failed["trials"] == 1 and failed["failures"] == 1
                assert failed["expected"] in ("red", "green", "blue", "purple")
    qualified = [m for m in data["models"] if m["status"] in ("champion", "runner-up")]
    medians = [m["latency_ms"]["median"] for m in qualified]
    assert medians == sorted(medians)
    assert [m["rank"] for m in data["models"]] == [1, 2]
    assert data["champion"] == (qualified[0]["model"] if qualified else None)

    report = run_cli("report", data["run_id"], "--format", "md", "--db", db_url)
    assert report.returncode == 0, report.stderr
    assert "# champion report: unseen-colours" in report.stdout
    assert "## Production viability" in report.stdout
    for model in data["models"]:
        assert model["model"] in report.stdout
    rebuilt = run_cli("report", data["run_id"], "--format", "json", "--db", db_url)
    assert json.loads(rebuilt.stdout) == data


def test_python_api_on_one_bundled_model(write: Callable[[str, str], Path],
                                         db_url: str) -> None:
    from champion import load_suite, run_suite

    suite = load_suite(write("unseen.yaml", UNSEEN))
    result = run_suite(suite, ["llamacpp/builtin:smollm2-135m"], repeats=2, db=db_url)
    assert [m.model for m in result.ranking.models] == ["smollm2-135m"]
    assert len(result.trials) == 6
    assert all(t.prompt_tokens and t.prompt_tokens > 10 for t in result.trials)
    assert all(t.completion_tokens is not None and 1 <= t.completion_tokens <= 4
               for t in result.trials)
    assert all(t.output.strip() in ("red", "green", "blue", "purple") for t in result.trials)
