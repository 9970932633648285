"""Scripted judges and candidates on one OpenAI-compatible server (calls counted there).

A grading task (``capital-grading``) is benchmarked on the scripted judges and
promoted, as a user would: its champion then judges ``capital`` answers.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from champion import Candidate, RunConfig, run_suite
from champion._registry import Registry
from champion._results import RunResult
from champion._store import Store
from champion.testing.scripted import ScriptedModel, ScriptedServerProcess

CAPITALS = r"Answer to grade:\s*(Paris|Berlin|Rome|Madrid|Lisbon)\b"
#: A judge that knows its capitals, and says why.
KNOWING = ScriptedModel(reply="FAIL: that is not the capital",
                        rules=[(CAPITALS, "PASS: it names the capital")])

GRADING = """\
task: capital-grading
prompt:
  user: "Country: {country}\\nAnswer to grade:\\n{answer}\\n\\nVerdict (PASS or FAIL):"
output: {kind: label, labels: [PASS, FAIL]}
check: {type: label}
params: {max_tokens: 16}
cases:
  - {id: G1, vars: {country: France, answer: Paris}, expected: PASS}
  - {id: G2, vars: {country: Germany, answer: Berlin}, expected: PASS}
  - {id: G3, vars: {country: Italy, answer: Rome}, expected: PASS}
  - {id: G4, vars: {country: Spain, answer: Madrid}, expected: PASS}
  - {id: G5, vars: {country: Portugal, answer: Lisbon}, expected: PASS}
  - {id: G6, vars: {country: France, answer: Lyon}, expected: FAIL}
  - {id: G7, vars: {country: Germany, answer: Munich}, expected: FAIL}
  - {id: G8, vars: {country: Italy, answer: Milan}, expected: FAIL}
  - {id: G9, vars: {country: Spain, answer: Barcelona}, expected: FAIL}
  - {id: G10, vars: {country: Portugal, answer: Porto}, expected: FAIL}
"""

CAPITAL = """\
task: capital
prompt: {{user: "Name the capital of {{country}}."}}
output: {{kind: text}}
check:
  type: judge
  rubric: PASS when the answer names the capital city of the country, FAIL otherwise.
  judge: {judge}
repeats: 2
params: {{max_tokens: 16}}
cases:
  - {{id: FR, vars: {{country: France}}, reference: Paris}}
  - {{id: DE, vars: {{country: Germany}}, reference: Berlin}}
  - {{id: IT, vars: {{country: Italy}}, reference: Rome}}
{extra}"""


def capital_suite(folder: Path, judge: str, extra: str = "", name: str = "capital.yaml",
                  ) -> Path:
    """The judged suite, judged by ``judge`` (a YAML flow mapping)."""
    path = folder / name
    path.write_text(CAPITAL.format(judge=judge, extra=textwrap.dedent(extra)),
                    encoding="utf-8")
    return path


def answering(capitals: Mapping[str, str], delay_ms: float = 0.0) -> ScriptedModel:
    """A candidate answering each country with the given city."""
    return ScriptedModel(reply="I do not know", delay_ms=delay_ms,
                         rules=[(country, city) for country, city in capitals.items()])


GOOD = {"France": "Paris", "Germany": "Berlin", "Italy": "Rome"}
WRONG_ON_FRANCE = {"France": "Lyon", "Germany": "Berlin", "Italy": "Rome"}


@dataclass
class Bench:
    """The scripted server, the database, and how to reach each model."""

    server: ScriptedServerProcess
    db: str
    folder: Path

    def spec(self, model: str) -> str:
        """The ``-m`` spec of a scripted model."""
        return f"openai/{model}@{self.server.openai_url}"

    def candidates(self, *names: str) -> list[Candidate]:
        """Scripted models as candidates with their names as ids."""
        return [Candidate(id=name, provider="openai", model=name,
                          base_url=self.server.openai_url) for name in names]

    def grading_run(self, judges: tuple[str, ...], repeats: int = 3) -> RunResult:
        """Benchmark the grading task on the judges (full grid) and promote its pair."""
        path = self.folder / "grading.yaml"
        path.write_text(GRADING, encoding="utf-8")
        result = run_suite(str(path), self.candidates(*judges), repeats=repeats, db=self.db,
                           config=RunConfig(strategy="full", seed=1))
        with Store(self.db) as store:
            Registry(store).promote("capital-grading", result.run_id)
        return result

    def run(self, suite: Path, *names: str, strategy: str = "full") -> RunResult:
        """Run ``suite`` on scripted candidates."""
        return run_suite(str(suite), self.candidates(*names), db=self.db,
                         config=RunConfig(strategy=strategy, seed=3))

    def resume(self, suite: Path, run_id: str) -> RunResult:
        """Resume a run with its own candidates."""
        return run_suite(str(suite), None, db=self.db, resume=run_id)


@contextmanager
def bench(folder: Path, models: Mapping[str, ScriptedModel]) -> Iterator[Bench]:
    """A scripted server with ``models`` and a fresh SQLite database in ``folder``."""
    with ScriptedServerProcess(dict(models)) as server:
        yield Bench(server, f"sqlite:///{folder / 'champion.db'}", folder)


def delta(after: Mapping[str, int], before: Mapping[str, int]) -> dict[str, int]:
    """Calls per model between two readings of the server's counts."""
    return {model: after.get(model, 0) - before.get(model, 0)
            for model in set(after) | set(before) if after.get(model, 0) != before.get(model, 0)}
