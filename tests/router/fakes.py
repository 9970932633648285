"""An in-memory registry over loopback servers, for Router and gateway tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from champion._providers.candidate import Candidate
from champion._suite.model import Suite
from champion.testing import MockOpenAIServer

TASK = "mini-triage"


def triage_suite() -> Suite:
    """A label task: billing or technical."""
    return Suite.model_validate({
        "task": TASK,
        "prompt": {"system": "Answer with one word.", "user": "Ticket: {ticket}"},
        "output": {"kind": "label", "labels": ["billing", "technical"]},
        "params": {"max_tokens": 4, "timeout_s": 5},
        "cases": [{"id": "C1", "vars": {"ticket": "charged twice"}, "expected": "billing"}],
    })


def candidate(name: str, server: MockOpenAIServer) -> Candidate:
    """An OpenAI-compatible candidate on a loopback server."""
    return Candidate(id=name, provider="openai", model=name, base_url=server.base_url + "/v1")


@dataclass(frozen=True)
class FakeModel:
    id: str
    key: str
    candidate: Candidate
    median_ms: float | None = None
    p90_ms: float | None = None
    pass_rate: float = 1.0


@dataclass(frozen=True)
class FakeEntry:
    task: str
    stage: str
    run_id: str
    promoted_at: datetime
    champion: FakeModel
    runner_up: FakeModel | None
    suite: Suite


@dataclass
class FakeRegistry:
    """The registry's read side, in memory: entries by stage, and a version."""

    items: list[FakeEntry] = field(default_factory=list)
    revision: int = 1
    version_calls: int = 0

    def entries(self, stage: str | None = None) -> list[FakeEntry]:
        return [e for e in self.items if stage is None or e.stage == stage]

    def version(self) -> int:
        self.version_calls += 1
        return self.revision

    def register(self, champion: Candidate, runner_up: Candidate | None,
                 suite: Suite | None = None) -> None:
        """Publish a pair for the task (replacing any earlier one)."""
        def model(c: Candidate) -> FakeModel:
            return FakeModel(c.id, f"{c.provider}/{c.model}@{c.base_url}", c)

        self.items = [FakeEntry(TASK, "prod", f"run{self.revision}", datetime.now(UTC),
                                model(champion), model(runner_up) if runner_up else None,
                                suite or triage_suite())]
        self.revision += 1
