"""The openai provider against a real llama-cpp-python server on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from champion import Candidate, load_suite, run_suite
from champion._runner import RunConfig
from tests.conftest import run_cli

#: The full grid: these tests count every trial.
FULL = RunConfig(strategy="full")

pytestmark = pytest.mark.model

LABELS = """\
task: server-colours
prompt:
  system: Answer with one word.
  user: "{question}"
output: {kind: label, labels: [red, green, blue, yellow], constrain: true}
params: {max_tokens: 6, timeout_s: 60}
cases:
  - id: SKY
    vars: {question: "What colour is a clear daytime sky: red, green, blue or yellow?"}
    expected: blue
  - id: GRASS
    vars: {question: "What colour is fresh grass: red, green, blue or yellow?"}
    expected: green
  - id: BANANA
    vars: {question: "What colour is a ripe banana: red, green, blue or yellow?"}
    expected: yellow
"""


def test_streaming_run_records_ttft_latency_and_tokens(
        llama_server: str, write: object, tmp_path: Path, db_url: str) -> None:
    suite = tmp_path / "labels.yaml"
    suite.write_text(LABELS)
    out = tmp_path / "run.json"
    result = run_cli("run", str(suite), "-m", f"openai/smollm2@{llama_server}",
                     "--strategy", "full", "--repeats", "2", "--json", str(out), "--db", db_url)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    [model] = data["models"]
    assert model["model"] == "smollm2" and model["provider"] == "openai"
    assert model["trials"] == 6 and model["errors"] == 0
    latency = model["latency_ms"]
    assert 1 < latency["min"] <= latency["median"] <= latency["max"] < 30_000
    assert 0 < model["ttft_ms"]["median"] <= latency["median"]
    assert model["cold_start_ms"] > 0
    assert model["identity"]["base_url"] == llama_server
    assert model["identity"]["served_model"] == "smollm2"
    from champion._store import Store

    trials = Store(db_url).load_run(data["run_id"]).trials
    for trial in trials:
        assert trial.ttft_ms is not None and trial.latency_ms is not None
        assert 0 < trial.ttft_ms <= trial.latency_ms
        # This server sends no usage while streaming: a chunk count, flagged.
        assert trial.tokens_estimated and trial.completion_tokens is not None
        assert 1 <= trial.completion_tokens <= 6


def test_non_streaming_run_takes_usage_tokens_from_the_server(
        llama_server: str, tmp_path: Path, db_url: str) -> None:
    suite_path = tmp_path / "labels.yaml"
    suite_path.write_text(LABELS)
    candidate = Candidate(id="smollm2-whole", provider="openai", model="smollm2",
                          base_url=llama_server, options={"stream": False})
    result = run_suite(load_suite(suite_path), [candidate], repeats=1, db=db_url,
        config=FULL)
    assert len(result.trials) == 3
    for trial in result.trials:
        assert trial.error is None
        assert not trial.tokens_estimated
        assert trial.prompt_tokens is not None and trial.prompt_tokens > 20
        assert trial.completion_tokens is not None and 1 <= trial.completion_tokens <= 6
        assert trial.ttft_ms is None  # unknowable without streaming: null, not invented
        assert trial.server_timings is not None and "usage" in trial.server_timings


def test_grammar_constraint_restricts_output_to_labels(
        llama_server: str, tmp_path: Path, db_url: str) -> None:
    suite_path = tmp_path / "labels.yaml"
    suite_path.write_text(LABELS)
    candidate = Candidate(id="smollm2-grammar", provider="openai", model="smollm2",
                          base_url=llama_server, options={"constrain_with": "grammar"})
    result = run_suite(load_suite(suite_path), [candidate], repeats=1, db=db_url,
        config=FULL)
    assert {t.output for t in result.trials} <= {"red", "green", "blue", "yellow"}
    assert all(t.parsed_ok for t in result.trials)


CITY = """\
task: server-city
prompt:
  system: Answer in JSON.
  user: "Which city is {landmark} in? Answer as {{\\"city\\": \\"...\\"}}."
output:
  kind: json
  constrain: true
  schema: {type: object, properties: {city: {type: string}}, required: [city]}
check: {type: json_schema}
params: {max_tokens: 24, timeout_s: 60}
cases:
  - {id: EIFFEL, vars: {landmark: the Eiffel Tower}}
  - {id: COLOSSEUM, vars: {landmark: the Colosseum}}
"""


def test_a_schema_reaches_llama_cpp_python_server_the_way_it_takes_it(
        llama_server: str, tmp_path: Path, db_url: str) -> None:
    # That server refuses response_format json_schema (HTTP 500, a validation error)
    # and takes json_object with a schema: auto settles on it once, in the warm-up.
    suite = tmp_path / "city.yaml"
    suite.write_text(CITY)
    out = tmp_path / "run.json"
    result = run_cli("run", str(suite), "-m", f"openai/smollm2@{llama_server}",
                     "--strategy", "full", "--repeats", "1", "--json", str(out), "--db", db_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("constrain_with: auto sends JSON Schemas as json_object") == 1
    [model] = json.loads(out.read_text())["models"]
    assert model["errors"] == 0 and model["json_valid_rate"] == 1.0
