"""The plan as a mixed-integer program, solved by HiGHS (``highspy``).

Variables, for step position ``t`` and model ``m``:

- ``x[t,m]`` (binary): step ``t`` runs on ``m``, for the models qualified on
  it; exactly one per step;
- ``r[t,m]`` (binary): ``m`` is resident while step ``t`` runs; ``x[t,m] ≤ r[t,m]``;
- ``load[t,m] ≥ r[t,m] − r[t−1,m]``: ``m`` is loaded at ``t`` (wave: nothing is
  resident before step 0; item flow: cyclically, see :mod:`.projection`), and
  in item flow ``kept[m] ≥ r[0,m] + r[T−1,m] − 1`` (loaded once, for the first item).

Constraints: Σ_m memory_m × r[t,m] ≤ budget at every ``t``; one item's time
(Σ latencies, plus in item flow Σ load × cold start) ≤ ``max_item_ms``.

Objective (ms for N items), exactly :func:`.projection.project`'s total:
Σ x × N × share × latency + Σ load × cold start (item flow: load × N × share ×
cold start + kept × cold start), plus tie-breaks far below a microsecond:
resident memory, then the step's own ranking.

When nothing fits, :func:`solve` with ``relax`` first minimises how far over
the budget the closest plan is (as fractions of memory and time budgets),
then its time at that excess.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Problem", "Solution", "solve", "solver_version"]

#: Tie-break weights (ms): prefer less resident memory, then the step's ranking.
_MEMORY_TIE = 1e-7
_RANK_TIE = 1e-5
#: Longest a solve may take.
TIME_LIMIT_S = 30.0


@dataclass(frozen=True)
class Problem:
    """One workflow's planning problem, per step position."""

    flow: str
    items: int
    shares: tuple[float, ...]
    #: Per step: qualified model key → median latency (ms).
    latency: tuple[Mapping[str, float], ...]
    #: Per step: qualified model key → its rank on the step (0: champion).
    rank: tuple[Mapping[str, int], ...]
    cold_start_ms: Mapping[str, float]
    memory_mb: Mapping[str, float]
    memory_budget_mb: float | None
    max_item_ms: float | None


@dataclass(frozen=True)
class Solution:
    """A model per step and the models resident at each step."""

    models: tuple[str, ...]
    resident: tuple[frozenset[str], ...]
    #: How far the peak memory is over the budget (0 unless relaxed).
    memory_excess_mb: float
    #: How far one item's time is over ``max_item_ms`` (0 unless relaxed).
    item_excess_ms: float
    solve_ms: float


def _highspy() -> Any:
    """The HiGHS binding, imported on first use (only planning pays for it)."""
    return importlib.import_module("highspy")


_first_instance = threading.Lock()
_banner_written = False


def _new_highs(highspy: Any) -> Any:
    """A silent HiGHS instance.

    HiGHS 1.16 writes a banner to file descriptor 1 when a process's first
    instance is made, before any option can be set; it would corrupt
    ``--format json`` on stdout, so the descriptor points at the null device
    while that first instance is made.
    """
    global _banner_written
    with _first_instance:
        if _banner_written:
            highs = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "wb") as null:
                    os.dup2(null.fileno(), 1)
                    highs = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_written = True
    highs.silent()
    return highs


def solver_version() -> str:
    """``HiGHS x.y.z``."""
    highspy = _highspy()
    parts = [getattr(highspy, f"HIGHS_VERSION_{part}", None)
             for part in ("MAJOR", "MINOR", "PATCH")]
    if all(part is not None for part in parts):
        return "HiGHS " + ".".join(str(part) for part in parts)
    return f"HiGHS {_new_highs(highspy).version()}"


def solve(problem: Problem, *, fixed: Sequence[str] | None = None,
          relax: bool = False) -> Solution | None:
    """The least projected time under the budget; None when nothing fits.

    Args:
        fixed: a model key per step to keep (only the residency is chosen).
        relax: let the plan go over the budget, by as little as possible.
    """
    start = time.perf_counter_ns()
    model = _Model(_highspy(), problem, fixed, relax)
    if relax:
        excess = model.excess()
        if not model.run(excess):
            return None
        found = model.value(excess)
        model.highs.addConstr(excess <= found + 1e-9)
    if not model.run(model.objective()):
        return None
    return model.solution((time.perf_counter_ns() - start) / 1e6)


class _Model:
    """The program's variables and constraints in one HiGHS instance."""

    def __init__(self, highspy: Any, problem: Problem, fixed: Sequence[str] | None,
                 relax: bool) -> None:
        self.highspy, self.problem = highspy, problem
        h = self.highs = _new_highs(highspy)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("time_limit", TIME_LIMIT_S)
        h.setOptionValue("threads", 1)
        steps = range(len(problem.shares))
        self.models = sorted({m for options in problem.latency for m in options})
        self.x = {(t, m): h.addBinary() for t in steps for m in problem.latency[t]}
        self.r = {(t, m): h.addBinary() for t in steps for m in self.models}
        self.load = {(t, m): h.addVariable(lb=0, ub=1) for t in steps for m in self.models}
        self.kept = {m: h.addVariable(lb=0, ub=1) for m in self.models} \
            if problem.flow == "item" else {}
        self.memory_excess = h.addVariable(lb=0) if relax else None
        self.item_excess = h.addVariable(lb=0) if relax else None
        last = len(problem.shares) - 1
        for t in steps:
            h.addConstr(sum(self.x[t, m] for m in problem.latency[t]) == 1)
            for m in problem.latency[t]:
                h.addConstr(self.x[t, m] <= self.r[t, m])
                if fixed is not None:
                    h.changeColBounds(self.x[t, m].index, *((1, 1) if m == fixed[t] else (0, 0)))
            for m in self.models:
                if t > 0 or problem.flow == "item":
                    h.addConstr(self.load[t, m] >= self.r[t, m] - self.r[t - 1 if t else last, m])
                else:
                    h.addConstr(self.load[t, m] >= self.r[t, m])
            if problem.memory_budget_mb is not None:
                used = sum(problem.memory_mb.get(m, 0.0) * self.r[t, m] for m in self.models)
                limit = problem.memory_budget_mb + (self.memory_excess or 0)
                h.addConstr(used <= limit)
        for m, kept in self.kept.items():
            h.addConstr(kept >= self.r[0, m] + self.r[last, m] - 1)
        if problem.max_item_ms is not None:
            h.addConstr(self.item_time() <= problem.max_item_ms + (self.item_excess or 0))

    def item_time(self) -> Any:
        """One item's time through every step."""
        problem = self.problem
        expression = sum(problem.latency[t][m] * var for (t, m), var in self.x.items())
        if problem.flow == "item":
            expression += sum(problem.cold_start_ms.get(m, 0.0) * var
                              for (_t, m), var in self.load.items())
        return expression

    def excess(self) -> Any:
        """How far over the budgets, as fractions of them."""
        problem = self.problem
        total: Any = 0
        if self.memory_excess is not None and problem.memory_budget_mb:
            total += self.memory_excess * (1 / problem.memory_budget_mb)
        if self.item_excess is not None and problem.max_item_ms:
            total += self.item_excess * (1 / problem.max_item_ms)
        return total

    def objective(self) -> Any:
        """Projected ms for N items, plus the tie-breaks."""
        problem, items = self.problem, self.problem.items
        cold = problem.cold_start_ms
        total: Any = sum((items * problem.shares[t] * problem.latency[t][m]
                          + _RANK_TIE * problem.rank[t][m]) * var
                         for (t, m), var in self.x.items())
        for (t, m), var in self.load.items():
            weight = items * problem.shares[t] if problem.flow == "item" else 1.0
            total += weight * cold.get(m, 0.0) * var
        total += sum(cold.get(m, 0.0) * var for m, var in self.kept.items())
        total += sum(_MEMORY_TIE * (1 + problem.memory_mb.get(m, 0.0)) * var
                     for (_t, m), var in self.r.items())
        return total

    def run(self, objective: Any) -> bool:
        """Minimise ``objective``; whether an optimal solution was found."""
        if isinstance(objective, int | float):  # nothing to minimise: any feasible point
            objective = 0 * next(iter(self.r.values()))
        self.highs.minimize(objective)
        return bool(self.highs.getModelStatus() == self.highspy.HighsModelStatus.kOptimal)

    def value(self, expression: Any) -> float:
        return float(self.highs.val(expression))

    def solution(self, solve_ms: float) -> Solution:
        problem, steps = self.problem, range(len(self.problem.shares))
        models = tuple(next(m for m in problem.latency[t] if self.highs.val(self.x[t, m]) > 0.5)
                       for t in steps)
        resident = tuple(frozenset(m for m in self.models if self.highs.val(self.r[t, m]) > 0.5)
                         for t in steps)
        return Solution(
            models=models, resident=resident,
            memory_excess_mb=0.0 if self.memory_excess is None
            else max(0.0, self.value(self.memory_excess)),
            item_excess_ms=0.0 if self.item_excess is None
            else max(0.0, self.value(self.item_excess)),
            solve_ms=solve_ms)
