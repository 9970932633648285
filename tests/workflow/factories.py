"""Stored runs built by hand for planning tests: per model a median latency, a cold
start and a memory, qualified or not."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

from champion._ranking import Ranking
from champion._records import ModelRun
from champion._store import Store
from tests.store.factories import SUITE_JSON, line, result

_ids = itertools.count(1)


@dataclass(frozen=True)
class Figures:
    """One model in one stored run."""

    model: str
    median_ms: float
    cold_start_ms: float | None = 400.0
    memory_mb: float | None = 1000.0
    qualified: bool = True
    size_gb: float | None = None


def store_run(store: Store, task: str, figures: list[Figures], *, minutes: int = 0,
              fingerprint: str = "fp1", status: str = "complete",
              purpose: str = "benchmark", suite: dict[str, Any] | None = None) -> str:
    """Store a run of ``task``; qualified models are ranked by median latency."""
    run_id = f"r{next(_ids):04d}"
    qualified = sorted((f for f in figures if f.qualified), key=lambda f: f.median_ms)
    others = [f for f in figures if not f.qualified]
    lines = []
    for rank, f in enumerate(qualified + others, start=1):
        status_of = ("champion" if rank == 1 else "runner-up" if rank == 2 else "qualified") \
            if f.qualified else "disqualified"
        lines.append(line(f.model, rank, status_of, median=f.median_ms,
                          pass_rate=1.0 if f.qualified else 0.5))
    run = result(run_id, task=task, status=status, lines=tuple(lines), minutes=minutes,
                 fingerprint=fingerprint)
    run = replace(run, config={**run.config, "purpose": purpose},
                  suite_json={**(suite or SUITE_JSON), "task": task})
    store.begin_run(run)
    for f in figures:
        candidate: dict[str, Any] = {"id": f.model, "provider": "test", "model": f.model,
                                     "options": {"reply": "billing"}}
        if f.size_gb is not None:
            candidate["size_gb"] = f.size_gb
        store.add_model(run_id, ModelRun(
            model=f.model, provider="test", model_name=f.model, key=f"test/{f.model}@test",
            candidate=candidate, cold_start_ms=f.cold_start_ms, memory_mb=f.memory_mb))
    run.ranking = Ranking(tuple(lines))
    store.finish_run(run)
    return run_id
