"""The runner with the in-package test provider: plan, order, errors, strategies, resume."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from champion import Candidate, RunConfig, load_suite
from champion._runner import MemorySink, NullListener, RunSession, TrialSink, batch_order
from champion._store import Store

GOOD_RULES = [["charged|refund", "billing"], ["error", "technical"]]


def candidate(name: str, **options: Any) -> Candidate:
    return Candidate(id=name, provider="test", model=name, options=options)


def run(suite_path: Path, candidates: list[Candidate], db_url: str | None = None,
        **config: Any) -> Any:
    suite = load_suite(suite_path)
    sink: TrialSink = Store(db_url) if db_url else MemorySink()
    config = {"strategy": "full", **config}
    return asyncio.run(RunSession(suite, candidates, RunConfig(**config), sink).run())


def test_every_model_runs_cases_times_repeats(triage_suite: Path) -> None:
    result = run(triage_suite, [candidate("good", rules=GOOD_RULES),
                                candidate("lazy", reply="billing")], repeats=3, seed=7)
    counts = Counter(t.model for t in result.trials)
    assert counts == {"good": 9, "lazy": 9}
    per_case = Counter((t.model, t.case_id) for t in result.trials)
    assert set(per_case.values()) == {3}
    assert result.champion == "good" and result.runner_up is None
    lazy = next(m for m in result.ranking.models if m.model == "lazy")
    assert [(f.id, f.got, f.failures, f.trials) for f in lazy.failed_cases] == [
        ("C2", "billing", 3, 3)]
    assert all(m.cold_start_ms is not None for m in result.models)


def test_case_order_is_shuffled_per_batch_with_the_recorded_seed(triage_suite: Path) -> None:
    suite = load_suite(triage_suite)
    result = run(triage_suite, [candidate("good", rules=GOOD_RULES)], repeats=4, seed=11)
    assert result.seed == 11
    for batch in range(4):
        observed = [t.case_id for t in sorted(result.trials, key=lambda t: t.position)
                    if t.batch == batch]
        assert observed == batch_order([c.id for c in suite.cases], 11, batch)
    orders = {tuple(batch_order([c.id for c in suite.cases], 11, b)) for b in range(20)}
    assert len(orders) > 1  # really shuffled


def test_failing_model_is_recorded_and_others_unaffected(triage_suite: Path) -> None:
    result = run(triage_suite, [candidate("down", error="unavailable"),
                                candidate("good", rules=GOOD_RULES)],
                 repeats=2, retries=1, retry_backoff_s=0.001)
    down = [t for t in result.trials if t.model == "down"]
    assert len(down) == 6 and all(t.is_error for t in down)
    # The warm-up failed too, so two failed calls in a row stop the calling.
    assert [t.error_kind for t in down] == ["unavailable"] * 2 + ["skipped"] * 4
    assert "(last: test provider configured to fail" in (down[-1].error or "")
    assert result.champion == "good"
    line = next(m for m in result.ranking.models if m.model == "down")
    assert line.status == "error" and "unavailable" in (line.error or "")


def test_after_consecutive_errors_the_rest_is_skipped(triage_suite: Path) -> None:
    result = run(triage_suite, [candidate("down", error="rejected")], repeats=4,
                 max_consecutive_errors=2, warmup=False)
    trials = list(result.trials)
    assert len(trials) == 12
    assert [t.error_kind for t in trials] == ["rejected"] * 2 + ["skipped"] * 10
    assert {t.error for t in trials[2:]} == {"skipped: 2 calls in a row failed (last: test"
                                             " provider configured to fail (ProviderRejected))"}


def test_retries_only_transient_errors(triage_suite: Path) -> None:
    from champion._providers.test import TestProvider

    calls: Counter[str] = Counter()
    original = TestProvider.generate

    async def counting(self: TestProvider, request: Any) -> Any:
        calls[self.candidate.id] += 1
        return await original(self, request)

    TestProvider.generate = counting  # type: ignore[method-assign]
    try:
        run(triage_suite, [candidate("limited", error="rate_limited"),
                           candidate("auth", error="rejected")],
            repeats=1, retries=2, retry_backoff_s=0.001, warmup=False)
    finally:
        TestProvider.generate = original  # type: ignore[method-assign]
    assert calls["limited"] == 9  # 3 trials × (1 + 2 retries)
    assert calls["auth"] == 3


def test_timeout_is_an_error_trial(write: Any) -> None:
    path = write("slow.yaml", """\
        task: slow
        prompt: {user: "q {x}"}
        params: {timeout_s: 0.05}
        cases: [{id: a, vars: {x: 1}, expected: ok}]
        """)
    result = run(path, [candidate("slow", reply="ok", delay_ms=500),
                        candidate("quick", reply="ok")], repeats=2, retries=0)
    slow = [t for t in result.trials if t.model == "slow"]
    assert slow and all(t.error_kind == "timeout" for t in slow)
    assert result.champion == "quick"


def test_failfast_stops_a_model_at_its_first_failure(triage_suite: Path) -> None:
    result = run(triage_suite, [candidate("lazy", reply="billing"),
                                candidate("good", rules=GOOD_RULES)],
                 repeats=5, strategy="failfast", seed=1)
    lazy = [t for t in result.trials if t.model == "lazy"]
    assert not lazy[-1].correct and all(t.correct for t in lazy[:-1])
    assert len(lazy) < 15
    assert len([t for t in result.trials if t.model == "good"]) == 15
    [line] = [m for m in result.ranking.models if m.model == "lazy"]
    assert line.stopped is not None and line.stopped.startswith("failed C2 in batch ")


def test_trials_are_stored_per_batch_and_survive_interruption(
        triage_suite: Path, db_url: str) -> None:
    suite = load_suite(triage_suite)
    store = Store(db_url)

    class AfterFive(NullListener):
        """Ctrl-C after the fifth trial (mid-way through the second batch)."""

        def __init__(self) -> None:
            self.seen = 0
            self.reached = asyncio.Event()

        def trial_done(self, model: str, trial: Any) -> None:
            self.seen += 1
            if self.seen == 5:
                self.reached.set()

    listener = AfterFive()
    runner = RunSession(suite, [candidate("good", rules=GOOD_RULES, delay_ms=30)],
                        RunConfig(strategy="full", repeats=4, seed=3), store, listener=listener)

    async def interrupt() -> None:
        task = asyncio.create_task(runner.run())
        await listener.reached.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(interrupt())
    saved = store.load_run(runner.run_id)
    assert saved.status == "interrupted"
    assert len(saved.trials) == 5  # every measured trial kept, none invented
    # Resuming runs only what is missing and ends with the full plan.
    resumed = RunSession(suite, [candidate("good", rules=GOOD_RULES)], RunConfig(strategy="full"),
                         store,
                         resume=runner.run_id)
    result = asyncio.run(resumed.run())
    assert result.run_id == runner.run_id and result.seed == 3
    keys = Counter((t.case_id, t.batch) for t in result.trials)
    assert len(keys) == 12 and set(keys.values()) == {1}
    assert store.load_run(runner.run_id).status == "complete"
    assert len(store.load_run(runner.run_id).trials) == 12


def test_unknown_provider_is_an_error_model_not_a_crash(triage_suite: Path) -> None:
    result = run(triage_suite, [Candidate(id="x", provider="nope", model="x"),
                                candidate("good", rules=GOOD_RULES)], repeats=1)
    line = next(m for m in result.ranking.models if m.model == "x")
    assert line.status == "error" and "unknown provider 'nope'" in (line.error or "")
    assert all((t.error or "").startswith("unknown provider") for t in result.trials
               if t.model == "x")
    assert {t.error_kind for t in result.trials if t.model == "x"} == {"rejected"}


class _BrokenOutput(NullListener):
    """A listener whose output breaks after a few trials (a closed pipe, say)."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.seen = 0

    def trial_done(self, model: str, trial: Any) -> None:
        self.seen += 1
        if self.seen == self.after:
            raise BrokenPipeError("stdout closed")


def test_a_crash_mid_run_is_recorded_as_failed_and_can_be_resumed(
        triage_suite: Path, db_url: str) -> None:
    suite = load_suite(triage_suite)
    store = Store(db_url)
    models = [candidate("good", rules=GOOD_RULES), candidate("lazy", reply="billing")]
    runner = RunSession(suite, models, RunConfig(strategy="full", repeats=2, seed=4), store,
                        listener=_BrokenOutput(after=4))
    with pytest.raises(BrokenPipeError):
        asyncio.run(runner.run())
    saved = store.load_run(runner.run_id)
    assert saved.status == "failed"  # not "complete": lazy never ran
    assert len(saved.trials) == 4 and {t.model for t in saved.trials} == {"good"}
    result = asyncio.run(RunSession(suite, models, RunConfig(strategy="full"), store,
                                    resume=runner.run_id).run())
    assert Counter(t.model for t in result.trials) == {"good": 6, "lazy": 6}
    assert store.load_run(runner.run_id).status == "complete"
