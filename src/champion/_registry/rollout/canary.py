"""Canary rollout: a new pair serves a share of a task's calls, raised step by step.

``start_canary`` records the canary and returns at once; the gateways serving
the stage do the rest. Each call goes to the canary's pair with the canary's
probability; a caller that names itself (an ``x-champion-caller`` header or the
body's ``user``) always lands on the same side, in every worker and replica,
because the side is drawn from a hash of the canary and the caller
(:func:`takes`). Every interval, one gateway worker decides (:func:`decide_interval`):

- fewer than ``min_calls`` canary calls: **hold** (the share stays; nothing is known);
- the canary's error rate, fallback rate or p95 latency over a ceiling: a **bad**
  interval; at ``failure_limit`` bad intervals the canary **rolls back** (share 0);
- otherwise the share rises by ``step`` (without a step it stays), and reaching
  100% **promotes** the pair fully.

Every decision is a row of the promotion history with its figures.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from champion._errors import InputError
from champion._registry.entries import Registry, check_stage
from champion._registry.rollout.tally import quantile
from champion._registry.routes import CanaryRoute
from champion._store.canaries import CanaryDecision, CanaryRow, CanaryStep, CohortTally
from champion._suite.model import Suite

__all__ = ["DEFAULT_MAX_ERROR_RATE", "DEFAULT_MAX_FALLBACK_RATE", "CanaryPlan", "abort_canary",
           "cohort_figures", "decide_interval", "start_canary", "takes"]

#: The error-rate ceiling when neither the suite's ``qualify.max_error_rate`` nor a flag sets one.
DEFAULT_MAX_ERROR_RATE = 0.01
#: The fallback-rate ceiling when no flag sets one.
DEFAULT_MAX_FALLBACK_RATE = 0.05
#: Without a latency ceiling, p95 may reach this many times the canary champion's
#: benchmark p90 (the Router's deadline rule: at least 1 s, at most the suite's timeout).
P90_FACTOR = 3.0
_MIN_P95_CEILING_MS = 1000.0


@dataclass(frozen=True)
class CanaryPlan:
    """How a canary goes.

    Attributes:
        share: the canary's share of calls to start with, in % (above 0, below 100).
        step: added to the share after each good interval; None: the share stays.
        interval_s: how long each interval lasts.
        failure_limit: bad intervals before the canary rolls back.
        min_calls: canary calls an interval needs to be decided (fewer: hold).
        max_error_rate: ceiling of failed calls among the canary's calls; None: the
            suite's ``qualify.max_error_rate``, else :data:`DEFAULT_MAX_ERROR_RATE`.
        max_fallback_rate: ceiling of fallbacks among its served calls; None:
            :data:`DEFAULT_MAX_FALLBACK_RATE`.
        max_p95_ms: ceiling of its served calls' p95 latency; None: the suite's
            ``qualify.max_p90_latency_ms``, else 3 × the canary champion's benchmark
            p90 (at least 1 s, at most the suite's ``timeout_s``).
    """

    share: float
    step: float | None = None
    interval_s: float = 60.0
    failure_limit: int = 2
    min_calls: int = 20
    max_error_rate: float | None = None
    max_fallback_rate: float | None = None
    max_p95_ms: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.share < 100:
            problems.append(f"--canary {self.share:g}: a share above 0 and below 100 (%)")
        if self.step is not None and not 0 < self.step <= 100:
            problems.append(f"--step {self.step:g}: a step above 0, at most 100 (%)")
        if self.interval_s <= 0:
            problems.append("--interval: a duration above 0")
        if self.failure_limit < 1 or self.min_calls < 1:
            problems.append("--failure-limit and --min-calls: at least 1")
        for name in ("max_error_rate", "max_fallback_rate"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                problems.append(f"{name}: a share from 0 to 1")
        if problems:
            raise InputError("canary plan: " + "; ".join(problems))

    def resolved(self, suite: Suite, champion_p90_ms: float | None) -> dict[str, Any]:
        """The plan with every ceiling set, as stored."""
        qualify = suite.qualify
        p95 = self.max_p95_ms or qualify.max_p90_latency_ms
        if p95 is None and champion_p90_ms is not None:
            p95 = min(suite.params.timeout_s * 1000,
                      max(_MIN_P95_CEILING_MS, P90_FACTOR * champion_p90_ms))
        return {**asdict(self), "max_p95_ms": p95,
                "max_error_rate": _first(self.max_error_rate, qualify.max_error_rate,
                                         DEFAULT_MAX_ERROR_RATE),
                "max_fallback_rate": _first(self.max_fallback_rate, DEFAULT_MAX_FALLBACK_RATE)}


def _first(*values: float | None) -> float:
    return next(v for v in values if v is not None)


def start_canary(registry: Registry, task: str, plan: CanaryPlan, run_id: str | None = None,
                 stage: str = "prod",
                 details: Mapping[str, Any] | None = None) -> CanaryDecision:
    """Record a canary of a run's pair (default: the task's latest complete benchmark)
    on ``stage``; the gateways serving that stage carry it out. ``details`` go with
    its first history row (a stage gate's check, say).

    Raises:
        InputError: the run may not be promoted (see :meth:`Registry.promotable`),
            nothing is served on ``stage`` yet, that run serves already, or a canary
            is in progress there.
    """
    check_stage(stage)
    found = registry.promotable(task, run_id)
    store = registry.store
    run = store.load_run(found.summary.run_id)
    lines = {line.model: line for line in run.ranking.models}
    line = lines.get(found.champion.model)
    p90 = None if line is None or line.latency_ms is None else line.latency_ms.p90
    return store.start_canary(
        task=task, stage=stage, run_id=found.summary.run_id, champion=found.champion.model,
        champion_key=found.champion_key, runner_up=None if found.runner_up is None
        else found.runner_up.model, runner_up_key=found.runner_up_key,
        plan=plan.resolved(Suite.model_validate(run.suite_json), p90), details=details)


def abort_canary(registry: Registry, task: str, stage: str = "prod",
                 reason: str = "ended by hand") -> CanaryDecision:
    """End the canary in progress: its pair serves no more calls.

    Raises:
        InputError: no canary is in progress for ``task`` on ``stage``.
    """
    return registry.store.end_canary(task, check_stage(stage), "aborted", "canary-abort",
                                     {"reason": reason})


def takes(canary: CanaryRoute, caller: str | None,
          draw: Any = random.random) -> bool:
    """Whether the canary's pair serves this call: always for the same ``caller`` of
    the same canary (a hash of both), else by a draw."""
    if canary.share >= 100:
        return True
    if canary.share <= 0:
        return False
    if caller:
        digest = hashlib.sha256(f"{canary.id}\x00{caller}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") / 2 ** 64
    else:
        point = draw()
    return bool(point * 100 < canary.share)


def cohort_figures(tally: CohortTally | None) -> dict[str, Any]:
    """Calls, errors, fallbacks, their rates and the p50 and p95 latency of one cohort."""
    tally = tally or CohortTally()
    served = tally.calls - tally.errors
    return {"calls": tally.calls, "errors": tally.errors, "fallbacks": tally.fallbacks,
            "error_rate": tally.errors / tally.calls if tally.calls else None,
            "fallback_rate": tally.fallbacks / served if served else None,
            "p50_ms": quantile(tally.latency, 0.5), "p95_ms": quantile(tally.latency, 0.95)}


def decide_interval(canary: CanaryRow, tallies: Mapping[str, CohortTally],
                    now: datetime) -> CanaryStep | None:
    """The decision on the canary's interval in progress; None until it is over."""
    if now < canary.interval_started_at + timedelta(seconds=canary.interval_s):
        return None
    figures = cohort_figures(tallies.get("canary"))
    details: dict[str, Any] = {
        "interval": canary.interval_no, "share": canary.share, "canary": figures,
        "baseline": cohort_figures(tallies.get("baseline")),
        "ceilings": {"min_calls": canary.min_calls, "max_error_rate": canary.max_error_rate,
                     "max_fallback_rate": canary.max_fallback_rate,
                     "max_p95_ms": canary.max_p95_ms},
        "bad_intervals": canary.bad_intervals, "failure_limit": canary.failure_limit}
    if figures["calls"] < canary.min_calls:
        details["problems"] = [f"too few calls: {figures['calls']} of {canary.min_calls}"]
        return CanaryStep("canary-hold", canary.share, canary.bad_intervals, "running", details)
    problems = _over_ceilings(canary, figures)
    details["problems"] = problems
    if problems:
        bad = canary.bad_intervals + 1
        details["bad_intervals"] = bad
        if bad >= canary.failure_limit:
            return CanaryStep("canary-rollback", 0.0, bad, "rolled_back", details)
        return CanaryStep("canary-fail", canary.share, bad, "running", details)
    if canary.step is None:
        return CanaryStep("canary-pass", canary.share, canary.bad_intervals, "running", details)
    share = canary.share + canary.step
    if share >= 100:
        return CanaryStep("promote", 100.0, canary.bad_intervals, "promoted", details)
    return CanaryStep("canary-step", share, canary.bad_intervals, "running", details)


def _over_ceilings(canary: CanaryRow, figures: Mapping[str, Any]) -> list[str]:
    problems = []
    if figures["error_rate"] is not None and figures["error_rate"] > canary.max_error_rate:
        problems.append(f"error rate {figures['error_rate']:.1%} over"
                        f" {canary.max_error_rate:.1%}")
    if figures["fallback_rate"] is not None \
            and figures["fallback_rate"] > canary.max_fallback_rate:
        problems.append(f"fallback rate {figures['fallback_rate']:.1%} over"
                        f" {canary.max_fallback_rate:.1%}")
    p95 = figures["p95_ms"]
    if canary.max_p95_ms is not None and p95 is not None and p95 > canary.max_p95_ms:
        problems.append(f"p95 {p95:.0f} ms over {canary.max_p95_ms:.0f} ms")
    return problems
