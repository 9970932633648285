"""The Python API: everything ``champion run`` does, as functions.

``run_suite`` and ``run_suites`` are thin synchronous forms of ``arun_suite``
and ``arun_suites``; they also work where an event loop is already running
(a notebook).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from champion._errors import InputError
from champion._providers.candidate import Candidate, assign_ids, expand_spec, load_models_file
from champion._providers.discovery import CandidateFilter, capabilities, expand
from champion._results import RunResult
from champion._runner import Executor, MemorySink, RunConfig, RunListener, RunSession, TrialSink
from champion._store import Store
from champion._suite import load_suite
from champion._suite.model import Suite
from champion._sync import run_sync

__all__ = [
    "NoCandidateSelected",
    "arun_suite",
    "arun_suites",
    "aselect_candidates",
    "run_suite",
    "run_suites",
    "select_candidates",
]

#: What runs when no candidate is named: every bundled embedded model.
DEFAULT_CANDIDATES = ("builtin",)

SuiteLike = Suite | str | Path
ModelsLike = Sequence[str | Candidate]


class NoCandidateSelected(InputError):
    """The candidate filter left no candidate.

    Attributes:
        where: the filter that left none.
    """

    def __init__(self, where: CandidateFilter) -> None:
        self.where = where
        given = ", ".join(f"{name}={value!r}" for name, value in
                          (("exclude", where.exclude), ("max_size_gb", where.max_size_gb),
                           ("require", where.require),
                           ("exclude_capabilities", where.exclude_capabilities)) if value)
        super().__init__(f"no candidate left after the filter ({given})")


async def aselect_candidates(models: ModelsLike = (), models_file: str | Path | None = None,
                             where: CandidateFilter | None = None) -> list[Candidate]:
    """The candidates a run would use: model specs, Candidates and a models file,
    expanded, filtered and given ids.

    Args:
        models: specs (``"ollama/qwen2.5:7b"``, ``"builtin"``, ``"ollama/*"``)
            and Candidates.
        models_file: a models file (``models.yaml``); its candidates come first.
        where: drop candidates by name pattern, size or capability.

    Returns:
        The candidates in order, each with its id; the bundled models when
        neither ``models`` nor ``models_file`` names any.

    Raises:
        CandidateError: a malformed spec or models file.
        NoCandidateSelected: ``where`` left no candidate.
    """
    items: list[str | Candidate] = []
    if models_file:
        items.extend(load_models_file(models_file))
    items.extend(models)
    candidates: list[Candidate] = []
    for item in items or DEFAULT_CANDIDATES:
        candidates.extend(expand_spec(item) if isinstance(item, str) else [item])
    candidates = await expand(candidates)
    if where is not None:
        candidates = [c for c in candidates if where.keep(c)]
        if where.by_capability:
            found = await capabilities(candidates)
            candidates = [c for c, caps in zip(candidates, found, strict=True)
                          if where.keep_capabilities(caps)]
        if not candidates:
            raise NoCandidateSelected(where)
    return assign_ids(candidates)


def select_candidates(models: ModelsLike = (), models_file: str | Path | None = None,
                      where: CandidateFilter | None = None) -> list[Candidate]:
    """Synchronous :func:`aselect_candidates`; also works inside a running event loop."""
    return run_sync(aselect_candidates(models, models_file, where))


def _open_sink(db: str | TrialSink | None) -> tuple[TrialSink, bool]:
    """The sink to write to, and whether this call owns (and closes) it.

    Without ``db`` the run goes to ``CHAMPION_DB`` when it is set, and otherwise
    stays in memory (said once per process): a notebook never writes a database
    file into the folder it happens to run in.
    """
    if db is None:
        url = os.environ.get("CHAMPION_DB")
        if not url:
            warnings.warn("no db given and CHAMPION_DB is not set: the results are kept in"
                          " memory only; pass db='sqlite:///champion.db' (or a Store) or set"
                          " CHAMPION_DB to keep them (db=MemorySink() keeps them in memory"
                          " without this warning)", UserWarning, stacklevel=2)
            return MemorySink(), True
        db = url
    if isinstance(db, str):
        return Store(db), True
    return db, False


async def arun_suite(suite: SuiteLike, models: ModelsLike | None = None, *,
                     repeats: int | None = None, config: RunConfig | None = None,
                     db: str | TrialSink | None = None, listener: RunListener | None = None,
                     resume: str | None = None, executor: Executor | None = None,
                     ) -> RunResult:
    """Run ``suite`` on every model and rank them; every trial is stored as it finishes.

    Args:
        suite: a Suite from :func:`champion.load_suite`, or the path of a suite file.
        models: specs such as ``"llamacpp/builtin:smollm2-135m"`` or Candidates;
            default: the bundled models, or the resumed run's own candidates.
        repeats: trials per case (overrides the suite and ``config``).
        config: strategy and its options, executor, lanes, concurrency, seed, retries.
        db: a SQLAlchemy URL, a Store or a :class:`MemorySink`; default
            ``CHAMPION_DB``, and when that is not set, memory only (a warning
            says so once).
        listener: progress callbacks.
        resume: continue this run (its strategy, seed and candidates) instead
            of starting a new one.
        executor: an executor instance to run the trials (default: the one
            ``config.executor`` names, built for this run).

    Raises:
        InputError: a bad suite, candidate or option, a run that cannot be
            resumed, or no candidate passing preflight (``NoCandidateLeft``).
    """
    loaded = suite if isinstance(suite, Suite) else load_suite(suite)
    config = config or RunConfig()
    if repeats is not None:
        config = replace(config, repeats=repeats)
    sink, owned = _open_sink(db)
    try:
        if models is None and resume is not None:
            previous = sink.load_run(resume)
            candidates = [Candidate.model_validate({**m.candidate, "id": m.model})
                          if m.candidate else
                          Candidate(id=m.model, provider=m.provider, model=m.model_name,
                                    base_url=m.base_url) for m in previous.models]
        else:
            candidates = await aselect_candidates(models or ())
        session = RunSession(loaded, candidates, config, sink, listener, resume, executor)
        return await session.run()
    finally:
        if owned and isinstance(sink, Store):
            sink.close()


async def arun_suites(suites: Sequence[SuiteLike], models: ModelsLike | None = None, *,
                      repeats: int | None = None, config: RunConfig | None = None,
                      db: str | TrialSink | None = None,
                      listener: RunListener | None = None) -> list[RunResult]:
    """Run several suites one after another on the same candidates."""
    loaded = [s if isinstance(s, Suite) else load_suite(s) for s in suites]
    candidates = await aselect_candidates(models or ())
    sink, owned = _open_sink(db)
    try:
        return [await arun_suite(suite, candidates, repeats=repeats, config=config, db=sink,
                                 listener=listener) for suite in loaded]
    finally:
        if owned and isinstance(sink, Store):
            sink.close()


def run_suite(suite: SuiteLike, models: ModelsLike | None = None, *,
              repeats: int | None = None, config: RunConfig | None = None,
              db: str | TrialSink | None = None, listener: RunListener | None = None,
              resume: str | None = None, executor: Executor | None = None) -> RunResult:
    """Synchronous :func:`arun_suite`; also works inside a running event loop."""
    return run_sync(arun_suite(suite, models, repeats=repeats, config=config, db=db,
                               listener=listener, resume=resume, executor=executor))


def run_suites(suites: Sequence[SuiteLike], models: ModelsLike | None = None, *,
               repeats: int | None = None, config: RunConfig | None = None,
               db: str | TrialSink | None = None,
               listener: RunListener | None = None) -> list[RunResult]:
    """Synchronous :func:`arun_suites`; also works inside a running event loop."""
    return run_sync(arun_suites(suites, models, repeats=repeats, config=config, db=db,
                                listener=listener))
