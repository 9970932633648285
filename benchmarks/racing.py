"""Racing against the full grid over simulated worlds.

Each world has 20 models and 20 cases. Models differ in speed (a base latency
per model, a cost per case shared by all models, a model-specific per-case
factor, per-call noise whose spread is drawn per model, and occasional slow
spikes with a heavy Pareto tail) and in reliability: some are always correct,
some get a few cases wrong most of the time, some are flaky (they fail a few
cases now and then). The outcome of (world, model, case, batch) is a function
of those four alone, so every strategy sees the same outcome for the same
trial.

The real FullStrategy and RaceStrategy classes are driven through a
simulated executor (next_wave, trials_for, keep_running before each trial,
observe after it), and both runs are ranked the same way: models that ran
without being stopped and pass every trial qualify, ordered by median latency
with ties broken by p90 (the ranking's own ordering). Printed:

- how often the race names the same champion and runner-up as the full grid
  with K = 5 (target ≥ 98%), and its share of the grid's calls (target ≤ 35%);
- how often each strategy's champion is truly always correct in its world;
- what confirmation batches for the finalists buy (target: a truly-always-
  correct champion in ≥ 97% of worlds with fewer calls than the full grid).

Usage: python benchmarks/racing.py [--worlds N] [--repeats K] [--confirm N ...]
"""

from __future__ import annotations

import argparse
import math
import random
import time
from dataclasses import dataclass

from champion._ranking.compare import LatencyProfile, order_by_speed
from champion._ranking.stats import percentile
from champion._runner.simulate import drive
from champion._runner.strategies import Outcome, RunPlan
from champion._runner.strategies.full import FullStrategy
from champion._runner.strategies.race import RaceOptions, RaceStrategy

MODELS = 20
CASES = 20


@dataclass(frozen=True)
class SimModel:
    """One model of a world: how fast, how noisy, which cases it fails how often."""

    name: str
    base_ms: float
    noise: float
    spike_rate: float
    case_factor: tuple[float, ...]
    fail_prob: tuple[float, ...]

    @property
    def always_correct(self) -> bool:
        return not any(self.fail_prob)


class World:
    """Models and cases drawn from a seed; outcomes drawn per (model, case, batch)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        rng = random.Random(f"world:{seed}")
        case_cost = [rng.lognormvariate(0.0, 0.4) for _ in range(CASES)]
        self.models = []
        for m in range(MODELS):
            fail = [0.0] * CASES
            kind = rng.random()
            if kind < 0.30:  # gets a few cases wrong most of the time
                for case in rng.sample(range(CASES), rng.randint(1, 4)):
                    fail[case] = rng.uniform(0.3, 1.0)
            elif kind < 0.60:  # flaky: a few cases fail now and then
                for case in rng.sample(range(CASES), rng.randint(1, 3)):
                    fail[case] = rng.uniform(0.03, 0.3)
            self.models.append(SimModel(
                name=f"m{m:02d}",
                base_ms=rng.lognormvariate(math.log(600), 0.5),
                noise=rng.uniform(0.05, 0.35),
                spike_rate=rng.uniform(0.0, 0.06),
                case_factor=tuple(c * rng.lognormvariate(0.0, 0.15) for c in case_cost),
                fail_prob=tuple(fail),
            ))
        self.by_name = {model.name: model for model in self.models}
        self.cases = tuple(f"c{c:02d}" for c in range(CASES))
        self._case_index = {case: i for i, case in enumerate(self.cases)}
        self._model_index = {model.name: i for i, model in enumerate(self.models)}

    def outcome(self, model: str, case: str, batch: int) -> Outcome:
        """The trial's outcome: a function of (world, model, case, batch) only."""
        sim = self.by_name[model]
        c = self._case_index[case]
        rng = random.Random(((self.seed * 1000 + self._model_index[model]) * 1000 + c) * 1000
                            + batch)
        correct = rng.random() >= sim.fail_prob[c]
        latency = sim.base_ms * sim.case_factor[c] * rng.lognormvariate(0.0, sim.noise)
        if rng.random() < sim.spike_rate:
            latency *= 1.0 + rng.paretovariate(1.5)
        return Outcome(model, case, batch, correct, False, latency)


def ranking(outcomes: list[Outcome], stopped: dict[str, str]) -> list[str]:
    """Qualified models (never stopped, every trial correct) in the ranking's order."""
    per_model: dict[str, list[Outcome]] = {}
    for o in outcomes:
        per_model.setdefault(o.model, []).append(o)
    profiles = []
    for model, results in per_model.items():
        if model in stopped or not all(o.correct for o in results):
            continue
        latencies = sorted(o.latency_ms or 0.0 for o in results)
        per_case: dict[str, list[float]] = {}
        for o in results:
            per_case.setdefault(o.case_id, []).append(o.latency_ms or 0.0)
        profiles.append(LatencyProfile(
            model, percentile(latencies, 50), percentile(latencies, 90), None,
            {c: percentile(sorted(v), 50) for c, v in per_case.items()}))
    order, _comparisons = order_by_speed(profiles)
    return [p.model for p in order]


@dataclass
class Tally:
    worlds: int = 0
    calls: int = 0
    same_pair: int = 0
    champion_correct: int = 0
    runner_up_correct: int = 0
    has_champion: int = 0
    has_runner_up: int = 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--confirm", type=int, nargs="*", default=[0, 10, 20])
    args = parser.parse_args()
    k = args.repeats
    full = Tally()
    races = {confirm: Tally() for confirm in args.confirm}
    started = time.perf_counter()
    for seed in range(args.worlds):
        world = World(seed)
        names = tuple(m.name for m in world.models)

        plan = RunPlan(models=names, cases=world.cases, repeats=k, seed=world.seed)
        grid = FullStrategy(plan)
        grid_outcomes = drive(grid, world.outcome)
        grid_order = ranking(grid_outcomes, grid.stopped)
        _count(full, world, grid_order, len(grid_outcomes), grid_order)
        for confirm, tally in races.items():
            race = RaceStrategy(plan, RaceOptions(confirm=confirm))
            race_outcomes = drive(race, world.outcome)
            race_order = ranking(race_outcomes, race.stopped)
            _count(tally, world, race_order, len(race_outcomes), grid_order)
    elapsed = time.perf_counter() - started
    grid_calls = full.calls / full.worlds
    print(f"{args.worlds} worlds, {MODELS} models x {CASES} cases, K = {k}"
          f" ({elapsed:.0f} s)")
    print(f"{'strategy':<24}{'calls':>8}{'share':>8}{'same pair':>11}"
          f"{'champion ok':>13}{'runner-up ok':>14}{'no champion':>13}")
    rows = [("full grid", full)] + [(f"race, confirm {c}", t) for c, t in races.items()]
    for label, t in rows:
        calls = t.calls / t.worlds
        print(f"{label:<24}{calls:>8.0f}{calls / grid_calls:>8.1%}"
              f"{t.same_pair / t.worlds:>11.1%}"
              f"{_share(t.champion_correct, t.has_champion):>13}"
              f"{_share(t.runner_up_correct, t.has_runner_up):>14}"
              f"{1 - t.has_champion / t.worlds:>13.1%}")
    print("same pair: champion and runner-up as the full grid names them;"
          " ok: truly always correct in its world")


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def _count(tally: Tally, world: World, order: list[str], calls: int,
           grid_order: list[str]) -> None:
    tally.worlds += 1
    tally.calls += calls
    tally.same_pair += order[:2] == grid_order[:2]
    if order:
        tally.has_champion += 1
        tally.champion_correct += world.by_name[order[0]].always_correct
    if len(order) > 1:
        tally.has_runner_up += 1
        tally.runner_up_correct += world.by_name[order[1]].always_correct


if __name__ == "__main__":
    main()
