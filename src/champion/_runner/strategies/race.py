"""Racing: screen every model once, then certify the survivors in order of speed.

Most of a full grid's calls go to models that cannot win: models that fail a
case, and models clearly slower than the two that will be named. The race
spends its calls where they decide something:

1. **Screen** (batch 0): every model runs every case once, the cases that
   failed most often so far first, so a failing model is dropped early. With
   ``min_pass_rate: 1.0`` a model is dropped at its first failure (exact: it
   can no longer qualify). Below 1.0 it is dropped once the one-sided 95%
   Clopper–Pearson upper bound of its pass rate falls under ``min_pass_rate``
   (it is then confidently below the rule), or once it has more failures than
   the rule allows over every batch it could run.
2. **Certify**: the survivors, fastest first (geometric mean of per-case
   latency), run the remaining batches, still fail-fast. The first two
   certified models in the ranking's order (median latency, a tie broken by
   p90) are the finalists; they also run the ``confirm`` extra batches.
3. **Stop** once the champion and the runner-up are certified and every
   other survivor is significantly slower than the runner-up: a one-sided
   paired Wilcoxon signed-rank test on the per-case
   ``log(lat_model) - log(lat_runner_up) - log(margin)`` gives p < alpha
   (per-case latency: the median over the batches run). The test is paired
   by case because each case asks the same work of both models, on logs
   because latency is heavy-tailed and ratios matter, rank-based because a
   few slow outliers must not decide, and shifted by the margin so a model
   only a little slower is certified rather than dropped. With fewer cases
   than the test needs to ever reach p < alpha, every survivor is certified.

The strategy's state is a function of the outcomes it observed. A model
dropped for failing stays dropped; "slower than the runner-up" is decided
again before every wave from what was measured, so after a resume (stored
trials replayed through :meth:`observe`) the race goes on where it was.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import ClassVar

from pydantic import Field

from champion._ranking.compare import (
    DEFAULT_ALPHA,
    DEFAULT_MARGIN,
    LatencyProfile,
    order_by_speed,
    slower_by_margin,
)
from champion._ranking.stats import clopper_pearson_upper, median, percentile
from champion._ranking.wilcoxon import min_one_sided_p
from champion._runner.strategies.base import Outcome, RunPlan, Strategy, StrategyOptions

__all__ = ["RaceOptions", "RaceStrategy"]

_FLOOR_MS = 1e-3


class RaceOptions(StrategyOptions):
    """What the race may be told (``--strategy-option KEY=VALUE``).

    Attributes:
        margin: how much slower than the runner-up a model must be to be
            dropped, as a fraction (0.10: more than 10% slower).
        alpha: significance level of the "slower than the runner-up" test.
        confirm: extra batches for the champion and the runner-up.
    """

    margin: float = Field(default=round(DEFAULT_MARGIN - 1, 6), ge=0.0)
    alpha: float = Field(default=DEFAULT_ALPHA, gt=0.0, lt=1.0)
    confirm: int = Field(default=0, ge=0)


class RaceStrategy(Strategy):
    """Screen, then certify in speed order; see the module docstring.

    Args:
        plan: the run's plan.
        options: margin, alpha and the finalists' ``confirm`` batches.
    """

    name: ClassVar[str] = "race"
    Options: ClassVar[type[StrategyOptions]] = RaceOptions

    def __init__(self, plan: RunPlan, options: StrategyOptions | None = None) -> None:
        super().__init__(plan, options)
        assert isinstance(self.options, RaceOptions)
        self.margin = 1.0 + self.options.margin
        self.alpha = self.options.alpha
        self.confirm = self.options.confirm
        self._seen: dict[str, set[tuple[str, int]]] = {m: set() for m in plan.models}
        self._per_batch: dict[str, Counter[int]] = {m: Counter() for m in plan.models}
        self._latency: dict[str, dict[str, list[float]]] = {m: {} for m in plan.models}
        self._passes: Counter[str] = Counter()
        self._trials: Counter[str] = Counter()
        self._case_failures: Counter[str] = Counter()
        # Trials a judge left without a verdict: such a model cannot be champion
        # (until a resumed run judges them), so it is no finalist.
        self._unjudged: Counter[str] = Counter()
        self._slow: dict[str, str] = {}
        self._target: dict[str, int] = {}
        # Guards against a model the executor could not run: offered twice
        # with no new outcome in between, it is dropped.
        self._offered: dict[str, int] = {}
        cases = len(plan.cases)
        self._can_drop_slow = cases > 0 and min_one_sided_p(cases) < self.alpha

    @property
    def max_batches(self) -> int:
        """K batches, and the finalists' confirmation batches."""
        return self.plan.repeats + self.confirm

    # -- what was observed ---------------------------------------------------

    def observe(self, outcome: Outcome) -> None:
        """Record a trial; drop the model once it can no longer qualify."""
        model = outcome.model
        seen = self._seen.setdefault(model, set())
        pair = (outcome.case_id, outcome.batch)
        if pair in seen:
            return
        seen.add(pair)
        self._per_batch.setdefault(model, Counter())[outcome.batch] += 1
        if outcome.latency_ms is not None and not outcome.error:
            self._latency.setdefault(model, {}).setdefault(outcome.case_id, []).append(
                max(outcome.latency_ms, _FLOOR_MS))
        if outcome.unjudged:  # neither a pass nor a failure; counts in no pass rate
            self._unjudged[model] += 1
            return
        self._trials[model] += 1
        if outcome.correct:
            self._passes[model] += 1
            return
        self._case_failures[outcome.case_id] += 1
        self._check_failures(model, outcome)

    def _check_failures(self, model: str, outcome: Outcome) -> None:
        where = f"{outcome.case_id} in batch {outcome.batch + 1}"
        rule = self.plan.min_pass_rate
        if rule >= 1.0:
            self.stop(model, f"failed {where}")
            return
        passes, trials = self._passes[model], self._trials[model]
        failures = trials - passes
        most = self.max_batches * len(self.plan.cases)
        if failures > int((1 - rule) * most + 1e-9):
            self.stop(model, f"{failures} failures, more than the pass-rate rule allows"
                             f" (last: {where})")
            return
        upper = clopper_pearson_upper(passes, trials)
        if upper < rule:
            self.stop(model, f"pass rate at most {upper:.1%} (95% bound) after"
                             f" {passes}/{trials}, under {rule:.0%} (last: {where})")

    def _complete(self, model: str, batches: int) -> bool:
        """Whether ``model`` ran every case of batches 0 .. batches-1."""
        counts = self._per_batch.get(model, Counter())
        cases = len(self.plan.cases)
        return all(counts[b] >= cases for b in range(batches))

    def _per_case(self, model: str) -> dict[str, float]:
        """Case → median latency over the batches run."""
        return {case: median(values) for case, values in self._latency.get(model, {}).items()
                if values}

    def _speed(self, model: str) -> float:
        """Geometric mean of per-case latency (infinite with no latency)."""
        per_case = self._per_case(model)
        if not per_case:
            return math.inf
        return math.exp(sum(math.log(v) for v in per_case.values()) / len(per_case))

    def _by_speed(self, models: list[str]) -> list[str]:
        """Models in the order the ranking gives them: median latency, ties by p90."""
        profiles = []
        for model in models:
            values = sorted(v for vs in self._latency.get(model, {}).values() for v in vs)
            if values:
                profiles.append(LatencyProfile(model, percentile(values, 50),
                                               percentile(values, 90), None,
                                               self._per_case(model)))
        ordered, _pairs = order_by_speed(profiles, margin=self.margin, alpha=self.alpha)
        return [p.model for p in ordered] + [m for m in models if m not in
                                             {p.model for p in profiles}]

    def _meets_rule(self, model: str) -> bool:
        trials = self._trials[model]
        return trials > 0 and self._passes[model] / trials >= self.plan.min_pass_rate

    # -- what runs next --------------------------------------------------------

    def keep_running(self, model: str) -> bool:
        """Not dropped for failing, nor for being slower than the runner-up."""
        return model not in self._stopped and model not in self._slow

    @property
    def stopped(self) -> dict[str, str]:
        """Model → why the race stopped running it."""
        return {**self._slow, **self._stopped}

    def next_wave(self) -> list[str]:
        """Screening: every model at once. Certification: one model per wave."""
        alive = [m for m in self.plan.models if m not in self._stopped]
        unscreened = [m for m in alive if not self._complete(m, 1)]
        if unscreened:
            self._slow = {}
            for model in unscreened:
                self._target[model] = 1
            return self._offer(unscreened)
        k, final = self.plan.repeats, self.max_batches
        certified = self._by_speed([m for m in alive if self._complete(m, k)
                                    and self._meets_rule(m) and not self._unjudged[m]])
        for finalist in certified[:2]:
            if not self._complete(finalist, final):
                self._slow.pop(finalist, None)
                self._target[finalist] = final
                return self._offer([finalist])
        runner_up = certified[1] if len(certified) >= 2 else None
        uncertified = sorted((m for m in alive if not self._complete(m, k)),
                             key=lambda m: (self._speed(m), m))
        self._slow = {}
        pending = []
        reference = self._per_case(runner_up) if runner_up is not None else {}
        for model in uncertified:
            why = self._slower_than_runner_up(model, reference) if reference else None
            if why is None:
                pending.append(model)
            else:
                self._slow[model] = why
        if not pending:
            return []
        self._target[pending[0]] = k
        return self._offer(pending[:1])

    def _slower_than_runner_up(self, model: str, reference: dict[str, float]) -> str | None:
        if not self._can_drop_slow:
            return None
        test = slower_by_margin(self._per_case(model), reference, self.margin)
        if test is None or not test.significant(self.alpha):
            return None
        return f"slower than runner-up: ×{test.ratio:.2f}, p={test.p_value:.2g}"

    def _offer(self, models: list[str]) -> list[str]:
        offered = []
        for model in models:
            progress = len(self._seen.get(model, ()))
            if self._offered.get(model) == progress:
                self.stop(model, "no trials ran")
                continue
            self._offered[model] = progress
            offered.append(model)
        return offered if offered or not models else self.next_wave()

    def trials_for(self, model: str) -> list[tuple[str, int]]:
        """The batches the model still needs, hardest cases first within each batch.

        Hardest: failed most often so far by any model; ties keep the batch's
        shuffled order.
        """
        target = self._target.get(model, 1)
        seen = self._seen.get(model, set())
        pairs: list[tuple[str, int]] = []
        for batch in range(target):
            order = self.plan.batch_order(batch)
            position = {case: i for i, case in enumerate(order)}
            order.sort(key=lambda case: (-self._case_failures[case], position[case]))
            pairs.extend((case, batch) for case in order if (case, batch) not in seen)
        return pairs
