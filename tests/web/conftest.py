"""Fixtures for the web tests: a real headless Chromium, one per test module; gateways."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from champion._registry.router import Router, RouterConfig
from champion._web.gateway import CallObserver, GatewayConfig, create_gateway
from champion.testing import MockOpenAIServer
from tests.router.fakes import FakeRegistry, candidate
from tests.web.gateways import StartGateway, registry_of
from tests.web.servers import ServerThread

CHROMIUM = Path("/usr/bin/chromium")


def _missing(reason: str) -> None:
    # On CI a missing browser is a broken set-up, not a reason to skip the end-to-end tests.
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing: apt-get install chromium (make system-deps)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def gateway_over(champion_server: MockOpenAIServer, runner_up_server: MockOpenAIServer
                 ) -> Iterator[StartGateway]:
    """Start a gateway (default: over the champion and runner-up servers); stopped after."""
    started: list[ServerThread] = []

    def start(config: RouterConfig | None = None, registry: FakeRegistry | None = None,
              gateway: GatewayConfig | None = None, observers: Sequence[CallObserver] = (),
              environ: dict[str, str] | None = None) -> ServerThread:
        if registry is None:
            registry = registry_of(candidate("champ", champion_server),
                                   candidate("second", runner_up_server))
        router = Router(registry, config or RouterConfig(retries=0), environ=environ or {})
        server = ServerThread(create_gateway(router, config=gateway, observers=observers))
        started.append(server.__enter__())
        return server

    yield start
    for server in started:
        server.__exit__()
