"""champion: find the fastest correct LLM for each task.

>>> from champion import load_suite, run_suite
>>> suite = load_suite("examples/ticket-triage.yaml")          # doctest: +SKIP
>>> result = run_suite(suite, ["builtin"], repeats=1)           # doctest: +SKIP
>>> result.champion, result.runner_up                           # doctest: +SKIP

Names are imported on first use, so ``import champion`` (and every CLI
command) starts without loading what it does not need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from champion.errors import (
    CandidateError,
    ChampionError,
    ConstraintRejected,
    InputError,
    MissingDependency,
    MissingKey,
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    StoreError,
    SuiteError,
    UnknownModel,
    WorkflowError,
)

if TYPE_CHECKING:
    from champion.api import (
        arun_suite,
        arun_suites,
        resolve_candidates,
        run_suite,
        run_suites,
        select_candidates,
    )
    from champion.providers.candidate import Candidate
    from champion.ranking import ModelRanking, Ranking
    from champion.registry.router import Answer, Router
    from champion.results import RunResult
    from champion.runner import RunConfig
    from champion.store import Store
    from champion.suite import Case, Suite, load_suite

_LAZY = {
    "Answer": "champion.registry.router",
    "Candidate": "champion.providers.candidate",
    "Case": "champion.suite",
    "ModelRanking": "champion.ranking",
    "Ranking": "champion.ranking",
    "Router": "champion.registry.router",
    "RunConfig": "champion.runner",
    "RunResult": "champion.results",
    "Store": "champion.store",
    "Suite": "champion.suite",
    "arun_suite": "champion.api",
    "arun_suites": "champion.api",
    "load_suite": "champion.suite",
    "resolve_candidates": "champion.api",
    "run_suite": "champion.api",
    "run_suites": "champion.api",
    "select_candidates": "champion.api",
}

__all__ = [
    "Answer",
    "Candidate",
    "CandidateError",
    "Case",
    "ChampionError",
    "ConstraintRejected",
    "InputError",
    "MissingDependency",
    "MissingKey",
    "ModelRanking",
    "ProviderError",
    "ProviderProtocolError",
    "ProviderRejected",
    "ProviderTimeout",
    "ProviderUnavailable",
    "Ranking",
    "RateLimited",
    "Router",
    "RunConfig",
    "RunResult",
    "Store",
    "StoreError",
    "Suite",
    "SuiteError",
    "UnknownModel",
    "WorkflowError",
    "arun_suite",
    "arun_suites",
    "load_suite",
    "resolve_candidates",
    "run_suite",
    "run_suites",
    "select_candidates",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'champion' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
