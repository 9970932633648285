"""The two loopback models the router and gateway tests route between."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from champion.testing import MockOpenAIServer


@pytest.fixture
def champion_server() -> Iterator[MockOpenAIServer]:
    """The registered champion: answers the label as it is."""
    with MockOpenAIServer("billing", model="champ") as server:
        yield server


@pytest.fixture
def runner_up_server() -> Iterator[MockOpenAIServer]:
    """The runner-up: the same label, written differently."""
    with MockOpenAIServer("Billing.", model="second") as server:
        yield server
