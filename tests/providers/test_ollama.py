"""The ollama provider against a server that follows Ollama's documented API."""

from __future__ import annotations

from pathlib import Path

import pytest

from champion import Candidate, RunConfig, load_suite, run_suite
from champion._report import run_to_json
from champion._store import Store
from champion.testing import FAULTS, OllamaModel, OllamaProtocolServer, RawResponse
from tests.conftest import run_cli
from tests.providers.conftest import TRIAGE_RULES


def models() -> dict[str, OllamaModel]:
    return {
        "qwen2.5:0.5b": OllamaModel(rules=TRIAGE_RULES, reply="account", token_ms=3),
        "llama3.2:1b": OllamaModel(reply="billing", size=1_300_000_000),
        "llama3.1:70b": OllamaModel(reply="billing", size=40_000_000_000),
        "qwen3:4b": OllamaModel(rules=TRIAGE_RULES, thinking="the ticket is about money",
                                size=2_600_000_000),
    }


def ollama(model: str, server: OllamaProtocolServer, **options: object) -> Candidate:
    return Candidate(id=model, provider="ollama", model=model, base_url=server.base_url,
                     options=dict(options))


def test_server_timings_are_kept_raw_and_tokens_per_s_is_the_servers(
        triage_suite: Path, db_url: str) -> None:
    with OllamaProtocolServer(models()) as server:
        result = run_suite(load_suite(triage_suite), [ollama("qwen2.5:0.5b", server)],
                           repeats=2, db=db_url)
    trials = Store(db_url).load_run(result.run_id).trials
    assert len(trials) == 6 and all(t.correct for t in trials)
    for trial in trials:
        raw = trial.server_timings
        assert raw is not None
        for key in ("total_duration", "load_duration", "prompt_eval_duration",
                    "eval_duration", "eval_count", "prompt_eval_count"):
            assert isinstance(raw[key], int), key  # nanoseconds, as sent
        assert trial.server_tokens_per_s == pytest.approx(
            raw["eval_count"] / raw["eval_duration"] * 1e9)
        assert trial.completion_tokens == raw["eval_count"]
        assert trial.prompt_tokens == raw["prompt_eval_count"]
        assert not trial.tokens_estimated
        # Latency is measured by the client around the whole call.
        assert trial.latency_ms is not None and trial.latency_ms * 1e6 >= raw["eval_duration"]
    [line] = run_to_json(result)["models"]
    weights = [t.completion_tokens or 0 for t in trials]
    expected = sum((t.server_tokens_per_s or 0) * w for t, w in zip(trials, weights,
                                                                     strict=True)) / sum(weights)
    assert line["output_tokens_per_s"] == pytest.approx(expected, rel=1e-3)
    assert line["identity"]["digest"] == f"sha256:{server.digest('qwen2.5:0.5b')}"
    assert line["identity"]["details"]["quantization_level"] == "Q4_K_M"


def test_warm_up_loads_with_keep_alive_and_the_model_is_unloaded_after(
        triage_suite: Path, db_url: str) -> None:
    with OllamaProtocolServer(models()) as server:
        run_suite(load_suite(triage_suite), [ollama("qwen2.5:0.5b", server, keep_alive="30m"),
                                             ollama("llama3.2:1b", server)],
                  repeats=1, db=db_url)
        kinds = [(kind, name) for kind, name, _ in server.events]
        chats = [body for kind, _, body in server.events if kind == "chat"]
    assert kinds[0] == ("load", "qwen2.5:0.5b")
    assert server.events[0][2] == "30m"
    assert all(body["keep_alive"] == "30m" for body in chats
               if body["model"] == "qwen2.5:0.5b")
    # Model-major: one model loaded, run and unloaded before the next is loaded.
    assert kinds.index(("unload", "qwen2.5:0.5b")) < kinds.index(("load", "llama3.2:1b"))
    assert kinds[-1] == ("unload", "llama3.2:1b")
    assert not server.loaded


def test_thinking_is_kept_apart_and_ttft_counts_it(triage_suite: Path, db_url: str) -> None:
    with OllamaProtocolServer(models()) as server:
        result = run_suite(load_suite(triage_suite), [ollama("qwen3:4b", server, think=True)],
                           repeats=1, db=db_url)
    for trial in result.trials:
        assert trial.correct and trial.output in ("billing", "technical")
        assert trial.reasoning == "the ticket is about money"
        assert trial.ttft_ms is not None and trial.ttfot_ms is not None
        assert trial.ttft_ms < trial.ttfot_ms


def test_constraint_is_sent_as_format(write: object, db_url: str, tmp_path: Path) -> None:
    suite_path = tmp_path / "s.yaml"
    suite_path.write_text(
        "task: t\nprompt: {user: 'Ticket: {t}'}\n"
        "output: {kind: label, labels: [billing, technical], constrain: true}\n"
        "cases: [{id: a, vars: {t: charged}, expected: billing}]\n")
    with OllamaProtocolServer(models()) as server:
        run_suite(load_suite(suite_path), [ollama("qwen2.5:0.5b", server)], repeats=1,
                  db=db_url)
        [body] = [b for kind, _, b in server.events if kind == "chat"][-1:]
    assert body["format"] == {"type": "string", "enum": ["billing", "technical"]}
    assert body["options"]["temperature"] == 0 and body["options"]["num_predict"] == 256


def test_model_not_installed_is_an_error_with_the_reason(triage_suite: Path,
                                                          db_url: str) -> None:
    with OllamaProtocolServer(models()) as server:
        result = run_suite(load_suite(triage_suite), [ollama("mistral:7b", server),
                                                      ollama("qwen2.5:0.5b", server)],
                           repeats=1, db=db_url,
                           config=RunConfig(strategy="full", retry_backoff_s=0.01))
    line = next(m for m in result.ranking.models if m.model == "mistral:7b")
    assert line.status == "error" and "'mistral:7b' is not installed" in (line.error or "")
    assert result.champion == "qwen2.5:0.5b"


def test_discovery_with_exclude_and_max_size(tmp_path: Path) -> None:
    with OllamaProtocolServer(models()) as server:
        listed = run_cli("models", "-m", f"ollama/*@{server.base_url}",
                         "--exclude", "qwen3*", "--max-size-gb", "10")
    assert listed.returncode == 0, listed.stderr
    assert "qwen2.5:0.5b" in listed.stdout and "llama3.2:1b" in listed.stdout
    assert "llama3.1:70b" not in listed.stdout and "qwen3:4b" not in listed.stdout
    assert "1.30 GB" in listed.stdout


def test_discovery_of_an_unreachable_server_is_bad_input() -> None:
    listed = run_cli("models", "-m", "ollama/*@http://127.0.0.1:9")
    assert listed.returncode == 2 and "cannot list the models" in listed.stderr
    assert "Traceback" not in listed.stderr


def test_run_all_installed_models(triage_suite: Path, db_url: str, tmp_path: Path) -> None:
    import json

    out = tmp_path / "run.json"
    with OllamaProtocolServer(models()) as server:
        result = run_cli("run", str(triage_suite), "-m", f"ollama/*@{server.base_url}",
                         "--exclude", "*70b", "--repeats", "1", "--db", db_url,
                         "--json", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert {m["model"] for m in data["models"]} == {"qwen2.5:0.5b", "llama3.2:1b", "qwen3:4b"}
    assert data["champion"] in ("qwen2.5:0.5b", "qwen3:4b")
    lazy = next(m for m in data["models"] if m["model"] == "llama3.2:1b")
    assert lazy["status"] == "disqualified" and lazy["failed_cases"][0]["id"] == "C2"


def faulty_ollama(fault: str) -> OllamaProtocolServer:
    """Ollama's protocol for tags and loading; chats fail in the given way."""
    if fault == "no_done":  # a stream cut before the final done object
        return OllamaProtocolServer(models(), raw=RawResponse(
            (b'{"model":"qwen2.5:0.5b","message":{"role":"assistant","content":"bill"},'
             b'"done":false}\n',), content_type="application/x-ndjson"))
    if fault == "stream_error":  # Ollama reports mid-stream errors in-band
        return OllamaProtocolServer(models(), raw=RawResponse(
            (b'{"error":"an error was encountered while running the model"}\n',),
            content_type="application/x-ndjson"))
    assert fault in FAULTS
    return OllamaProtocolServer(models(), fault=fault)


OLLAMA_FAULTS = {"error500": ("unavailable", "HTTP 500"), "hang": ("timeout", ""),
                 "reset": ("unavailable", "connection failed"),
                 "garbage": ("protocol", "protocol"),
                 "no_done": ("protocol", "without a done object"),
                 "stream_error": ("unavailable", "stream error")}


@pytest.mark.parametrize("fault", sorted(OLLAMA_FAULTS))
def test_a_failing_ollama_model_is_recorded_and_others_are_unaffected(
        fault: str, triage_suite: Path, db_url: str) -> None:
    suite = load_suite(triage_suite)
    suite = suite.model_copy(update={"params": suite.params.model_copy(
        update={"timeout_s": 0.5})})
    with faulty_ollama(fault) as bad, OllamaProtocolServer(models()) as good:
        result = run_suite(suite, [
            Candidate(id="bad", provider="ollama", model="qwen2.5:0.5b", base_url=bad.base_url),
            Candidate(id="good", provider="ollama", model="qwen2.5:0.5b",
                      base_url=good.base_url)],
            repeats=2, db=db_url, config=RunConfig(strategy="full", retry_backoff_s=0.01))
    bad_trials = [t for t in result.trials if t.model == "bad"]
    assert len(bad_trials) == 6 and all(t.is_error for t in bad_trials)
    kind, text = OLLAMA_FAULTS[fault]
    kinds = {t.error_kind for t in bad_trials}
    assert kind in kinds and kinds <= {kind, "skipped"}, bad_trials[0].error
    assert text in (bad_trials[0].error or ""), bad_trials[0].error
    assert all(t.correct for t in result.trials if t.model == "good")
    assert result.champion == "good"
    line = next(m for m in result.ranking.models if m.model == "bad")
    assert line.status == "error" and line.error
