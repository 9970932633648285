"""The history, promote, registry, check and models --new commands on an upgraded
release 0.1 database: output, formats and exit statuses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from champion._cli.main import cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "release-0.1.db", path)
    return f"sqlite:///{path}"


def _cli(db: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", db], env=env, catch_exceptions=False)


def test_history_table_and_trend(db: str) -> None:
    table = _cli(db, "history", "mini-triage")
    assert table.exit_code == 0
    assert "f2f0a42d6061" in table.output and "champion changed (was quick)" in table.output
    trend = json.loads(_cli(db, "history", "mini-triage", "--model", "careful", "--format",
                            "json").output)
    assert [(p["run_id"], p["status"]) for p in trend["points"]] == [
        ("f2f0a42d6061", "runner-up"), ("871b2b83d1d6", "champion")]
    assert trend["points"][0]["started_at"].startswith("2026-")


def test_promote_rollback_and_registry_formats(db: str) -> None:
    assert _cli(db, "registry").output.startswith("nothing promoted yet")
    first = _cli(db, "promote", "mini-triage", "--run", "f2f0a42d6061", "--stage", "dev")
    assert first.exit_code == 0 and "champion:  quick (test/quick@test)" in first.output
    assert _cli(db, "promote", "mini-triage", "--stage", "dev").exit_code == 0
    entries = json.loads(_cli(db, "registry", "--format", "json").output)
    assert [(e["stage"], e["run_id"], e["champion"]["id"], e["runner_up"]) for e in entries] \
        == [("dev", "871b2b83d1d6", "careful", None)]
    env = _cli(db, "registry", "--format", "env", env={"CHAMPION_STAGE": "dev"}).output
    assert env.splitlines()[:2] == ["CHAMPION_MINI_TRIAGE_MODEL=careful",
                                    "CHAMPION_MINI_TRIAGE_PROVIDER=test"]
    assert _cli(db, "registry", "--format", "env").output == ""  # nothing on prod
    back = _cli(db, "promote", "mini-triage", "--stage", "dev", "--rollback")
    assert back.exit_code == 0 and "rolled back" in back.output
    again = json.loads(_cli(db, "registry", "--stage", "dev", "--format", "json").output)
    assert again[0]["run_id"] == "f2f0a42d6061"
    assert again[0]["runner_up"]["key"] == "test/careful@test"


@pytest.mark.parametrize(("args", "message"), [
    (("promote", "mini-triage", "--run", "nope"), "no run 'nope'"),
    (("promote", "other-task"), "'other-task' has no complete run"),
    (("promote", "mini-triage", "--rollback"), "nothing is promoted"),
    (("check", "mini-triage"), "nothing is promoted for 'mini-triage' on prod"),
    (("history", "nope"), "no runs of task 'nope'"),
    (("history", "mini-triage", "--model", "zzz"), "never ran"),
    (("models", "-m", "test/x", "--new", "nope"), "no runs of task 'nope'"),
])
def test_bad_input_exits_2_with_a_message(db: str, args: tuple[str, ...],
                                          message: str) -> None:
    done = _cli(db, *args)
    assert done.exit_code == 2
    assert message in done.output


def test_an_invalid_stage_variable_is_refused(db: str) -> None:
    done = _cli(db, "registry", "--format", "env", env={"CHAMPION_STAGE": "qa"})
    assert done.exit_code == 2 and "CHAMPION_STAGE" in done.output


def test_models_new_lists_only_unmeasured_candidates(db: str) -> None:
    done = _cli(db, "models", "-m", "test/careful", "-m", "test/fresh", "--new",
                "mini-triage")
    assert done.exit_code == 0
    assert "fresh" in done.output and "careful" not in done.output
