"""A 429 or 503 with Retry-After is honoured, but only within the call's deadline."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from champion import Candidate, RunConfig, run_suite
from champion.testing import MockOpenAIServer

SUITE = """\
task: wait
prompt: {{user: "Ticket: {{ticket}}"}}
output: {{kind: label, labels: [billing, technical]}}
params: {{max_tokens: 4, timeout_s: {timeout}}}
cases: [{{id: a, vars: {{ticket: charged twice}}, expected: billing}}]
"""

CONFIG = RunConfig(strategy="full", repeats=1, warmup=False, retries=2, retry_backoff_s=0.01)


@pytest.mark.parametrize("status", [429, 503])
def test_the_server_s_wait_is_honoured_when_it_fits(tmp_path: Path, db_url: str,
                                                   status: int) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE.format(timeout=5))
    with MockOpenAIServer("billing", fail_first=1, fail_status=status,
                          retry_after="0.4") as server:
        start = time.perf_counter()
        result = run_suite(str(suite), [Candidate(id="m", provider="openai", model="m",
                                                  base_url=f"{server.base_url}/v1")],
                           config=CONFIG, db=db_url)
        elapsed = time.perf_counter() - start
    [trial] = list(result.trials)
    assert trial.correct and trial.error is None
    assert server.chat_requests == 2  # refused once, then served
    assert elapsed >= 0.4  # it waited what the server asked, not the 10 ms backoff


def test_a_wait_past_the_deadline_is_not_taken(tmp_path: Path, db_url: str) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE.format(timeout=0.5))
    with MockOpenAIServer("billing", fail_first=5, fail_status=503,
                          retry_after="30") as server:
        start = time.perf_counter()
        result = run_suite(str(suite), [Candidate(id="m", provider="openai", model="m",
                                                  base_url=f"{server.base_url}/v1")],
                           config=CONFIG, db=db_url)
        elapsed = time.perf_counter() - start
    [trial] = list(result.trials)
    assert trial.error_kind == "unavailable" and "503" in (trial.error or "")
    assert server.chat_requests == 1  # a 30 s wait does not fit a 0.5 s deadline
    assert elapsed < 10
