"""A run from start to finish: strategy, executor and recorder wired together.

The session asks the strategy for waves and hands them to the executor until
the strategy has nothing left to run. Every finished trial goes through the
recorder to the store; nothing measured is kept only in memory, so a run
stopped by Ctrl-C, an error, or a killed process can be resumed: the stored
trials are replayed through the strategy, which rebuilds its state and goes on
with the run's own seed and plan.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from champion.errors import InputError
from champion.providers.candidate import Candidate
from champion.ranking import RankingRules, rank
from champion.ranking.ceilings import Ceilings
from champion.records import Trial
from champion.results import RunResult
from champion.runner.config import NullListener, RunConfig, RunListener, TrialSink
from champion.runner.executor import LocalExecutor, lanes_of
from champion.runner.recorder import Ledger, Recorder
from champion.runner.requests import build_requests, warmup_request
from champion.runner.slot import ModelSlot
from champion.runner.strategy import RunPlan, strategy_class
from champion.scoring import Scorer
from champion.suite.fingerprint import suite_fingerprint
from champion.suite.model import Suite

__all__ = ["RunSession", "ranking_rules"]


def ranking_rules(suite: Suite) -> RankingRules:
    """The ranking rules a suite implies."""
    polarity = {}
    if suite.is_pass_fail:
        for case in suite.cases:
            value = (case.type or str(case.expected)).upper()
            if value in ("PASS", "FAIL"):
                polarity[case.id] = value
    return RankingRules(
        min_pass_rate=suite.qualify.min_pass_rate, output_kind=suite.output.kind,
        polarity=polarity, expected={case.id: case.expected for case in suite.cases},
        ceilings=Ceilings.of(suite.qualify),
    )


@dataclass(frozen=True, slots=True)
class _SinkTrials:
    """A run's trials, streamed from the sink on every iteration."""

    sink: TrialSink
    run_id: str

    def __iter__(self) -> Iterator[Trial]:
        return self.sink.iter_trials(self.run_id)

    def __len__(self) -> int:
        return self.sink.count_trials(self.run_id)


class RunSession:
    """One run of one suite against candidates (new, or resumed by id)."""

    def __init__(self, suite: Suite, candidates: Sequence[Candidate], config: RunConfig,
                 sink: TrialSink, listener: RunListener | None = None,
                 resume: str | None = None) -> None:
        self.suite = suite
        self.sink = sink
        self.listener: RunListener = listener or NullListener()
        self.fingerprint = suite_fingerprint(suite)
        self.previous = sink.load_run(resume) if resume else None
        if self.previous is None:
            self.run_id = uuid.uuid4().hex[:12]
            self.config = config
            self.repeats = config.repeats or suite.repeats
            self.seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
            self.started_at = datetime.now(UTC)
        else:
            self._check_resumable(self.previous, candidates)
            self.run_id, self.repeats = self.previous.run_id, self.previous.repeats
            self.seed, self.started_at = self.previous.seed, self.previous.started_at
            recorded = self.previous.config  # the run's own plan; the rest is this call's
            self.config = replace(
                config, repeats=self.repeats, strategy=self.previous.strategy, seed=self.seed,
                confirm=int(recorded.get("confirm", config.confirm)),
                concurrency=int(recorded.get("concurrency", config.concurrency)))
        self.candidates = list(candidates)
        self.rules = ranking_rules(suite)
        scorer = Scorer(suite)
        requests = build_requests(suite)
        warmup = warmup_request(suite, suite.cases[0])
        self.slots = {c.id: ModelSlot(c, self.config, scorer, requests, warmup)
                      for c in self.candidates}
        if self.previous is not None:
            self._restore_models(self.previous)
        self.plan = RunPlan(
            models=tuple(self.slots), cases=tuple(case.id for case in suite.cases),
            repeats=self.repeats, seed=self.seed,
            min_pass_rate=suite.qualify.min_pass_rate, confirm=self.config.confirm)
        self.strategy = strategy_class(self.config.strategy)(self.plan)
        self.lanes = lanes_of(list(self.slots.values()))
        self.executor = LocalExecutor(self.slots, {case.id: case for case in suite.cases},
                                      self.config.concurrency, self.listener)

    def _check_resumable(self, previous: RunResult, candidates: Sequence[Candidate]) -> None:
        if previous.task != self.suite.task:
            raise InputError(f"--resume {previous.run_id}: that run is for task"
                             f" {previous.task!r}, not {self.suite.task!r}")
        if previous.suite_fingerprint and previous.suite_fingerprint != self.fingerprint:
            raise InputError(f"--resume {previous.run_id}: the suite changed since that run"
                             " (its fingerprint differs); start a new run")
        theirs = {m.model: m.key for m in previous.models}
        ours = {c.id for c in candidates}
        if theirs and ours != set(theirs):
            raise InputError(
                f"--resume {previous.run_id}: that run's candidates are "
                + ", ".join(sorted(theirs)) + "; resume with the same candidates (or none to"
                " take the run's own), not " + ", ".join(sorted(ours)))

    def _restore_models(self, previous: RunResult) -> None:
        for model in previous.models:
            slot = self.slots.get(model.model)
            if slot is None:
                continue
            if model.key and model.key != slot.run.key:
                raise InputError(f"--resume {previous.run_id}: candidate {model.model!r} was"
                                 f" {model.key} in that run, not {slot.run.key}")
            model.key, model.lane = slot.run.key, slot.run.lane
            model.candidate = model.candidate or slot.run.candidate
            slot.run = model

    def _result(self, status: str) -> RunResult:
        models = [slot.run for slot in self.slots.values()]
        for model in models:
            model.stopped = self.strategy.stopped.get(model.model)
        trials = _SinkTrials(self.sink, self.run_id)
        return RunResult(
            run_id=self.run_id, task=self.suite.task, suite_version=self.suite.version,
            strategy=self.config.strategy, repeats=self.repeats, cases=len(self.suite.cases),
            seed=self.seed, started_at=self.started_at, finished_at=datetime.now(UTC),
            status=status, models=models, trials=trials,
            ranking=rank(models, trials, self.rules),
            case_order=[case.id for case in self.suite.cases],
            case_info={case.id: {"expected": case.expected, "type": case.type,
                                 "difficulty": case.difficulty} for case in self.suite.cases},
            suite_json=self.suite.model_dump(mode="json", by_alias=True),
            suite_fingerprint=self.fingerprint,
            lanes=self.lanes,
            config={"confirm": self.config.confirm, "concurrency": self.config.concurrency,
                    "purpose": self.config.purpose},
        )

    async def run(self) -> RunResult:
        """Run until the strategy is done; returns the ranked result."""
        ledger = Ledger(list(self.slots), [case.id for case in self.suite.cases],
                        self.repeats + self.config.confirm)
        recorder = Recorder(self.run_id, self.sink, self.listener, self.strategy, ledger,
                            self.config.flush_interval_s)
        if self.previous is None:
            self.sink.begin_run(self._result("running"))
            for slot in self.slots.values():  # the run's candidates, known before any runs
                self.sink.add_model(self.run_id, slot.run)
        else:
            positions: dict[str, int] = {}
            for trial in self.sink.iter_trials(self.run_id):
                recorder.replay(trial)
                positions[trial.model] = max(positions.get(trial.model, 0), trial.position + 1)
            for model, position in positions.items():
                if model in self.slots:
                    self.slots[model].position = position
        self.listener.run_started(self.run_id)
        self.listener.lanes(self.lanes)
        status = "complete"
        try:
            await self._waves(recorder)
        except (asyncio.CancelledError, KeyboardInterrupt):
            status = "interrupted"
            raise
        except BaseException:
            status = "failed"  # whatever was measured is kept; --resume finishes the plan
            raise
        finally:
            recorder.flush_now()
            await self.executor.aclose()
            result = self._result(status)
            self.sink.finish_run(result)
        return result

    async def _waves(self, recorder: Recorder) -> None:
        seen: tuple[int, int] | None = None
        while wave := self.strategy.next_wave():
            progress = (sum(recorder.ledger.count(m) for m in self.slots),
                        len(self.strategy.stopped))
            if progress == seen:
                break  # the strategy asked for nothing new: do not loop forever
            seen = progress
            await self.executor.run_wave(wave, self.strategy, recorder)
