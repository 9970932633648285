"""The projection: what N items cost on one host, for a given model per step and
which models are resident during each step.

Steps run one after another in the workflow's order (position ``t``), on one
host. ``resident[t]`` is the set of models in memory while step ``t`` runs; it
holds the step's own model. Loading a model costs its cold start (load plus
one warm-up call, as measured).

- ``wave`` flow: every item goes through step 0, then every item through
  step 1, ... A model is loaded at step ``t`` when it is resident at ``t`` and
  was not at ``t - 1`` (nothing is resident before step 0). Loads do not
  depend on N.
- ``item`` flow: one item goes through every step, then the next item. The
  residency repeats for every item, so a model resident at ``t`` and not at
  ``t - 1`` (cyclically: before step 0 comes the previous item's last step)
  is loaded again for every item that reaches step ``t``; a model resident at
  both the first and the last step is loaded once, for the first item.

Total for N items = Σ_t N × share_t × latency_t + loads × cold start. One
item's time (what ``max_item_ms`` bounds) = Σ_t latency_t, plus in ``item``
flow the loads each item waits for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Projection", "StepCost", "project"]


@dataclass(frozen=True, slots=True)
class StepCost:
    """One step's share of the projection; totals for N items are linear in N."""

    calls_ms_per_item: float
    load_ms_fixed: float
    load_ms_per_item: float
    loads_fixed: int
    loads_per_item: float

    def total_ms(self, items: int) -> float:
        """The step's projected time for ``items`` items."""
        return self.load_ms_fixed + (self.calls_ms_per_item + self.load_ms_per_item) * items

    def loads(self, items: int) -> float:
        """Loads at this step for ``items`` items."""
        return self.loads_fixed + self.loads_per_item * items


@dataclass(frozen=True, slots=True)
class Projection:
    """The projected cost of one assignment and residency."""

    steps: tuple[StepCost, ...]
    peak_memory_mb: float
    #: One item through every step: medians plus, in item flow, its loads.
    item_latency_ms: float

    @property
    def fixed_ms(self) -> float:
        """Time paid once whatever N (wave loads, item flow's first loads)."""
        return sum(step.load_ms_fixed for step in self.steps)

    @property
    def per_item_ms(self) -> float:
        """Time each item adds (its calls, share-weighted, and loads it causes)."""
        return sum(step.calls_ms_per_item + step.load_ms_per_item for step in self.steps)

    def total_ms(self, items: int) -> float:
        """Projected time for ``items`` items."""
        return self.fixed_ms + self.per_item_ms * items

    def calls_ms(self, items: int) -> float:
        """The calls' part of :meth:`total_ms`."""
        return sum(step.calls_ms_per_item for step in self.steps) * items

    def load_ms(self, items: int) -> float:
        """The loads' part of :meth:`total_ms`."""
        return self.total_ms(items) - self.calls_ms(items)

    def loads(self, items: int) -> float:
        """Projected loads for ``items`` items."""
        return sum(step.loads(items) for step in self.steps)


def project(flow: str, shares: Sequence[float], latencies: Sequence[float],
            resident: Sequence[frozenset[str]], cold_start_ms: Mapping[str, float],
            memory_mb: Mapping[str, float]) -> Projection:
    """The projection of one plan (see the module's description).

    Args:
        flow: ``wave`` or ``item``.
        shares: per step, the share of items that reach it.
        latencies: per step, its model's median latency (ms).
        resident: per step, the keys of the models resident while it runs.
        cold_start_ms: per model key (0 when unknown).
        memory_mb: per model key (0 when unknown).
    """
    count = len(resident)
    steps = []
    item_loads_ms = 0.0
    for t in range(count):
        if flow == "item":
            before = resident[t - 1] if count > 1 else resident[t]
            rising = resident[t] - before
            kept = resident[0] & resident[-1] if t == 0 else frozenset()
            swap_ms = sum(cold_start_ms.get(m, 0.0) for m in rising)
            item_loads_ms += swap_ms
            steps.append(StepCost(
                calls_ms_per_item=shares[t] * latencies[t],
                load_ms_fixed=sum(cold_start_ms.get(m, 0.0) for m in kept),
                load_ms_per_item=shares[t] * swap_ms, loads_fixed=len(kept),
                loads_per_item=shares[t] * len(rising)))
        else:
            rising = resident[t] - (resident[t - 1] if t else frozenset())
            steps.append(StepCost(
                calls_ms_per_item=shares[t] * latencies[t],
                load_ms_fixed=sum(cold_start_ms.get(m, 0.0) for m in rising),
                load_ms_per_item=0.0, loads_fixed=len(rising), loads_per_item=0.0))
    peak = max((sum(memory_mb.get(m, 0.0) for m in models) for models in resident), default=0.0)
    return Projection(steps=tuple(steps), peak_memory_mb=peak,
                      item_latency_ms=sum(latencies) + item_loads_ms)
