"""Candidates a task has never measured on its current suite: time to benchmark again."""

from __future__ import annotations

from collections.abc import Sequence

from champion._errors import ChampionError, InputError
from champion._providers.candidate import Candidate, public_url
from champion._providers.registry import create_provider
from champion._store import ModelSighting, Store

__all__ = ["new_candidates"]


def new_candidates(store: Store, task: str, candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates no run of ``task`` on its latest suite fingerprint measured.

    A candidate was measured when a run of that suite recorded the same model
    key (``provider/model@endpoint``), or the same provider and model on the
    same endpoint (either side may not name one: the provider's default), with
    the same adapter (a LoRA adapter on a base model is a model of its own).
    """
    latest = store.latest_run(task)
    if latest is None:
        raise InputError(f"no runs of task {task!r}")
    seen = store.model_sightings(task, latest.suite_fingerprint)
    return [c for c in candidates
            if not any(_same(c, _suffix(c), s) for s in seen)]


def _suffix(candidate: Candidate) -> str:
    """What the candidate's key adds after its endpoint (an adapter's hash)."""
    try:
        return create_provider(candidate).key_suffix()
    except (ChampionError, OSError):
        return ""


def _same(candidate: Candidate, suffix: str, sighting: ModelSighting) -> bool:
    if sighting.provider != candidate.provider or sighting.model_name != candidate.model:
        return False
    if ("+lora:" in sighting.key) != bool(suffix) or not sighting.key.endswith(suffix):
        return False
    endpoint = public_url(candidate.resolved_base_url())
    if endpoint is None or sighting.base_url is None:
        return True
    stored = public_url(sighting.base_url) or sighting.base_url
    return stored == endpoint or sighting.key.endswith(f"@{endpoint}{suffix}")
