"""Capabilities from Ollama's /api/show in `champion models`, and as filters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from champion._providers.candidate import Candidate
from champion._providers.discovery import CandidateFilter, capabilities
from champion._sync import run_sync
from champion.testing import OllamaModel, OllamaProtocolServer
from tests.conftest import run_cli

MODELS = {
    "llava:7b": OllamaModel(capabilities=("completion", "vision")),
    "qwen2.5-coder:1.5b": OllamaModel(capabilities=("completion", "insert", "tools")),
    "qwen3:4b": OllamaModel(capabilities=("completion", "tools", "thinking")),
    "nomic-embed-text": OllamaModel(capabilities=("embedding",)),
}


@pytest.fixture(scope="module")
def server() -> Iterator[OllamaProtocolServer]:
    with OllamaProtocolServer(MODELS) as running:
        yield running


def listed(stdout: str) -> dict[str, str]:
    """Model name → the capabilities cell of `champion models`' table."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 6 and cells[3] in MODELS:
            rows[cells[3]] = cells[6]
    return rows


def test_models_lists_capabilities(server: OllamaProtocolServer) -> None:
    done = run_cli("models", "-m", f"ollama/*@{server.base_url}")
    assert done.returncode == 0, done.stderr
    rows = listed(done.stdout)
    assert rows == {name: ", ".join(model.capabilities) for name, model in MODELS.items()}


def test_one_option_leaves_out_vision_and_code_models(server: OllamaProtocolServer) -> None:
    done = run_cli("models", "-m", f"ollama/*@{server.base_url}",
                   "--exclude-capability", "vision,insert")
    assert done.returncode == 0, done.stderr
    assert set(listed(done.stdout)) == {"qwen3:4b", "nomic-embed-text"}


def test_require_keeps_models_known_to_have_every_capability(
        server: OllamaProtocolServer) -> None:
    done = run_cli("models", "-m", f"ollama/*@{server.base_url}", "--require", "completion",
                   "--require", "tools")
    assert set(listed(done.stdout)) == {"qwen2.5-coder:1.5b", "qwen3:4b"}
    nothing = run_cli("models", "-m", f"ollama/*@{server.base_url}", "--require", "audio")
    assert nothing.returncode == 2
    assert "no candidate left after" in nothing.stderr and "--require" in nothing.stderr


def test_unknown_capabilities_fail_require_and_pass_exclusion(
        server: OllamaProtocolServer) -> None:
    candidates = [
        Candidate(id="llava", provider="ollama", model="llava:7b", base_url=server.base_url),
        Candidate(id="gone", provider="ollama", model="not-installed",
                  base_url=server.base_url),
        Candidate(id="remote", provider="openai", model="m1", base_url="http://127.0.0.1:9/v1"),
        Candidate(id="seeing", provider="llamacpp", model="builtin:smollm2-135m",
                  options={"clip_model_path": "mmproj.gguf"}),
    ]
    found = run_sync(capabilities(candidates))
    assert found == [("completion", "vision"), None, None, ("completion", "vision")]
    need_vision = CandidateFilter(require=("vision",))
    assert [need_vision.keep_capabilities(f) for f in found] == [True, False, False, True]
    no_vision = CandidateFilter(exclude_capabilities=("vision",))
    assert [no_vision.keep_capabilities(f) for f in found] == [False, True, True, False]


def test_run_takes_the_same_capability_filters(server: OllamaProtocolServer,
                                               tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text("task: caps\nprompt: {user: 'Say ok'}\noutput: {kind: text}\n"
                     "check: {type: contains}\ncases: [{id: a, expected: ok}]\n")
    done = run_cli("run", str(suite), "-m", f"ollama/*@{server.base_url}",
                   "--require", "completion", "--require", "tools", "--repeats", "1",
                   "--db", f"sqlite:///{tmp_path}/caps.db", "--json", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    ran = {m["model"] for m in json.loads((tmp_path / "r.json").read_text())["models"]}
    assert ran == {"qwen2.5-coder:1.5b", "qwen3:4b"}
