"""Gateways over in-memory registries of loopback models, for the gateway tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import openai

from champion._providers.candidate import Candidate
from tests.router.fakes import TASK, FakeEntry, FakeModel, FakeRegistry, triage_suite
from tests.web.servers import ServerThread

MESSAGES = [{"role": "system", "content": "Answer with one word."},
            {"role": "user", "content": "Ticket: I was charged twice"}]

StartGateway = Callable[..., ServerThread]


def registry_of(champion: Candidate, runner_up: Candidate | None,
                champion_median_ms: float | None = None) -> FakeRegistry:
    """A registry serving TASK with these two models (the champion's median as given)."""
    registry = FakeRegistry()
    registry.items = [FakeEntry(
        TASK, "prod", "run1", datetime.now(UTC),
        FakeModel(champion.id, f"key-{champion.id}", champion, champion_median_ms),
        None if runner_up is None else FakeModel(runner_up.id, f"key-{runner_up.id}",
                                                 runner_up),
        triage_suite())]
    return registry


def client(gateway: ServerThread) -> openai.OpenAI:
    """The official client, pointed at the gateway."""
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key="unused", max_retries=0,
                         timeout=20)


def timing(header: str) -> dict[str, float]:
    """``x-champion-timing`` as stage → ms."""
    return {name: float(value) for name, value in
            (part.split("=") for part in header.split(";"))}
