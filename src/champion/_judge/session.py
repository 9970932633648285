"""A run's judge: resolved before any candidate runs, closed with the run.

:func:`open_judge` settles who judges (refusing with an InputError before the
first candidate call) and loads the verdicts the store already holds for
those judge models; the :class:`RunJudge` then grades the calibration cases,
judges again what a resumed run left unjudged, and sums up the run's verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from champion._judge.calibration import calibrate
from champion._judge.grader import Judge
from champion._judge.resolve import ResolvedJudge, describe, resolve_judge
from champion._judge.spec import JudgeOptions
from champion._judge.summary import judge_summary
from champion._records import JudgeCall, Trial
from champion._runner.calls import RetryPolicy
from champion._scoring.checks import Scorer
from champion._scoring.registry import check_kind
from champion._suite.model import Case, Suite

if TYPE_CHECKING:
    from champion._runner.config import RunConfig, TrialSink
    from champion._store import Store

__all__ = ["RunJudge", "judge_of_suite", "open_judge"]


@dataclass(slots=True)
class RunJudge:
    """The judge of one run and what it does besides grading trials."""

    resolved: ResolvedJudge
    judge: Judge
    suite: Suite
    sink: TrialSink

    async def calibrate(self, run_id: str) -> None:
        """Grade the calibration cases (once per run: a resumed run keeps its own)."""
        if not self.suite.calibration or any(
                call.purpose == "calibration" for call in self.sink.judge_calls(run_id)):
            return
        self.sink.add_judge_calls(run_id, await calibrate(self.judge, self.suite.calibration))

    async def rejudge(self, run_id: str) -> int:
        """Judge again every stored trial left unjudged; only the judge is called.

        Returns how many trials got a verdict this time.
        """
        waiting = [trial for trial in self.sink.iter_trials(run_id) if trial.unjudged]
        if not waiting:
            return 0
        scorer = Scorer(self.suite, self.judge)
        cases: Mapping[str, Case] = {case.id: case for case in self.suite.cases}
        judged: list[Trial] = []
        calls: list[JudgeCall] = []
        for trial in waiting:
            case = cases.get(trial.case_id)
            if case is None:
                continue
            verdict = await scorer.ascore(trial.output, case, trial.key)
            calls.extend(verdict.calls)
            judged.append(replace(trial, correct=verdict.correct, got=verdict.got,
                                  parsed_ok=verdict.parsed_ok, reason=verdict.reason,
                                  unjudged=verdict.unjudged))
        self.sink.add_judge_calls(run_id, calls)
        self.sink.update_trial_verdicts(run_id, judged)
        return sum(1 for trial in judged if not trial.unjudged)

    def describe(self) -> dict[str, Any]:
        """Who judges, for a run that has not finished."""
        return describe(self.resolved)

    def summary(self, run_id: str, unjudged: int) -> dict[str, Any]:
        """The run JSON's ``judge`` object from what the run stored."""
        return judge_summary(self.resolved, self.sink.judge_calls(run_id),
                             self.suite.calibration, unjudged, self.judge.cold_starts)

    async def aclose(self) -> None:
        """Release the judge models."""
        await self.judge.aclose()


def open_judge(suite: Suite, sink: TrialSink, config: RunConfig) -> RunJudge | None:
    """The judge of a run of ``suite``, or None when its check asks no model.

    A ``{task: T}`` judge is read from the registry of ``sink`` (a Store).

    Raises:
        InputError: the judge cannot be used (see :func:`resolve_judge`).
    """
    resolved = judge_of_suite(suite, _store(sink))
    if resolved is None:
        return None
    options = suite.check_spec.options
    assert isinstance(options, JudgeOptions)
    cache = sink.cached_verdicts([member.key for member in resolved.members])
    judge = Judge(resolved, options, cache, RetryPolicy(config.retries, config.retry_backoff_s),
                  warmup=config.warmup)
    return RunJudge(resolved, judge, suite, sink)


def judge_of_suite(suite: Suite, store: Store | None) -> ResolvedJudge | None:
    """Who would judge a run of ``suite`` now (None when its check asks no model);
    what ``champion validate --db`` checks. Calls no model.

    Raises:
        InputError: the judge cannot be used (see :func:`resolve_judge`).
    """
    spec = suite.check_spec
    if not check_kind(spec.type).asks_model:
        return None
    assert isinstance(spec.options, JudgeOptions)
    return resolve_judge(spec.options, suite.task, store)


def _store(sink: object) -> Any:
    from champion._store import Store

    return sink if isinstance(sink, Store) else None
