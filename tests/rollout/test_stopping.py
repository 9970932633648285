"""Stopping the gateway: what it holds (production samples, shadow outcomes) is written,
and ``champion gateway`` exits 143 on SIGTERM, with one worker or several."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from champion import Store
from champion._web.gateway.rollout import RolloutSettings
from champion.testing import MockOpenAIServer
from tests.rollout.helpers import TASK, chat, gateway, triage, wait_for
from tests.rollout.test_shadow import promoted


def _counts(db: str) -> tuple[int, int]:
    with Store(db) as store:
        return (store.production_summary(TASK).calls,
                len(store.shadow_outcomes(TASK, limit=10_000)))


def test_stopping_writes_the_outcomes_and_samples_held(db_url: str) -> None:
    with promoted(db_url), MockOpenAIServer(triage) as shadow:
        rollout = RolloutSettings(shadows=(f"{TASK}=openai/shadow@{shadow.base_url}/v1",),
                                  shadow_sample=1.0, tick_s=3600)
        with gateway(db_url, record=1.0, rollout=rollout) as server, httpx.Client() as client:
            for number in range(6):
                chat(client, server.url, number)

            def compared() -> bool:
                scrape = client.get(server.url + "/metrics").text
                return sum(s.value for f in text_string_to_metric_families(scrape)
                           for s in f.samples
                           if s.name == "champion_shadow_agreement_total") == 6

            wait_for(compared)
            assert _counts(db_url) == (0, 0)  # held: the writers wait an hour
    assert _counts(db_url) == (6, 6)


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_writes_what_the_gateway_holds_and_exits_143(db_url: str, workers: int) -> None:
    with promoted(db_url), MockOpenAIServer(triage) as shadow:
        port = _port()
        process = subprocess.Popen(
            [sys.executable, "-m", "champion", "gateway", "--port", str(port), "--db",
             db_url, "--workers", str(workers), "--record", "1", "--log-format", "none",
             "--shadow", f"{TASK}=openai/shadow@{shadow.base_url}/v1", "--shadow-sample", "1"],
            stderr=subprocess.PIPE, text=True,
            env={k: v for k, v in os.environ.items() if k != "CHAMPION_TOKEN"})
        try:
            url = f"http://127.0.0.1:{port}"
            with httpx.Client() as client:
                wait_for(lambda: _up(client, url), 60, 0.2)
                for number in range(8):
                    assert chat(client, url, number).status_code == 200
            time.sleep(0.1)  # the last shadow call answers (a loopback model: ~1 ms)
            process.send_signal(signal.SIGTERM)
            _out, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 143, err
    assert "Traceback" not in err
    assert _counts(db_url) == (8, 8)


def _up(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url + "/v1/models", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
