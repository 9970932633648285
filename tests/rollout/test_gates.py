"""Stage gates: ``promote --stage prod --from preprod`` refuses without a passing check of what
preprod serves made after its promotion, promotes exactly that pair with one, and keeps
the check (or a forced reason) in the promotion history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from champion import Store, run_suite
from champion._cli.main import cli
from champion._registry.entries import Registry
from champion.testing import MockOpenAIServer
from tests.router.fakes import TASK, candidate
from tests.router.test_registry_end_to_end import suite, triage


def _cli(db: str, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", db], catch_exceptions=False)


@pytest.fixture
def servers() -> Iterator[tuple[MockOpenAIServer, MockOpenAIServer]]:
    with MockOpenAIServer(triage, model="fast") as fast, \
            MockOpenAIServer(triage, model="slow", delay_ms=20) as slow:
        yield fast, slow


@pytest.fixture
def on_preprod(servers: tuple[MockOpenAIServer, MockOpenAIServer], db_url: str) -> str:
    """fast and slow benchmarked, promoted on preprod only."""
    fast, slow = servers
    run_suite(suite(), [candidate("fast", fast), candidate("slow", slow)], repeats=1, db=db_url)
    assert _cli(db_url, "promote", TASK, "--stage", "preprod").exit_code == 0
    return db_url


def test_from_preprod_refuses_without_a_passing_check_and_promotes_with_one(
        on_preprod: str) -> None:
    db = on_preprod
    refused = _cli(db, "promote", TASK, "--stage", "prod", "--from", "preprod")
    assert refused.exit_code == 2
    assert "has no passing check: no check of it was made since its promotion" in refused.output
    assert "champion check mini-triage --stage preprod" in refused.output
    assert _cli(db, "check", TASK, "--stage", "preprod").exit_code == 0
    promoted = _cli(db, "promote", TASK, "--stage", "prod", "--from", "preprod")
    assert promoted.exit_code == 0, promoted.output
    assert "promoted from preprod: mini-triage on prod" in promoted.output
    with Store(db) as store:
        registry = Registry(store)
        preprod, prod = registry.entry(TASK, "preprod"), registry.entry(TASK, "prod")
        [check] = store.checks_of(TASK, "preprod")
        history = registry.promotions(TASK, "prod")
    assert preprod is not None and prod is not None
    assert (prod.run_id, prod.champion.key, prod.runner_up and prod.runner_up.key) == (
        preprod.run_id, preprod.champion.key, preprod.runner_up and preprod.runner_up.key)
    assert check.ok and check.promoted_run == preprod.run_id
    assert history[-1].details == {"from": "preprod", "from_promotion": history[-1].details[
        "from_promotion"], "check_run": check.check_run,
        "checked_at": check.checked_at.isoformat()}


def test_a_failed_or_older_check_keeps_the_gate_shut_and_force_records_why(
        on_preprod: str, servers: tuple[MockOpenAIServer, MockOpenAIServer]) -> None:
    db = on_preprod
    fast, slow = servers
    fast.reply = slow.reply = "account"  # both answer wrong now: the check fails
    assert _cli(db, "check", TASK, "--stage", "preprod").exit_code == 3
    refused = _cli(db, "promote", TASK, "--stage", "prod", "--from", "preprod")
    assert refused.exit_code == 2 and "the last check (run" in refused.output
    assert "found fast disqualified" in refused.output
    fast.reply = slow.reply = triage
    assert _cli(db, "check", TASK, "--stage", "preprod").exit_code == 0
    # Promoted on preprod again after that check: the check no longer speaks for it.
    assert _cli(db, "promote", TASK, "--stage", "preprod").exit_code == 0
    assert _cli(db, "promote", TASK, "--stage", "prod", "--from", "preprod").exit_code == 2
    forced = _cli(db, "promote", TASK, "--stage", "prod", "--from", "preprod", "--force",
                  "hotfix approved by on-call")
    assert forced.exit_code == 0
    with Store(db) as store:
        last = Registry(store).promotions(TASK, "prod")[-1]
    assert last.action == "promote" and last.details is not None
    assert last.details["forced"] == "hotfix approved by on-call"


def test_gate_misuse_is_refused(on_preprod: str) -> None:
    db = on_preprod
    assert _cli(db, "promote", TASK, "--stage", "prod", "--from", "dev").exit_code == 2
    assert _cli(db, "promote", TASK, "--stage", "prod", "--force", "x").exit_code == 2
    same = _cli(db, "promote", TASK, "--stage", "preprod", "--from", "preprod")
    assert same.exit_code == 2 and "another stage" in same.output
    assert _cli(db, "promote", TASK, "--step", "10").exit_code == 2
