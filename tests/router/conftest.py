"""Routes over live loopback servers: a registry of one task with a champion and a runner-up."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from champion._registry.router import Router, RouterConfig
from champion.testing import MockOpenAIServer

from .fakes import FakeRegistry, candidate


@pytest.fixture
def registry(champion_server: MockOpenAIServer,
             runner_up_server: MockOpenAIServer) -> FakeRegistry:
    fake = FakeRegistry()
    fake.register(candidate("champ", champion_server), candidate("second", runner_up_server))
    return fake


@pytest.fixture
def make_router(registry: FakeRegistry) -> Iterator[Callable[..., Router]]:
    """Routers over the registry, closed after the test."""
    made: list[Router] = []

    def make(config: RouterConfig | None = None, **kwargs: object) -> Router:
        router = Router(registry, config or RouterConfig(), **kwargs)
        made.append(router)
        return router

    yield make
    for router in made:
        router.close()
