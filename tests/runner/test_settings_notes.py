"""A setting champion cannot apply is said out loud, once per model, in the output and JSON."""

from __future__ import annotations

import json
from pathlib import Path

from champion.testing.scripted import ScriptedModel, ScriptedServerProcess
from tests.conftest import run_cli

SUITE = """\
task: constrained
prompt: {user: "Ticket: {ticket}"}
output: {kind: label, labels: [billing, technical], constrain: true}
params: {max_tokens: 4, timeout_s: 10, top_k: 20}
cases:
  - {id: a, vars: {ticket: charged twice}, expected: billing}
  - {id: b, vars: {ticket: error 500}, expected: technical}
"""


def test_unapplied_settings_are_noted_once_per_model(tmp_path: Path, db_url: str) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    with ScriptedServerProcess({"m": ScriptedModel(rules=[("charged", "billing")],
                                                   reply="technical")}) as server:
        models = tmp_path / "models.yaml"
        models.write_text("models:\n  - id: m\n    provider: openai\n    model: m\n"
                          f"    base_url: {server.openai_url}\n"
                          "    options: {temprature: 0.5}\n")  # a typo
        out = tmp_path / "run.json"
        done = run_cli("run", str(suite), "--models", str(models), "--db", db_url,
                       "--repeats", "2", "--json", str(out))
    assert done.returncode == 0, done.stderr
    [model] = json.loads(out.read_text())["models"]
    notes = model["notes"]
    assert any("constrain" in note for note in notes)       # labels cannot be enforced here
    assert any("temprature" in note for note in notes)      # an unknown option
    assert any("top_k" in note for note in notes)           # a parameter it does not send
    for note in notes:  # said once, not once per trial
        assert done.stdout.count(note[:40]) == 1
