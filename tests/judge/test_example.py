"""examples/posting-summary.yaml judged by the champion of examples/job-posting-grading.json.

The grader here is scripted (it knows the grading suite's answers), so the
example's wiring is tested without a model that qualifies as a grader: the
grading run, its promotion, and the summaries graded through the grading
task's own prompt.
"""

from __future__ import annotations

import json
from pathlib import Path

from champion import Candidate, RunConfig, run_suite
from champion._registry import Registry
from champion._store import Store
from champion.testing.scripted import ScriptedModel, ScriptedServerProcess
from tests.conftest import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: What gives the grading suite's bad summaries away (and the example's bad one).
BAD_SUMMARIES = [r"team of eight", r"great opportunity for caring", r"Solaris Power",
                 r"Apply now!", r"\|\|\|", r"Office Manager", r"Amazing role!!!", r"\bCEO\b"]
GRADER = ScriptedModel(reply="PASS", rules=[(pattern, "FAIL") for pattern in BAD_SUMMARIES])


def test_the_posting_summaries_are_graded_by_the_grading_champion(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    writers = {"faithful": ScriptedModel(reply="A faithful summary of the posting."),
               "boss": ScriptedModel(reply="They want a CEO.")}
    with ScriptedServerProcess({"grader": GRADER, **writers}) as server:
        grader = Candidate(id="grader", provider="openai", model="grader",
                           base_url=server.openai_url)
        grading = run_suite(EXAMPLES / "job-posting-grading.json", [grader], repeats=3, db=db,
                            config=RunConfig(strategy="full"))
        assert grading.champion == "grader"
        refused = run_cli("validate", str(EXAMPLES / "posting-summary.yaml"), "--db", db)
        assert refused.returncode == 2
        assert "never promoted to prod: champion promote job_posting_summary_grading" \
            in refused.stderr
        with Store(db) as store:
            Registry(store).promote("job_posting_summary_grading")
        out = tmp_path / "summary.json"
        specs = [arg for name in writers for arg in ("-m", f"openai/{name}@{server.openai_url}")]
        done = run_cli("run", str(EXAMPLES / "posting-summary.yaml"), *specs, "--db", db,
                       "--json", str(out), "--strategy", "full")
        assert done.returncode == 0, done.stderr
        stats = server.stats()
    data = json.loads(out.read_text())
    assert data["champion"] == "faithful"
    boss = next(m for m in data["models"] if m["model"] == "boss")
    assert boss["passes"] == 0 and boss["trials"] == 9
    judge = data["judge"]
    assert judge["task"] == "job_posting_summary_grading" and judge["model"] == "grader"
    assert judge["agreement_lower95"] >= 0.9
    assert judge["calibration"]["agreed"] == 3 and judge["calibration"]["disagreements"] == []
    # 30 grading trials and a warm-up; then a warm-up, 3 calibration answers and one
    # verdict per distinct (case, summary): 3 cases x 2 writers.
    assert stats["grader"] == 31 + 1 + 3 + 6
