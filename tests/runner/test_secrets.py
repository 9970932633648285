"""A key the server echoes back in its error body reaches no artifact."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from champion.testing import MockOpenAIServer
from tests.conftest import run_cli

SECRET = "sk-live-9c8b7a6f5e4d3c2b1a0f"
PASSWORD = "hunter2-pass-7731"


def test_an_echoed_key_is_masked_in_every_artifact(triage_suite: Path, tmp_path: Path,
                                                   db_url: str) -> None:
    with MockOpenAIServer("billing", mode="error401") as refusing, \
            MockOpenAIServer("billing") as healthy:
        models = tmp_path / "models.yaml"
        models.write_text(
            "models:\n"
            "  - id: refused\n    provider: openai\n    model: refused\n"
            f"    base_url: {refusing.base_url}/v1\n    api_key_env: CHAMPION_ECHO_KEY\n"
            "  - id: basic\n    provider: openai\n    model: basic\n"
            f"    base_url: http://admin:{PASSWORD}@{healthy.base_url[7:]}/v1\n")
        out = tmp_path / "out"
        run = run_cli("run", str(triage_suite), "--models", str(models), "--repeats", "1",
                      "--strategy", "full", "--db", db_url, "--json", str(out / "run.json"),
                      "--report", str(out / "run.html"), env={"CHAMPION_ECHO_KEY": SECRET})
        assert run.returncode == 0, run.stderr
        # The server really did quote the key back.
        assert SECRET in json.dumps([r.headers for r in refusing.requests])
    data = json.loads((out / "run.json").read_text())
    refused = next(m for m in data["models"] if m["model"] == "refused")
    assert refused["status"] == "error" and "401" in (refused.get("error") or "")
    run_id = data["run_id"]
    rebuilt = [run_cli("report", run_id, "--format", fmt, "--db", db_url)
               for fmt in ("md", "json", "html")]
    history = run_cli("history", "mini-triage", "--format", "json", "--db", db_url)
    database = Path(db_url.removeprefix("sqlite:///"))
    artifacts = {str(path): path.read_bytes() for path in out.iterdir()}
    artifacts.update({str(p): p.read_bytes() for p in database.parent.glob(database.name + "*")})
    for index, done in enumerate([run, *rebuilt, history]):
        artifacts[f"stdout {index}"] = done.stdout.encode()
        artifacts[f"stderr {index}"] = done.stderr.encode()
    basic = base64.b64encode(f"admin:{PASSWORD}".encode())
    for name, blob in artifacts.items():
        for secret in (SECRET.encode(), PASSWORD.encode(), basic):
            assert secret not in blob, f"{secret!r} leaked into {name}"
