"""Promoted databases over loopback models and gateways over them, for the rollout tests."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import httpx

from champion import Store, run_suite
from champion._registry.entries import Registry
from champion._registry.router import RouterConfig
from champion._web.gateway.rollout import RolloutSettings
from champion._web.gateway.server import GatewaySettings, build_app
from champion.testing import MockOpenAIServer
from tests.router.fakes import TASK, candidate
from tests.router.test_registry_end_to_end import suite, triage
from tests.web.servers import ServerThread

__all__ = ["TASK", "Models", "chat", "gateway", "number_of", "promoted_pair", "ticket", "triage",
           "wait_for"]


def ticket(number: int) -> str:
    """The ticket of call ``number``: billing for even numbers, technical for odd ones."""
    return f"charged twice #{number}" if number % 2 == 0 else f"error 500 on login #{number}"


@dataclass
class Models:
    """Loopback models: ``a`` and ``a2`` the first pair, ``b`` and ``b2`` the second."""

    servers: dict[str, MockOpenAIServer] = field(default_factory=dict)

    def __getitem__(self, name: str) -> MockOpenAIServer:
        return self.servers[name]

    def delays(self, **ms: float) -> None:
        for name, value in ms.items():
            self.servers[name].delay_s = value / 1000


@contextmanager
def promoted_pair(db: str) -> Iterator[tuple[Models, str, str]]:
    """Four models; a run where a and a2 lead (promoted on prod) and a later run where
    b and b2 lead. Yields the models and both run ids; every delay is 0 afterwards."""
    names = ("a", "a2", "b", "b2")
    with ExitStack() as stack:
        models = Models({n: stack.enter_context(MockOpenAIServer(triage, model=n))
                         for n in names})
        candidates = [candidate(n, models[n]) for n in names]
        models.delays(a=0, a2=15, b=40, b2=60)
        first = run_suite(suite(), candidates, repeats=1, db=db)
        assert (first.champion, first.runner_up) == ("a", "a2")
        with Store(db) as store:
            Registry(store).promote(TASK, first.run_id)
        models.delays(a=40, a2=60, b=0, b2=15)
        second = run_suite(suite(), candidates, repeats=1, db=db)
        assert (second.champion, second.runner_up) == ("b", "b2")
        models.delays(a=0, a2=0, b=0, b2=0)
        yield models, first.run_id, second.run_id


@contextmanager
def gateway(db: str, *, record: float = 0.0, record_text: bool = False,
            rollout: RolloutSettings | None = None, refresh_s: float = 0.2
            ) -> Iterator[ServerThread]:
    """A gateway app (one worker) over ``db`` on a loopback port; stopped (and its
    buffers written) on exit."""
    settings = GatewaySettings(
        db=db, router=RouterConfig(retries=0, refresh_s=refresh_s), record=record,
        record_text=record_text, log_format="none",
        rollout=rollout or RolloutSettings(tick_s=0.2, settle_s=0.3))
    with ServerThread(build_app(settings)) as server:
        yield server


def chat(client: httpx.Client, url: str, number: int, *, user: str | None = None,
         vars_: bool = True, headers: dict[str, str] | None = None) -> httpx.Response:
    """One task call for ticket ``number`` (as template vars, or as messages)."""
    body: dict[str, object] = {"model": f"task:{TASK}",
                               "messages": [{"role": "user", "content": "-"}]}
    if vars_:
        body["champion"] = {"vars": {"ticket": ticket(number)}}
    else:
        body["messages"] = [{"role": "system", "content": "Answer with one word."},
                            {"role": "user", "content": f"Ticket: {ticket(number)}"}]
    if user is not None:
        body["user"] = user
    return client.post(url + "/v1/chat/completions", json=body, headers=headers, timeout=20)


def wait_for(condition: Callable[[], bool], timeout_s: float = 20.0,
             every_s: float = 0.05) -> float:
    """Seconds until ``condition()`` held; AssertionError after ``timeout_s``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            raise AssertionError("still not so after the timeout")
        time.sleep(every_s)
    return time.monotonic() - start


def number_of(text: str) -> int:
    """The call number in a prompt (``#12``)."""
    found = re.search(r"#(\d+)", text)
    assert found is not None
    return int(found.group(1))
