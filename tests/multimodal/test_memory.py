"""Memory a model took: Ollama's /api/ps figures, and the max_memory_mb ceiling."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from champion import Candidate, RunConfig, load_suite, run_suite
from champion._report import run_to_json
from champion._suite.fingerprint import suite_fingerprint
from champion.testing import OllamaModel, OllamaProtocolServer

SUITE = """\
task: tiny
prompt: "Say ok"
check: {type: contains}
qualify: {min_pass_rate: 1.0, max_memory_mb: 2000}
repeats: 1
cases: [{id: A, expected: ok}, {id: B, expected: ok}]
"""


def test_ollama_memory_from_api_ps_and_the_memory_ceiling(
        write: Callable[[str, str], Path], db_url: str) -> None:
    models = {
        "big:70b": OllamaModel(loaded_size=3_000_000_000, size_vram=1_000_000_000),
        "small:1b": OllamaModel(loaded_size=1_500_000_000),
    }
    suite = load_suite(write("tiny.yaml", SUITE))
    with OllamaProtocolServer(models) as server:
        result = run_suite(suite, [
            Candidate(id=name, provider="ollama", model=name, base_url=server.base_url)
            for name in models], db=db_url, config=RunConfig(strategy="full"))
        asked = server.count("/api/ps")
    lines = {m["model"]: m for m in run_to_json(result)["models"]}
    assert asked == 2  # once per model, after its load
    assert lines["big:70b"]["memory_mb"] == 3000.0
    assert lines["big:70b"]["identity"]["loaded"] == {"size": 3_000_000_000,
                                                      "size_vram": 1_000_000_000}
    assert lines["small:1b"]["memory_mb"] == 1500.0
    assert lines["big:70b"]["status"] == "disqualified"
    assert "memory 3000 MB over the 2000 MB limit" in lines["big:70b"]["disqualified_because"]
    assert result.champion == "small:1b"


def test_memory_ceiling_is_backward_compatible(write: Callable[[str, str], Path]) -> None:
    without = load_suite(write("a.yaml", SUITE.replace(", max_memory_mb: 2000", "")))
    assert "max_memory_mb" not in without.qualify.model_dump()
    with_it = load_suite(write("b.yaml", SUITE))
    assert with_it.qualify.max_memory_mb == 2000
    assert suite_fingerprint(with_it) != suite_fingerprint(without)


def test_embedded_run_from_the_command_line_records_memory(
        write: Callable[[str, str], Path], tmp_path: Path) -> None:
    import json

    from tests.conftest import run_cli

    suite = write("one.yaml", """\
        task: one
        prompt: "{q}"
        check: {type: contains}
        params: {max_tokens: 4}
        cases: [{id: A, vars: {q: "Say hello."}, expected: hello}]
        """)
    out = tmp_path / "run.json"
    done = run_cli("run", str(suite), "-m", "llamacpp/builtin:smollm2-135m", "--repeats", "1",
                   "--json", str(out), "--db", f"sqlite:///{tmp_path / 'c.db'}")
    assert done.returncode == 0, done.stderr
    [line] = json.loads(out.read_text())["models"]
    assert line["model"] == "smollm2-135m"
    assert isinstance(line["memory_mb"], float) and line["memory_mb"] > 0
