"""Replicas: two ``champion gateway`` processes (one with two workers) on one PostgreSQL
database serve a new promotion within the documented bound (the refresh interval plus
one registry read)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from champion import Store, run_suite
from champion._registry.entries import Registry
from champion.testing import MockOpenAIServer
from tests.router.fakes import TASK, candidate
from tests.router.test_registry_end_to_end import suite, triage
from tests.store.postgres import PostgresServer

REFRESH_S = 0.5
#: The documented bound: the refresh interval, one registry read, one call.
BOUND_S = REFRESH_S + 1.0
BODY = {"model": f"task:{TASK}", "messages": [{"role": "user", "content": "-"}],
        "champion": {"vars": {"ticket": "charged twice"}}}


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


CALLS: dict[str, int] = {}


def _served_by(url: str) -> str:
    CALLS[url] = CALLS.get(url, 0) + 1
    response = httpx.post(url + "/v1/chat/completions", json=BODY, timeout=10)
    assert response.status_code == 200, response.text
    return response.headers["x-champion-served-by"]


def _switched(url: str, model: str, start: float, streak: int = 8,
              limit_s: float = 15.0) -> float:
    """Seconds from ``start`` (monotonic) until every worker serves ``model``
    (``streak`` answers in a row say so)."""
    since: float | None = None
    count = 0
    while time.monotonic() - start < limit_s:
        now = time.monotonic() - start
        if _served_by(url) == model:
            since = now if count == 0 else since
            count += 1
            if count >= streak:
                assert since is not None
                return since
        else:
            count = 0
        time.sleep(0.02)
    raise AssertionError(f"{url} still does not serve {model}")


def test_two_gateways_on_postgresql_serve_a_new_promotion_within_the_bound(
        postgres_server: PostgresServer) -> None:
    db = postgres_server.new_database()
    with MockOpenAIServer(triage) as first, MockOpenAIServer(triage, delay_ms=40) as second:
        models = [candidate("first", first), candidate("second", second)]
        run_suite(suite(), models, repeats=1, db=db)
        with Store(db) as store:
            Registry(store).promote(TASK)
        processes, urls = [], []
        try:
            for workers in (2, 1):
                port = _port()
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "champion", "gateway", "--port", str(port),
                     "--db", db, "--workers", str(workers), "--refresh", str(REFRESH_S),
                     "--log-format", "none"], stderr=subprocess.PIPE, text=True,
                    env={k: v for k, v in os.environ.items() if k != "CHAMPION_TOKEN"}))
                urls.append(f"http://127.0.0.1:{port}")
            for url in urls:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        httpx.get(url + "/v1/models", timeout=1)
                        break
                    except httpx.TransportError:
                        assert time.monotonic() < deadline, "a gateway did not start"
                        time.sleep(0.2)
                assert _switched(url, "first", time.monotonic()) < 5
            first.delay_s, second.delay_s = 0.04, 0.0  # the next run ranks them the other way
            result = run_suite(suite(), models, repeats=1, db=db)
            assert result.champion == "second"
            with Store(db) as store:
                Registry(store).promote(TASK)
            promoted = time.monotonic()
            took = [_switched(url, "second", promoted) for url in urls]
            # Each call opened its own connection, so both workers of the first gateway
            # served some; its /metrics adds up every worker's.
            scrape = httpx.get(urls[0] + "/metrics", timeout=10).text
            counted = sum(sample.value for family in text_string_to_metric_families(scrape)
                          for sample in family.samples
                          if sample.name == "gen_ai_client_operation_duration_seconds_count")
        finally:
            for process in processes:
                process.terminate()
            errors = [process.communicate(timeout=20)[1] for process in processes]
    assert all(t <= BOUND_S for t in took), took
    assert counted == CALLS[urls[0]]
    assert all("database: postgresql+psycopg://champion@" in err for err in errors)
    assert all(f"tasks: {TASK}" in err for err in errors)
