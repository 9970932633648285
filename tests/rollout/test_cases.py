"""From production back to the suite: recorded shadow disagreements become a suite draft
that loads once a human fills in each expected answer."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from champion import Store
from champion._cli.main import cli
from champion._errors import SuiteError
from champion._suite import load_suite
from champion._web.gateway.rollout import RolloutSettings
from champion.testing import MockOpenAIServer
from tests.rollout.helpers import TASK, chat, gateway, wait_for
from tests.rollout.test_shadow import promoted, wrong_on_three_in_ten


def _disagreements(db: str) -> int:
    with Store(db) as store:
        return len(store.shadow_outcomes(TASK, results=("disagree",)))


def test_recorded_disagreements_become_a_draft_that_loads_once_expected_is_filled(
        db_url: str, tmp_path: Path) -> None:
    with promoted(db_url), MockOpenAIServer(wrong_on_three_in_ten) as shadow:
        rollout = RolloutSettings(shadows=(f"{TASK}=openai/shadow@{shadow.base_url}/v1",),
                                  shadow_sample=1.0, tick_s=0.2)
        with gateway(db_url, record_text=True, rollout=rollout) as server, \
                httpx.Client() as client:
            for number in range(10):  # 0, 1, 2 disagree: as vars, and as messages
                chat(client, server.url, number, vars_=number != 1)
            chat(client, server.url, 0)  # the same prompt again: one case
            client.post(server.url + "/v1/chat/completions", json={  # a client's own prompt
                "model": f"task:{TASK}", "messages": [{"role": "user", "content": "#0 charged"}]})
            wait_for(lambda: _disagreements(db_url) == 5)
    draft = tmp_path / "draft.yaml"
    result = CliRunner().invoke(cli, ["cases", TASK, "--from-shadow", "-o", str(draft),
                                      "--db", db_url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "3 cases" in result.output and "1 prompts did not fit" in result.output
    text = draft.read_text(encoding="utf-8")
    with pytest.raises(SuiteError, match="expected"):
        load_suite(draft)  # a gold answer is missing until a human fills it in
    assert text.count("expected:  # the gold answer") == 3
    assert '# answered by fast: "billing"' in text and '(value): "technical"' in text
    filled = tmp_path / "filled.yaml"
    filled.write_text(re.sub(r"expected:  #.*", "expected: billing", text), encoding="utf-8")
    suite = load_suite(filled)
    assert suite.task == TASK and len(suite.cases) == 3
    assert {case.vars["ticket"] for case in suite.cases} == {
        "charged twice #0", "error 500 on login #1", "charged twice #2"}
    assert [case.id for case in suite.cases] == ["SHADOW_001", "SHADOW_002", "SHADOW_003"]
    assert suite.output.labels == ("billing", "technical")


def test_no_recorded_text_is_a_clear_error(db_url: str, tmp_path: Path) -> None:
    with promoted(db_url):
        result = CliRunner().invoke(cli, ["cases", TASK, "--from-shadow", "-o",
                                          str(tmp_path / "d.yaml"), "--db", db_url])
    assert result.exit_code == 2
    assert "no shadow disagreement of 'mini-triage' with its text recorded" in result.output
    assert not (tmp_path / "d.yaml").exists()
