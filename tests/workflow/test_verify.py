"""A scripted workflow end to end: benchmark each step's task on a loopback server that
speaks Ollama's protocol (known call times and load times), plan it, verify the plan
on the same server, and compare measured with projected."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from champion._cli.main import cli
from champion._store import Store
from champion.testing import OllamaModel, OllamaProtocolServer

SUITES = {
    "extract": """\
        task: extract-task
        prompt: {user: "Text: {text}\\nKind (alpha, beta):"}
        output: {kind: label, labels: [alpha, beta]}
        repeats: 2
        params: {max_tokens: 4, timeout_s: 10}
        cases:
          - {id: E1, vars: {text: "first alpha thing"}, expected: alpha}
          - {id: E2, vars: {text: "a beta thing"}, expected: beta}
          - {id: E3, vars: {text: "more alpha"}, expected: alpha}
        """,
    "grade": """\
        task: grade-task
        prompt: {user: "Kind: {kind}\\nKeep it (yes, no)?"}
        output: {kind: label, labels: ["yes", "no"]}
        repeats: 2
        params: {max_tokens: 4, timeout_s: 10}
        cases:
          - {id: G1, vars: {kind: alpha}, expected: "yes"}
          - {id: G2, vars: {kind: beta}, expected: "no"}
        """,
    "ticket": """\
        task: ticket-task
        prompt: {user: "Ticket: {text}\\nTeam (billing, tech):"}
        output: {kind: label, labels: [billing, tech]}
        repeats: 2
        params: {max_tokens: 4, timeout_s: 10}
        cases:
          - {id: T1, vars: {text: "charged twice"}, expected: billing}
          - {id: T2, vars: {text: "an error"}, expected: tech}
        """,
}
WORKFLOW = """\
workflow: scripted
description: Three steps; each step's champion is its own small model.
budget: {memory_gb: 1.5}
flow: wave
steps:
  - {id: extract, task: extract-task, inputs: {text: item.text}}
  - {id: grade, task: grade-task, after: [extract], inputs: {kind: extract}}
  - {id: ticket, task: ticket-task, after: [grade], share: 0.4}
"""
ITEMS = """\
items:
  - {id: i1, vars: {text: "one alpha charged"}, cases: {extract: E1, grade: G1}}
  - {id: i2, vars: {text: "two beta error"}, cases: {extract: E2, grade: G2, ticket: T2}}
  - {id: i3, vars: {text: "three alpha charged"}, steps: [extract, grade]}
  - {id: i4, vars: {text: "four beta error"}, steps: [extract, grade]}
  - {id: i5, vars: {text: "five alpha charged"}}
"""
RULES = [("Kind: alpha", "yes"), ("Kind: beta", "no"), ("Ticket: .*charged", "billing"),
         ("Ticket: .*error", "tech"), ("Text: .*alpha", "alpha"), ("Text: .*beta", "beta")]
#: Load time of every model (ms); ``big`` answers every step in 40 ms, the small
#: ones only their own step, in 10 ms.
LOAD_MS = 300.0


def _model(prefix: str | None, prompt_ms: float) -> OllamaModel:
    rules = [rule for rule in RULES if prefix is None or rule[0].startswith(prefix)]
    return OllamaModel(reply="none", rules=rules, prompt_ms=prompt_ms, token_ms=1.0,
                       load_ms=LOAD_MS, size=1_000_000_000)


@dataclass
class Scripted:
    server: OllamaProtocolServer
    db: str
    folder: Path

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "--db", self.db])

    def write(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scripted]:
    folder = tmp_path_factory.mktemp("scripted-workflow")
    models = {"big": _model(None, 40.0), "fast-e": _model("Text", 10.0),
              "fast-g": _model("Kind", 10.0), "fast-t": _model("Ticket", 10.0)}
    with OllamaProtocolServer(models) as server:
        found = Scripted(server, f"sqlite:///{folder / 'champion.db'}", folder)
        specs = [arg for name in models for arg in ("-m", f"ollama/{name}@{server.base_url}")]
        for name, text in SUITES.items():
            done = found.cli("run", str(found.write(f"{name}.yaml", text)), *specs,
                             "--strategy", "full")
            assert done.exit_code == 0, done.output
        yield found


def test_the_plan_picks_the_shared_model_and_says_why(scripted: Scripted) -> None:
    path = scripted.write("w.yaml", WORKFLOW)
    done = scripted.cli("plan", str(path), "--items", "5", "--format", "json")
    assert done.exit_code == 0, done.output
    plan = json.loads(done.output)
    assert [(s["model"], s["champion"]) for s in plan["steps"]] == [
        ("big", "fast-e"), ("big", "fast-g"), ("big", "fast-t")]
    assert plan["loads"] == 1 and plan["per_step_champions"]["loads"] == 3
    assert plan["projected_total_ms"] < plan["per_step_champions"]["projected_total_ms"]
    assert plan["why"].startswith("big runs extract, grade and ticket: 1 load instead of 3")
    memory = {m["id"]: m["memory_mb"] for m in plan["models"]}
    assert memory["big"] == 1200.0  # as the server's /api/ps reports it


def test_a_budget_below_any_model_fits_nothing(scripted: Scripted) -> None:
    path = scripted.write("tight.yaml", WORKFLOW.replace("memory_gb: 1.5", "memory_gb: 1"))
    done = scripted.cli("plan", str(path), "--items", "5")
    assert done.exit_code == 3
    assert "nothing fits: no assignment of qualified models fits the budget; the closest" \
        in done.output and "200 MB over memory_gb 1" in done.output


def test_verify_lands_within_15_percent_of_the_projection(scripted: Scripted) -> None:
    path = scripted.write("w.yaml", WORKFLOW)
    items = scripted.write("items.yaml", ITEMS)
    scripted.server.events.clear()
    done = scripted.cli("plan", str(path), "--items", "5", "--verify", str(items), "--format",
                        "json")
    assert done.exit_code == 0, done.output
    verified = json.loads(done.output)["verify"]
    assert verified["status"] == "complete"
    steps = {s["step"]: s for s in verified["steps"]}
    assert [(s["reached"], s["calls"], s["loads"], s["errors"]) for s in steps.values()] == [
        (5, 5, 1, 0), (5, 5, 0, 0), (3, 3, 0, 0)]
    assert abs(verified["deviation"]) < 0.15, verified
    # one load of big (about LOAD_MS and a warm-up call), then only calls
    assert LOAD_MS <= steps["extract"]["load_ms"] < LOAD_MS * 1.5
    assert (verified["correct"], verified["graded"]) == (5, 5)
    # grade's var came from extract's output
    prompts = [body["messages"][-1]["content"] for kind, name, body in scripted.server.events
               if kind == "chat" and name == "big"]
    assert "Kind: alpha\nKeep it (yes, no)?" in prompts
    assert "Kind: beta\nKeep it (yes, no)?" in prompts
    with Store(scripted.db) as store:
        stored = store.latest_verification("scripted")
    assert stored is not None and stored.id == verified["id"]
    assert stored.status == "complete" and stored.measured is not None
    assert stored.measured["measured_total_ms"] == verified["measured_total_ms"]
    assert len(stored.measured["calls"]) == 13
    table = scripted.cli("plan", str(path), "--items", "5", "--verify", str(items))
    assert "verify: measured" in table.output and "5/5 graded outputs correct" in table.output


def test_a_step_that_fails_stops_its_items_and_is_kept(scripted: Scripted) -> None:
    path = scripted.write("w.yaml", WORKFLOW)
    items = scripted.write("odd.yaml", """\
        - {id: odd, vars: {text: "neither one"}, steps: [extract, grade]}
        - {id: fine, vars: {text: "an alpha"}, steps: [extract, grade]}
        """)
    done = scripted.cli("plan", str(path), "--items", "2", "--verify", str(items), "--format",
                        "json")
    verified = json.loads(done.output)["verify"]
    calls = {(c["item"], c["step"]): c for c in verified["calls"]}
    assert calls["odd", "extract"]["error"].startswith("unparseable")
    assert calls["odd", "extract"]["output"] == "none"
    assert ("odd", "grade") not in calls and calls["fine", "grade"]["got"] == "yes"
    grade = next(s for s in verified["steps"] if s["step"] == "grade")
    assert (grade["calls"], grade["skipped"]) == (1, 1)


@pytest.mark.parametrize(("text", "line", "message"), [
    ("- {id: a, vars: {txt: x}}\n", 1, "step 'extract' needs var 'text'"),
    ("- {id: a, vars: {text: x}, cases: {extract: E11}}\n", 1,
     "step 'extract''s suite has no case 'E11' (did you mean 'E1'?)"),
    ("- {id: a, vars: {text: x}, steps: [extract, grade, tiket]}\n", 1,
     "unknown step 'tiket' (did you mean 'ticket'?)"),
    ("- {id: a, vars: {text: x}, steps: [grade]}\n", 1,
     "reaches step 'grade' but not 'extract', whose output it takes"),
    ("- {id: a, vars: {text: x}}\n- {id: a, vars: {text: y}}\n", 2, "duplicate item id 'a'"),
    ("items:\n  - id: a\n    vars: {text: x}\n    case: {extract: E1}\n", 4,
     "unknown key 'case' (did you mean 'cases'?)"),
    ("[]\n", 1, "at least one item"),
])
def test_bad_items_files_are_path_line_errors(scripted: Scripted, text: str, line: int,
                                              message: str) -> None:
    path = scripted.write("w.yaml", WORKFLOW)
    items = scripted.write("bad-items.yaml", text)
    done = scripted.cli("plan", str(path), "--items", "5", "--verify", str(items))
    assert done.exit_code == 2, done.output
    assert done.output.startswith(f"error: {items}:{line}: ") and message in done.output
