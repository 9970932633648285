"""``verify="judge"``: production serves only answers the task's judge accepts.

For a judged task (``check: {type: judge}``), ``Router.complete(task, vars,
verify="judge")`` (and the gateway's ``champion: {"verify": "judge"}``) asks
the task's champion, has the task's judge grade the answer, and returns it on
PASS. On FAIL (or no verdict) the runner-up answers and is judged in turn; an
answer is returned only when the judge passed it, else :class:`JudgeRejected`
names every model's verdict. The cookbook's "dual validation for critical
tasks", for free text.

The judge is resolved from the registry as a run resolves it (its measured
agreement, the same floor), once per route and event loop; its verdicts are
cached in memory (never read from or written to the database on the request
path). Its calls' time is reported as ``judge_ms``, apart from ``inference_ms``.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from champion._errors import InputError
from champion._judge.grader import Judge, Judgement
from champion._judge.resolve import resolve_judge
from champion._judge.spec import JudgeOptions
from champion._registry.answers import ModelFailure, RoutingError
from champion._registry.serving import CallCosts, FallbackPair, Served, take_turn
from champion._runner.calls import RetryPolicy
from champion._scoring.registry import check_kind

if TYPE_CHECKING:
    from champion._providers.base import GenerateRequest
    from champion._registry.rollout.compare import Comparison, ServedCall
    from champion._registry.routes import Route

__all__ = ["JudgeComparer", "JudgeRejected", "RouteJudges"]

#: Verdicts remembered per judge in a serving process.
CACHE_SIZE = 10_000


class JudgeRejected(RoutingError):
    """``verify="judge"``: the judge passed no model's answer; ``failures`` says why."""

    def __init__(self, task: str, failures: tuple[ModelFailure, ...]) -> None:
        super().__init__(f"{task}: the judge passed no answer: " + "; ".join(map(str, failures)),
                         task, failures)


class _Recent(OrderedDict[str, tuple[str, str | None]]):
    """A verdict cache that forgets the oldest verdicts past ``CACHE_SIZE``."""

    def __setitem__(self, key: str, value: tuple[str, str | None]) -> None:
        super().__setitem__(key, value)
        if len(self) > CACHE_SIZE:
            self.popitem(last=False)


class RouteJudges:
    """The judge of each judged task a router serves, per event loop.

    Args:
        registry: the router's registry reader; a ``{task: T}`` judge is read
            through its store.
        policy: retries of a judge call.
    """

    def __init__(self, registry: object, policy: RetryPolicy) -> None:
        self.registry = registry
        self.policy = policy
        self._judges: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, str | None], Judge]] = \
            weakref.WeakKeyDictionary()

    async def judge(self, route: Route) -> Judge:
        """The route's judge on this loop, resolved on first use.

        Raises:
            InputError: the task is not judged, or its judge cannot be used.
        """
        spec = route.suite.check_spec
        if not check_kind(spec.type).asks_model:
            raise InputError(f"{route.task}: verify='judge' needs a judged task (check type"
                             f" judge), and its check is {spec.type}")
        judges = self._judges.setdefault(asyncio.get_running_loop(), {})
        key = (route.task, route.run_id)
        found = judges.get(key)
        if found is None:
            options = spec.options
            assert isinstance(options, JudgeOptions)
            store = getattr(self.registry, "store", None)
            resolved = await asyncio.to_thread(resolve_judge, options, route.task, store)
            found = judges[key] = Judge(resolved, options, _Recent(), self.policy)
        return found

    async def serve(self, route: Route, request: GenerateRequest,
                    variables: Mapping[str, Any] | None, costs: CallCosts | None = None
                    ) -> Served:
        """The first answer the judge passes, champion first (see the module docstring).

        Raises:
            InputError: no vars (the judge sees them), or no usable judge.
            OverCapacity, AllModelsFailed: as a call without verification.
            JudgeRejected: the judge passed no answer.
        """
        if variables is None:
            raise InputError(f"{route.task}: verify='judge' needs the task's vars: the judge"
                             " sees them beside the answer")
        judge = await self.judge(route)
        costs = costs if costs is not None else CallCosts()
        served = await FallbackPair(route, self.policy).serve(request, costs=costs)
        judge_ns = 0
        failures = list(served.failures)
        for turn in range(2):
            start = time.perf_counter_ns()
            judged = await judge.judge(variables, None, served.completion.text.strip(), "",
                                       ("", "", 0), "production")
            judge_ns += time.perf_counter_ns() - start
            if judged.verdict == "PASS":
                served.failures, served.judge_ns = tuple(failures), judge_ns
                served.queue_ns, served.inference_ns = costs.queue_ns, costs.inference_ns
                served.parse_ns = costs.parse_ns
                return served
            failures.append(_rejected(served, judged))
            chain = route.chain()
            if turn or served.role != "champion" or len(chain) < 2:
                break
            role, slot, deadline = chain[1]
            outcome = await take_turn(route, role, slot, deadline, request, self.policy, costs)
            if isinstance(outcome, ModelFailure):
                failures.append(outcome)
                break
            served = outcome
        raise JudgeRejected(route.task, tuple(failures))

    async def aclose(self) -> None:
        """Release this loop's judge models."""
        for judge in self._judges.pop(asyncio.get_running_loop(), {}).values():
            await judge.aclose()


def _rejected(served: Served, judged: Judgement) -> ModelFailure:
    said = judged.verdict or "no verdict"
    return ModelFailure(served.slot.name, served.role, "judge_fail",
                        f"judge_fail: {said}: {judged.reason or 'no reason given'}", 1)


class JudgeComparer:
    """Shadows of a judged task: the task's judge grades the shadow's answer, and
    PASS agrees (the caller's answer passed the same judge or the same rubric)."""

    async def compare(self, served: ServedCall, shadow_text: str) -> Comparison:
        """The judge's verdict on the shadow's answer; no verdict is its own kind."""
        from champion._registry.rollout.compare import Comparison

        judges = served.judges
        if not isinstance(judges, RouteJudges) or served.vars is None:
            return Comparison(False, "unjudged")  # no vars: the judge could not see them
        try:
            judge = await judges.judge(served.route)
            judged = await judge.judge(served.vars, None, shadow_text.strip(), "",
                                       ("", "", 0), "shadow")
        except InputError:
            return Comparison(False, "unjudged")
        if judged.verdict == "PASS":
            return Comparison(True, None, shadow_text.strip())
        if judged.verdict == "FAIL":
            return Comparison(False, "judged_fail", shadow_text.strip())
        return Comparison(False, "unjudged")
