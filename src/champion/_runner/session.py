"""A run from start to finish: strategy, executor, lanes and recorder wired together.

The session builds the strategy (with its typed options) and the executor (by
name), sizes what it tracks from the batches the strategy declares, groups the
models into lanes under the lane policy, and drives the :class:`RunLoop` until
the strategy has nothing left to run. Every finished trial goes through the
recorder to the store; nothing measured is kept only in memory, so a run
stopped by Ctrl-C, an error, or a killed process can be resumed: the stored
trials are replayed through the strategy, which rebuilds its state and goes on
with the run's own seed, options and plan.

A judged task's judge (:mod:`champion._judge`) is resolved before anything
else: a judge that cannot be used is an InputError before any candidate call.
It grades the calibration cases first and, on resume, the trials it left
unjudged, before the strategy replays the stored trials.

Preflight: models that cannot run at all (a missing package, an unset key
variable) are known before the run begins; when no candidate is left, nothing
is stored and an :class:`~champion._errors.InputError` says why. Models excluded
at their warm-up (an unknown model, a refused constrained-output mode) are
recorded with the reason; a run in which every model was excluded ends
``failed`` with the same error.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from champion._errors import InputError
from champion._providers.candidate import Candidate
from champion._ranking import RankingRules, rank
from champion._ranking.ceilings import Ceilings
from champion._records import ModelRun, Trial
from champion._results import RunResult
from champion._runner.config import RunConfig, RunListener, TrialSink
from champion._runner.executors import executor_class, parse_executor_options
from champion._runner.executors.base import Executor, RunSetup
from champion._runner.lanes import lane_of, lanes_of
from champion._runner.loop import RunLoop
from champion._runner.recorder import Ledger, Recorder
from champion._runner.strategies import RunPlan, parse_options, strategy_class
from champion._scoring.registry import check_kind
from champion._suite.fingerprint import suite_fingerprint
from champion._suite.model import Suite

__all__ = ["NoCandidateLeft", "RunSession", "ranking_rules"]

#: RunConfig fields a resumed run takes from the run itself; a caller's value
#: other than the default and the run's own is refused.
_FIXED_ON_RESUME = ("repeats", "strategy", "strategy_options", "seed", "lanes", "executor",
                    "concurrency")


class NoCandidateLeft(InputError):
    """Every candidate failed preflight; ``reasons`` maps each to why."""

    def __init__(self, reasons: Mapping[str, str]) -> None:
        self.reasons = dict(reasons)
        super().__init__("no candidate passed preflight: " + "; ".join(
            f"{model}: {why}" for model, why in self.reasons.items()))


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
        polarity=polarity,
        # A judged case has no gold answer; its reference is what reports show instead.
        expected={case.id: case.reference if case.expected is None else case.expected
                  for case in suite.cases},
        ceilings=Ceilings.of(suite.qualify),
        judged=check_kind(suite.check_spec.type).asks_model,
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
    """One run of one suite against candidates (new, or resumed by id).

    Args:
        suite: the task.
        candidates: the models, with ids.
        config: how to run (strategy and its options, executor, lanes, ...).
        sink: where trials go (a Store, a MemorySink).
        listener: progress callbacks.
        resume: the id of an unfinished run to continue instead of starting one.
        executor: an executor instance to use instead of building ``config.executor``.

    Raises:
        InputError: a bad strategy, executor or option; a run that cannot be
            resumed with these settings.
    """

    def __init__(self, suite: Suite, candidates: Sequence[Candidate], config: RunConfig,
                 sink: TrialSink, listener: RunListener | None = None,
                 resume: str | None = None, executor: Executor | None = None) -> None:
        self.suite = suite
        self.sink = sink
        self.listener: RunListener = listener or RunListener()
        self.fingerprint = suite_fingerprint(suite)
        self.previous = sink.load_run(resume) if resume else None
        if self.previous is None:
            self.run_id = uuid.uuid4().hex[:12]
            self.started_at = datetime.now(UTC)
            self.config = replace(config, repeats=config.repeats or suite.repeats,
                                  seed=config.seed if config.seed is not None
                                  else secrets.randbelow(2**31))
        else:
            self._check_resumable(self.previous, candidates, config)
            self.run_id, self.started_at = self.previous.run_id, self.previous.started_at
            self.config = self._resumed_config(self.previous, config)
        assert self.config.repeats is not None and self.config.seed is not None
        self.repeats, self.seed = self.config.repeats, self.config.seed
        # Before anything is built: a judge that cannot be used refuses the run.
        # (Imported here: the judge calls its models through champion._runner.calls.)
        from champion._judge.session import open_judge

        self.judge = open_judge(suite, sink, self.config)
        strategy_type = strategy_class(self.config.strategy)
        self.strategy_options = parse_options(strategy_type, self.config.strategy_options)
        self.candidates = list(candidates)
        self.rules = ranking_rules(suite)
        self.plan = RunPlan(
            models=tuple(c.id for c in self.candidates),
            cases=tuple(case.id for case in suite.cases), repeats=self.repeats, seed=self.seed,
            min_pass_rate=suite.qualify.min_pass_rate)
        self.strategy = strategy_type(self.plan, self.strategy_options)
        if executor is None:
            executor_type = executor_class(self.config.executor)
            options = parse_executor_options(executor_type, self.config.executor_options)
            executor = executor_type(RunSetup(suite, tuple(self.candidates), self.config,
                                              self.judge.judge if self.judge else None),
                                     options)
        self.executor = executor
        # The session's own record; the executor reports what changes (ModelReady).
        self.runs: dict[str, ModelRun] = {model: replace(run, notes=list(run.notes))
                                          for model, run in self.executor.models().items()}
        self.lane = {model: lane_of(self.executor.placement(model), self.config.lanes)
                     for model in self.runs}
        for model, run in self.runs.items():
            run.lane = self.lane[model]
        self.lanes = lanes_of(self.runs, self.lane)
        self.excluded = dict(self.executor.preflight())
        if self.previous is not None:
            self._restore_models(self.previous)
        self.warnings: list[str] = []
        #: Trials lost to infrastructure per model (run again elsewhere; never stored).
        self.trials_lost: dict[str, int] = dict(
            (self.previous.config or {}).get("trials_lost") or {}) if self.previous else {}

    # -- resume ---------------------------------------------------------------

    def _check_resumable(self, previous: RunResult, candidates: Sequence[Candidate],
                         config: RunConfig) -> None:
        where = f"resume={previous.run_id!r}"
        if previous.task != self.suite.task:
            raise InputError(f"{where}: that run is for task {previous.task!r}, not"
                             f" {self.suite.task!r}")
        if previous.suite_fingerprint and previous.suite_fingerprint != self.fingerprint:
            raise InputError(f"{where}: the suite changed since that run (its fingerprint"
                             " differs); start a new run")
        theirs = {m.model: m.key for m in previous.models}
        ours = {c.id for c in candidates}
        if not theirs and not ours:
            raise InputError(f"{where}: that run recorded no candidate (it was stopped before"
                             " it began); give the candidates again or start a new run")
        if theirs and ours != set(theirs):
            raise InputError(
                f"{where}: that run's candidates are " + ", ".join(sorted(theirs))
                + "; resume with the same candidates (or none to take the run's own), not "
                + ", ".join(sorted(ours)))
        own = _recorded_config(previous)
        default = RunConfig()
        for name in _FIXED_ON_RESUME:
            given = getattr(config, name)
            if given == getattr(default, name) or name not in own:
                continue
            if name == "strategy_options":
                strategy = strategy_class(str(own.get("strategy", previous.strategy)))
                parsed = parse_options(strategy, given).model_dump(mode="json")
                theirs = parse_options(strategy, own[name]).model_dump(mode="json")
                differs = [key for key in given if parsed[key] != theirs[key]]
                if differs:
                    key = differs[0]
                    raise InputError(f"{where}: strategy option {key}={given[key]!r} differs"
                                     f" from the run's own {key}={theirs[key]!r}, which a"
                                     " resumed run keeps; leave it out or start a new run")
            elif given != own[name]:
                raise InputError(f"{where}: {name}={given!r} differs from the run's own"
                                 f" {name}={own[name]!r}, which a resumed run keeps; leave it"
                                 " out or start a new run")

    def _resumed_config(self, previous: RunResult, config: RunConfig) -> RunConfig:
        own = _recorded_config(previous)
        return replace(config, **{name: own[name] for name in _FIXED_ON_RESUME
                                  if name in own})

    def _restore_models(self, previous: RunResult) -> None:
        for model in previous.models:
            mine = self.runs.get(model.model)
            if mine is None:
                continue
            # An empty key is learnt where the model loads (a file only workers have).
            if model.key and mine.key and model.key != mine.key:
                raise InputError(f"resume={previous.run_id!r}: candidate {model.model!r} was"
                                 f" {model.key} in that run, not {mine.key}")
            self.runs[model.model] = replace(
                model, key=mine.key or model.key, lane=mine.lane,
                candidate=model.candidate or mine.candidate)

    # -- the run ----------------------------------------------------------------

    def _result(self, status: str, trials: Any = None) -> RunResult:
        models = list(self.runs.values())
        for model in models:
            model.stopped = self.strategy.stopped.get(model.model)
        trials = trials if trials is not None else _SinkTrials(self.sink, self.run_id)
        ranking = rank(models, trials, self.rules)
        config: dict[str, Any] = {}
        if self.judge is not None:
            config["judge"] = self.judge.describe() if status == "running" else \
                self.judge.summary(self.run_id, sum(m.unjudged for m in ranking.models))
        return RunResult(
            run_id=self.run_id, task=self.suite.task, suite_version=self.suite.version,
            strategy=self.config.strategy, repeats=self.repeats, cases=len(self.suite.cases),
            seed=self.seed, started_at=self.started_at, finished_at=datetime.now(UTC),
            status=status, models=models, trials=trials, ranking=ranking,
            case_order=[case.id for case in self.suite.cases],
            case_info={case.id: {"expected": case.expected, "type": case.type,
                                 "difficulty": case.difficulty} for case in self.suite.cases},
            suite_json=self.suite.model_dump(mode="json", by_alias=True),
            suite_fingerprint=self.fingerprint,
            lanes=self.lanes,
            config={"concurrency": self.config.concurrency, "purpose": self.config.purpose,
                    "strategy_options": self.strategy_options.model_dump(mode="json"),
                    "executor": self.config.executor,
                    "executor_options": dict(self.config.executor_options),
                    "lane_policy": self.config.lanes, "warnings": list(self.warnings),
                    "trials_lost": dict(self.trials_lost), **config},
        )

    async def run(self) -> RunResult:
        """Run until the strategy is done; returns the ranked result.

        Raises:
            NoCandidateLeft: every candidate failed preflight (nothing is stored
                when that is known before the run begins).
        """
        if self.previous is None and self.excluded and len(self.excluded) == len(self.runs):
            await self.executor.aclose()
            raise NoCandidateLeft(self.excluded)
        try:
            return await self._run()
        finally:
            if self.judge is not None:
                await self.judge.aclose()

    async def _run(self) -> RunResult:
        ledger = Ledger(list(self.runs), [case.id for case in self.suite.cases],
                        self.strategy.max_batches)
        recorder = Recorder(self.run_id, self.sink, self.listener, self.strategy, ledger,
                            self.config.flush_interval_s)
        for model, why in self.excluded.items():
            self.strategy.stop(model, f"excluded: {why}")
        if self.previous is None:  # with the run's candidates, known before any runs
            self.sink.begin_run(self._result("running", trials=[]))
        self.listener.run_started(self.run_id)
        loop = RunLoop(self.strategy, self.executor, recorder, self.listener, self.lane,
                       {case.id: case for case in self.suite.cases}, self.runs)
        status = "complete"
        try:
            if self.previous is not None:
                if self.judge is not None:  # what it left unjudged, before the strategy sees it
                    await self.judge.rejudge(self.run_id)
                for trial in self.sink.iter_trials(self.run_id):
                    recorder.replay(trial)
            if self.judge is not None:
                await self.judge.calibrate(self.run_id)
            for model, why in self.excluded.items():
                self.listener.model_excluded(model, why)
            self.listener.lanes(self.lanes)
            await loop.run()
        except (asyncio.CancelledError, KeyboardInterrupt):
            status = "interrupted"
            raise
        except BaseException:
            status = "failed"  # whatever was measured is kept; resume finishes the plan
            raise
        finally:
            recorder.flush_now()
            await self.executor.aclose()
            for model, warning in loop.contention_warnings().items():
                self.runs[model].notes = [*self.runs[model].notes, warning]
                self.warnings.append(f"{model}: {warning}")
                self.sink.add_model(self.run_id, self.runs[model])
            for model, count in loop.lost.items():
                self.trials_lost[model] = self.trials_lost.get(model, 0) + count
            failed = self._all_excluded()
            result = self._result("failed" if failed and status == "complete" else status)
            self.sink.finish_run(result)
        if failed:
            raise NoCandidateLeft(failed)
        return result

    def _all_excluded(self) -> dict[str, str]:
        """Model → why, when every model was excluded; else empty."""
        reasons = {m: run.error or "" for m, run in self.runs.items()
                   if (run.error or "").startswith("excluded before any call")}
        return reasons if reasons and len(reasons) == len(self.runs) else {}


def _recorded_config(previous: RunResult) -> dict[str, Any]:
    """What a stored run says of the settings a resume keeps."""
    recorded = previous.config or {}
    own: dict[str, Any] = {"repeats": previous.repeats, "strategy": previous.strategy,
                           "seed": previous.seed}
    for name, key in (("strategy_options", "strategy_options"), ("lanes", "lane_policy"),
                      ("executor", "executor"), ("concurrency", "concurrency")):
        if key in recorded:
            own[name] = recorded[key]
    if "strategy_options" not in own:  # a run stored before strategies had options
        own["strategy_options"] = ({"confirm": recorded["confirm"]}
                                   if previous.strategy == "race" and "confirm" in recorded
                                   else {})
    return own

