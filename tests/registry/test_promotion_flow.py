"""From benchmark to production, through the real command: two runs against scripted
HTTP models where the champion changes, history, promote, registry --format env,
and check failing once the promoted champion starts answering wrongly."""

from __future__ import annotations

import json
import re
from pathlib import Path

from champion.testing import MockOpenAIServer
from tests.conftest import run_cli


def _triage(prompt: str) -> str:
    return "billing" if re.search("charged|refund", prompt) else "technical"


def _wrong(prompt: str) -> str:
    return "account"


def _models_file(path: Path, alpha: MockOpenAIServer, beta: MockOpenAIServer) -> Path:
    path.write_text(
        "models:\n"
        f"  - {{id: alpha, provider: openai, model: alpha, base_url: '{alpha.base_url}/v1'}}\n"
        f"  - {{id: beta, provider: openai, model: beta, base_url: '{beta.base_url}/v1'}}\n",
        encoding="utf-8")
    return path


def _ok(*args: str) -> str:
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def test_benchmark_history_promote_registry_and_check(triage_suite: Path, tmp_path: Path,
                                                      db_url: str) -> None:
    with MockOpenAIServer(_triage, delay_ms=5, model="alpha") as alpha, \
            MockOpenAIServer(_triage, delay_ms=60, model="beta") as beta:
        models = _models_file(tmp_path / "models.yaml", alpha, beta)
        run = ("run", str(triage_suite), "--models", str(models), "--db", db_url)
        _ok(*run)
        alpha.delay_s, beta.delay_s = 0.06, 0.005  # the other model is faster now
        _ok(*run)

        history = json.loads(_ok("history", "mini-triage", "--format", "json", "--db", db_url))
        first, second = history["runs"]
        assert (first["champion"]["id"], second["champion"]["id"]) == ("alpha", "beta")
        assert second["champion_changed"] and second["previous_champion"] == "alpha"
        assert not first["champion_changed"] and not second["suite_changed"]
        table = _ok("history", "mini-triage", "--db", db_url)
        assert "champion changed (was alpha)" in table
        trend = json.loads(_ok("history", "mini-triage", "--model", "alpha", "--format",
                               "json", "--db", db_url))
        assert [p["status"] for p in trend["points"]] == ["champion", "runner-up"]

        refused = run_cli("promote", "mini-triage", "--run", "no-such-run", "--db", db_url)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert "no run 'no-such-run'" in refused.stderr

        promoted = _ok("promote", "mini-triage", "--db", db_url)
        assert f"run {second['run_id']}" in promoted
        env = _ok("registry", "--format", "env", "--db", db_url).splitlines()
        assert env == [
            "CHAMPION_MINI_TRIAGE_MODEL=beta",
            "CHAMPION_MINI_TRIAGE_PROVIDER=openai",
            f"CHAMPION_MINI_TRIAGE_BASE_URL={beta.base_url}/v1",
            "CHAMPION_MINI_TRIAGE_FALLBACK_MODEL=alpha",
            "CHAMPION_MINI_TRIAGE_FALLBACK_PROVIDER=openai",
            f"CHAMPION_MINI_TRIAGE_FALLBACK_BASE_URL={alpha.base_url}/v1",
        ]
        assert _ok("registry", "--format", "env", "--stage", "dev", "--db", db_url) == ""

        healthy = run_cli("check", "mini-triage", "--db", db_url)
        assert healthy.returncode == 0, healthy.stderr + healthy.stdout
        assert "OK: the champion still qualifies" in healthy.stdout

        beta.reply = _wrong
        failing = run_cli("check", "mini-triage", "--db", db_url)
        assert failing.returncode == 3, failing.stderr + failing.stdout
        assert "champion beta: disqualified; pass rate 100% → 0%" in failing.stdout
        assert "FAIL: the champion no longer qualifies" in failing.stdout
        # A check's re-run is stored, but promote never takes it by default.
        again = _ok("promote", "mini-triage", "--stage", "dev", "--db", db_url)
        assert f"run {second['run_id']}" in again
        # history marks the checks' re-runs as checks, in JSON and in the table.
        runs = json.loads(_ok("history", "mini-triage", "--format", "json", "--db",
                              db_url))["runs"]
        assert [r["purpose"] for r in runs] == ["benchmark", "benchmark", "check", "check"]
        rows = {line.split("│")[1].strip(): line.split("│")[3].strip()
                for line in _ok("history", "mini-triage", "--db", db_url).splitlines()
                if re.match(r"│ [0-9a-f]{12} ", line)}
        assert rows == {r["run_id"]: r["purpose"] for r in runs}
