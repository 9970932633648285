"""champion: find the fastest correct LLM for each task.

>>> from champion import load_suite, run_suite
>>> suite = load_suite("examples/ticket-triage.yaml")          # doctest: +SKIP
>>> result = run_suite(suite, ["builtin"], repeats=1)           # doctest: +SKIP
>>> result.champion, result.runner_up                           # doctest: +SKIP
"""

from champion.api import arun_suite, resolve_candidates, run_suite
from champion.errors import (
    CandidateError,
    ChampionError,
    InputError,
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    StoreError,
    SuiteError,
)
from champion.providers.candidate import Candidate
from champion.ranking import ModelRanking, Ranking
from champion.results import RunResult
from champion.runner import RunConfig
from champion.store import Store
from champion.suite import Case, Suite, load_suite

__all__ = [
    "Candidate",
    "CandidateError",
    "Case",
    "ChampionError",
    "InputError",
    "ModelRanking",
    "ProviderError",
    "ProviderProtocolError",
    "ProviderRejected",
    "ProviderTimeout",
    "ProviderUnavailable",
    "Ranking",
    "RateLimited",
    "RunConfig",
    "RunResult",
    "Store",
    "StoreError",
    "Suite",
    "SuiteError",
    "arun_suite",
    "load_suite",
    "resolve_candidates",
    "run_suite",
]
