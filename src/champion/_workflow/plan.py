"""The plan: one qualified model per step, chosen jointly, beside each step's own champion.

:func:`plan_workflow` reads the stored rankings (:mod:`.figures`), solves the
program of :mod:`.solver`, projects the result (:mod:`.projection`) and says
why the plan differs from the per-step champions (:mod:`.explain`). When no
assignment fits the budget it says so, and what comes closest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from champion._store import Store
from champion._workflow.figures import PlanInputs, StepChoice, gather
from champion._workflow.model import Workflow
from champion._workflow.projection import Projection, project
from champion._workflow.solver import Problem, Solution, solve

__all__ = ["Alternative", "Plan", "PlannedStep", "plan_inputs", "plan_workflow"]


@dataclass(frozen=True)
class PlannedStep:
    """One step of a plan."""

    choice: StepChoice
    #: The planned model's key (None when nothing fits).
    model_key: str | None
    #: Keys of the models resident while the step runs.
    resident: frozenset[str]
    #: The model that takes over when the planned one fails: the fastest other
    #: qualified model, one already resident first.
    fallback_key: str | None
    #: Other steps that run on the same model.
    shared_with: tuple[str, ...]

    @property
    def id(self) -> str:
        """The step's id."""
        return self.choice.step.id


@dataclass(frozen=True)
class Alternative:
    """Another assignment, projected the same way: each step's own champion, or
    the closest one when nothing fits."""

    models: tuple[str | None, ...]
    projection: Projection | None
    #: Whether it fits the budget.
    feasible: bool
    memory_excess_mb: float = 0.0
    item_excess_ms: float = 0.0
    resident: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True)
class Plan:
    """A workflow's plan for ``items`` items."""

    workflow: Workflow
    items: int
    inputs: PlanInputs
    steps: tuple[PlannedStep, ...]
    #: None when nothing fits.
    projection: Projection | None
    champions: Alternative
    closest: Alternative | None
    #: Why the plan picked a shared model (or other than a step's champion).
    why: str | None
    #: Why nothing fits, when nothing does.
    reason: str | None
    notes: tuple[str, ...]
    #: Time in the solver: the plan, each step's own champion and, when nothing
    #: fits, what is closest (the first plan in a process also loads HiGHS).
    solve_ms: float

    @property
    def feasible(self) -> bool:
        """An assignment fits the budget."""
        return self.projection is not None

    def model_id(self, key: str | None) -> str | None:
        """A model's display id."""
        if key is None:
            return None
        cost = self.inputs.models.get(key)
        return cost.id if cost is not None else key


def plan_inputs(inputs: PlanInputs, items: int) -> Problem:
    """The solver's problem for these inputs and ``items`` items."""
    workflow = inputs.workflow
    return Problem(
        flow=workflow.flow, items=items,
        shares=tuple(choice.step.share for choice in inputs.steps),
        latency=tuple({o.key: o.median_ms for o in choice.options} for choice in inputs.steps),
        rank=tuple({o.key: o.rank for o in choice.options} for choice in inputs.steps),
        cold_start_ms={k: m.cold_start_ms or 0.0 for k, m in inputs.models.items()},
        memory_mb={k: m.memory_mb or 0.0 for k, m in inputs.models.items()},
        memory_budget_mb=workflow.budget.memory_mb, max_item_ms=workflow.budget.max_item_ms)


def projection_of(inputs: PlanInputs, problem: Problem, models: tuple[str, ...],
                  resident: tuple[frozenset[str], ...]) -> Projection:
    """The projection of one assignment and residency."""
    return project(problem.flow, problem.shares,
                   [problem.latency[t][m] for t, m in enumerate(models)], resident,
                   problem.cold_start_ms, problem.memory_mb)


def plan_workflow(workflow: Workflow, store: Store, items: int = 100) -> Plan:
    """Plan ``workflow`` for ``items`` items from the rankings in ``store``.

    Raises:
        InputError: a step's task has no complete benchmark of its current suite.
    """
    from champion._workflow.explain import explain, notes_of, reason_nothing_fits

    inputs = gather(store, workflow)
    problem = plan_inputs(inputs, items)
    empty = [c for c in inputs.steps if not c.options]
    solution = closest = None
    start = time.perf_counter_ns()
    if not empty:
        solution = solve(problem)
        if solution is None:
            closest = _alternative(inputs, problem, solve(problem, relax=True))
    champions = _champions(inputs, problem)
    solve_ms = (time.perf_counter_ns() - start) / 1e6
    projection = None if solution is None else projection_of(
        inputs, problem, solution.models, solution.resident)
    steps = _steps(inputs, solution)
    plan = Plan(workflow=workflow, items=items, inputs=inputs, steps=steps,
                projection=projection, champions=champions, closest=closest, why=None,
                reason=None, notes=(), solve_ms=solve_ms)
    reason = None if plan.feasible else reason_nothing_fits(plan, empty)
    return Plan(**{**plan.__dict__, "why": explain(plan), "reason": reason,
                   "notes": notes_of(plan)})


def _alternative(inputs: PlanInputs, problem: Problem, solution: Solution | None,
                 ) -> Alternative | None:
    if solution is None:
        return None
    return Alternative(
        models=solution.models,
        projection=projection_of(inputs, problem, solution.models, solution.resident),
        feasible=solution.memory_excess_mb < 1e-6 and solution.item_excess_ms < 1e-6,
        memory_excess_mb=solution.memory_excess_mb, item_excess_ms=solution.item_excess_ms,
        resident=solution.resident)


def _champions(inputs: PlanInputs, problem: Problem) -> Alternative:
    """Each step on its own champion, residency chosen the same way."""
    keys = tuple(c.champion.key if c.champion else None for c in inputs.steps)
    if None in keys:
        return Alternative(models=keys, projection=None, feasible=False)
    fixed = tuple(k for k in keys if k is not None)
    found = solve(problem, fixed=fixed)
    if found is not None:
        return Alternative(models=keys, feasible=True, resident=found.resident,
                           projection=projection_of(inputs, problem, fixed, found.resident))
    relaxed = _alternative(inputs, problem, solve(problem, fixed=fixed, relax=True))
    return relaxed or Alternative(models=keys, projection=None, feasible=False)


def _steps(inputs: PlanInputs, solution: Solution | None) -> tuple[PlannedStep, ...]:
    steps = []
    for t, choice in enumerate(inputs.steps):
        key = None if solution is None else solution.models[t]
        resident = frozenset() if solution is None else solution.resident[t]
        others = [o for o in choice.options if o.key != key]
        others.sort(key=lambda o: (o.key not in resident, o.median_ms))
        shared = () if solution is None else tuple(
            inputs.steps[u].step.id for u, other in enumerate(solution.models)
            if other == key and u != t)
        steps.append(PlannedStep(choice=choice, model_key=key, resident=resident,
                                 fallback_key=others[0].key if others else None,
                                 shared_with=shared))
    return tuple(steps)
