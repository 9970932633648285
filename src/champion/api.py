"""The Python API: ``run_suite`` (sync) over ``arun_suite`` (async)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from champion.providers.candidate import Candidate, assign_ids, expand_spec
from champion.providers.discovery import CandidateFilter, expand
from champion.results import RunResult
from champion.runner import RunConfig, RunListener, SuiteRunner
from champion.store import Store
from champion.suite.model import Suite

__all__ = ["aresolve_candidates", "arun_suite", "resolve_candidates", "run_suite"]


async def aresolve_candidates(models: Sequence[str | Candidate],
                              where: CandidateFilter | None = None) -> list[Candidate]:
    """Specs (``ollama/qwen2.5:7b``, ``builtin``, ``ollama/*``) and Candidates →
    candidates with ids, discovered and filtered."""
    candidates: list[Candidate] = []
    for item in models:
        candidates.extend(expand_spec(item) if isinstance(item, str) else [item])
    candidates = await expand(candidates)
    if where is not None:
        candidates = [c for c in candidates if where.keep(c)]
    return assign_ids(candidates)


def resolve_candidates(models: Sequence[str | Candidate],
                       where: CandidateFilter | None = None) -> list[Candidate]:
    """Synchronous :func:`aresolve_candidates`."""
    return asyncio.run(aresolve_candidates(models, where))


async def arun_suite(suite: Suite, models: Sequence[str | Candidate], *,
                     repeats: int | None = None, config: RunConfig | None = None,
                     db: str | Store | None = None, listener: RunListener | None = None
                     ) -> RunResult:
    """Run ``suite`` on every model and rank them; every trial is stored.

    Args:
        suite: from :func:`champion.load_suite`.
        models: specs such as ``"llamacpp/builtin:smollm2-135m"`` or Candidates.
        repeats: trials per case (overrides the suite and ``config``).
        config: strategy, concurrency, seed.
        db: a SQLAlchemy URL or a Store; default ``CHAMPION_DB`` or
            ``sqlite:///.champion/champion.db``.
        listener: progress callbacks.
    """
    config = config or RunConfig()
    if repeats is not None:
        from dataclasses import replace

        config = replace(config, repeats=repeats)
    store = db if isinstance(db, Store) else Store(db)
    try:
        runner = SuiteRunner(suite, await aresolve_candidates(models), config, sink=store,
                             listener=listener)
        return await runner.run()
    finally:
        if not isinstance(db, Store):
            store.close()


def run_suite(suite: Suite, models: Sequence[str | Candidate], *,
              repeats: int | None = None, config: RunConfig | None = None,
              db: str | Store | None = None, listener: RunListener | None = None
              ) -> RunResult:
    """Synchronous :func:`arun_suite`."""
    return asyncio.run(arun_suite(suite, models, repeats=repeats, config=config, db=db,
                                  listener=listener))
