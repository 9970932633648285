"""The openai provider's protocol handling, failures and measurement, on loopback."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from champion import Candidate, RunConfig, load_suite, run_suite
from champion._providers import Price
from champion._report import render_markdown, run_to_json
from champion._runner import NoCandidateLeft
from champion._store import Store
from champion.testing import MockOpenAIServer
from champion.testing.openai_mock import Mode
from tests.conftest import run_cli
from tests.providers.conftest import triage_reply


def openai(name: str, server: MockOpenAIServer, **options: Any) -> Candidate:
    return Candidate(id=name, provider="openai", model=name, base_url=f"{server.base_url}/v1",
                     options=options)


def test_ttft_skips_the_role_only_chunk_and_reasoning_is_kept_apart(
        triage_suite: Path, db_url: str) -> None:
    with MockOpenAIServer(triage_reply, delay_ms=30, reasoning="first think it over") as server:
        result = run_suite(load_suite(triage_suite), [openai("r1", server)], repeats=1,
                           db=db_url)
    for trial in result.trials:
        assert trial.correct and trial.output in ("billing", "technical")
        assert trial.reasoning == "first think it over"
        assert trial.ttft_ms is not None and trial.ttfot_ms is not None
        assert 30 <= trial.ttft_ms <= trial.ttfot_ms <= (trial.latency_ms or 0)
        assert trial.reasoning_tokens == 4 and trial.completion_tokens == 1
        assert not trial.tokens_estimated
    [line] = run_to_json(result)["models"]
    assert line["ttft_ms"]["median"] < line["ttfot_ms"]["median"]


def test_inline_think_blocks_are_split_from_the_answer(triage_suite: Path,
                                                       db_url: str) -> None:
    def reply(prompt: str) -> str:
        return f"<think>The ticket says: {prompt[:20]}</think> {triage_reply(prompt)}"

    with MockOpenAIServer(reply) as server:
        result = run_suite(load_suite(triage_suite), [openai("qwen3", server)], repeats=1,
                           db=db_url)
    assert all(t.correct for t in result.trials)
    assert all(t.reasoning and t.reasoning.startswith("The ticket says") for t in result.trials)
    assert all("<think>" not in t.output for t in result.trials)


def test_measured_latency_matches_a_fixed_60ms_delay(triage_suite: Path, db_url: str) -> None:
    with MockOpenAIServer(triage_reply, delay_ms=60) as server:
        result = run_suite(load_suite(triage_suite), [openai("m", server)], repeats=7,
                           db=db_url)
    median = statistics.median(t.latency_ms or 0 for t in result.trials)
    assert abs(median - 60) <= 60 * 0.05 + 5, median


FAULTS: list[Mode] = ["error500", "hang", "reset", "garbage", "bad_json"]


@pytest.mark.parametrize("mode", FAULTS)
def test_a_failing_model_is_recorded_and_others_are_unaffected(
        mode: Mode, triage_suite: Path, db_url: str) -> None:
    suite = load_suite(triage_suite)
    with MockOpenAIServer(triage_reply, mode=mode) as bad, \
            MockOpenAIServer(triage_reply) as good:
        result = run_suite(suite.model_copy(update={"params": suite.params.model_copy(
            update={"timeout_s": 0.5})}), [openai("bad", bad), openai("good", good)],
            repeats=2, db=db_url, config=RunConfig(strategy="full", retry_backoff_s=0.01))
    bad_trials = [t for t in result.trials if t.model == "bad"]
    good_trials = [t for t in result.trials if t.model == "good"]
    assert len(bad_trials) == 6 and all(t.is_error for t in bad_trials)
    expected = {"error500": "unavailable", "hang": "timeout", "reset": "unavailable",
                "garbage": "protocol", "bad_json": "protocol"}[mode]
    kinds = {t.error_kind for t in bad_trials}
    assert expected in kinds and kinds <= {expected, "skipped"}, bad_trials[0].error
    assert len(good_trials) == 6 and all(t.correct for t in good_trials)
    assert result.champion == "good"
    bad_line = next(m for m in result.ranking.models if m.model == "bad")
    assert bad_line.status == "error" and bad_line.error
    assert [m.warmup_error for m in result.models if m.model == "bad"] != [None]
    report = render_markdown(Store(db_url).load_run(result.run_id))
    assert "### bad" in report and "Error:" in report


def test_transient_errors_are_retried_but_auth_errors_are_not(triage_suite: Path,
                                                               db_url: str) -> None:
    suite = load_suite(triage_suite)
    with MockOpenAIServer(triage_reply, fail_first=2, fail_status=429) as limited, \
            MockOpenAIServer(triage_reply, mode="error401") as auth:
        result = run_suite(suite, [openai("limited", limited), openai("auth", auth)],
                           repeats=1, db=db_url, config=RunConfig(strategy="full"))
        # Warm-up and two trials, none retried; after a failed warm-up two more
        # failures in a row stop the calls.
        assert auth.chat_requests == 3
    limited_trials = [t for t in result.trials if t.model == "limited"]
    assert all(t.correct for t in limited_trials)  # the warm-up absorbed two 429s
    auth_trials = [t for t in result.trials if t.model == "auth"]
    assert [t.error_kind for t in auth_trials] == ["rejected", "rejected", "skipped"]
    assert "HTTP 401" in (auth_trials[0].error or "")


def test_concurrency_keeps_calls_in_flight(triage_suite: Path, db_url: str) -> None:
    class Counting(MockOpenAIServer):
        """Counts chat requests in flight at once."""

        in_flight = 0
        most = 0

        async def handle(self, request: Any, respond: Any) -> None:
            chat = request.path.endswith("/chat/completions")
            if chat:
                self.in_flight += 1
                self.most = max(self.most, self.in_flight)
            try:
                await super().handle(request, respond)
            finally:
                if chat:
                    self.in_flight -= 1

    with Counting(triage_reply, delay_ms=50) as server:
        result = run_suite(load_suite(triage_suite), [openai("m", server)], repeats=4,
                           db=db_url,
                           config=RunConfig(strategy="full", concurrency=3, warmup=False))
    assert server.most == 3  # three at a time, never more
    assert len(result.trials) == 12 and all(t.correct for t in result.trials)


def test_api_key_never_reaches_the_database_json_or_reports(
        triage_suite: Path, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
        ) -> None:
    secret = "sk-test-5f1d2c9e8b7a6f5e4d3c2b1a"
    monkeypatch.setenv("CHAMPION_TEST_KEY", secret)
    models = tmp_path / "models.yaml"
    with MockOpenAIServer(triage_reply) as server:
        models.write_text(
            "models:\n  - id: keyed\n    provider: openai\n    model: keyed\n"
            f"    base_url: http://user:{secret}@{server.base_url[7:]}/v1?key={secret}\n"
            "    api_key_env: CHAMPION_TEST_KEY\n"
            "    headers: {X-Team: champion}\n")
        out, report = tmp_path / "run.json", tmp_path / "run.md"
        result = run_cli("run", str(triage_suite), "--models", str(models), "--repeats", "1",
                         "--db", db_url, "--json", str(out), "--report", str(report),
                         env={"CHAMPION_TEST_KEY": secret})
        assert result.returncode == 0, result.stderr
        sent = [r.headers.get("authorization") for r in server.requests
                if r.path.endswith("/chat/completions")]
        assert sent and all(h == f"Bearer {secret}" for h in sent)
    run_id = json.loads(out.read_text())["run_id"]
    rebuilt = run_cli("report", run_id, "--format", "json", "--db", db_url).stdout
    database = Path(db_url.removeprefix("sqlite:///"))
    blobs = [out.read_bytes(), report.read_bytes(), rebuilt.encode(),
             result.stdout.encode(), result.stderr.encode()]
    blobs += [p.read_bytes() for p in database.parent.glob(database.name + "*")]
    assert all(secret.encode() not in blob for blob in blobs)
    assert json.loads(rebuilt)["models"][0]["identity"]["base_url"].endswith("/v1")


def test_missing_api_key_is_a_clear_error(triage_suite: Path, db_url: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAMPION_ABSENT_KEY", raising=False)
    with MockOpenAIServer(triage_reply) as server:
        candidate = openai("k", server).model_copy(update={"api_key_env": "CHAMPION_ABSENT_KEY"})
        with pytest.raises(NoCandidateLeft, match="CHAMPION_ABSENT_KEY is not set"):
            run_suite(load_suite(triage_suite), [candidate], repeats=1, db=db_url)
        result = run_suite(load_suite(triage_suite), [candidate, openai("other", server)],
                           repeats=1, db=db_url)
    line = next(m for m in result.ranking.models if m.model == "k")
    assert line.status == "error" and "CHAMPION_ABSENT_KEY is not set" in (line.error or "")
    assert line.trials == 0 and server.chat_requests == 4  # "other": a warm-up, 3 trials


def test_cost_from_the_models_file_price_and_null_without_one(
        triage_suite: Path, db_url: str) -> None:
    with MockOpenAIServer(triage_reply) as server:
        priced = openai("priced-model", server).model_copy(update={"price": Price(
            input_per_mtok=1.0, output_per_mtok=2.0)})
        unpriced = openai("no-such-model-anywhere", server)
        result = run_suite(load_suite(triage_suite), [priced, unpriced], repeats=1,
                           db=db_url)
    data = {m["model"]: m for m in run_to_json(result)["models"]}
    # The mock reports 10 prompt tokens and 1 completion token per call.
    assert data["priced-model"]["cost_usd"] == pytest.approx(3 * (10 * 1.0 + 1 * 2.0) / 1e6)
    assert data["priced-model"]["price"] == {"input_per_mtok": 1.0, "output_per_mtok": 2.0,
                                             "source": "models file"}
    assert data["no-such-model-anywhere"]["cost_usd"] is None
    assert data["no-such-model-anywhere"]["price"] is None
    report = render_markdown(Store(db_url).load_run(result.run_id))
    assert "- priced-model: 1 / 2, from models file" in report


def test_list_price_from_litellms_bundled_map(triage_suite: Path, db_url: str) -> None:
    import importlib.metadata
    import importlib.util

    if importlib.util.find_spec("litellm") is None:  # champion reads its data, never imports it
        pytest.skip("litellm (which ships the price map) is not installed")
    from champion._providers.pricing import litellm_price

    price = litellm_price("gpt-4o-mini", None)
    assert price is not None and price[0] > 0 and price[2].startswith("litellm ")
    cloudflare = litellm_price("@cf/meta/llama-3.1-8b-instruct-fp8",
                               "https://api.cloudflare.com/client/v4/accounts/x/ai/v1")
    assert cloudflare is not None and "cloudflare/@cf/meta" in cloudflare[2]
    assert litellm_price("@cf/meta/llama-3.1-8b-instruct-fp8", None) is None
    with MockOpenAIServer(triage_reply, model="gpt-4o-mini") as server:
        result = run_suite(load_suite(triage_suite), [openai("gpt-4o-mini", server)],
                           repeats=1, db=db_url)
    [model] = result.models
    assert model.price_source is not None and model.price_source.startswith("litellm ")
    [line] = run_to_json(result)["models"]
    version = importlib.metadata.version("litellm")
    assert line["price"]["source"] == f"litellm {version} (gpt-4o-mini)"
    assert line["cost_usd"] == pytest.approx(3 * (10 * price[0] + 1 * price[1]) / 1e6)
