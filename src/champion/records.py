"""Plain records that flow from the runner to the store, ranking and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["ModelRun", "Trial", "TrialKey"]

#: (model id, case id, batch): one planned trial. Stored at most once per run.
TrialKey = tuple[str, str, int]


@dataclass(slots=True)
class Trial:
    """One call: candidate × case × batch, with its verdict and timings.

    ``error_kind`` is set on error trials from the exception's class:
    ``timeout``, ``unavailable``, ``rate_limited``, ``rejected``, ``protocol``
    or ``internal`` (``skipped`` when the model was not called at all).

    ``where`` says where a trial ran when that is not this machine: on a Ray
    worker ``{"node": <node id>, "ip": <address>, "gpus": [<ids>], "threads": n}``;
    None for trials the local executor ran (this process, or the endpoint it called).
    """

    model: str
    case_id: str
    batch: int
    position: int
    correct: bool
    output: str = ""
    got: str = ""
    parsed_ok: bool = False
    reason: str | None = None
    error: str | None = None
    fields: dict[str, bool] | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    ttfot_ms: float | None = None
    reasoning: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    tokens_estimated: bool = False
    finish_reason: str | None = None
    server_timings: dict[str, Any] | None = None
    server_tokens_per_s: float | None = None
    started_at: datetime | None = None
    error_kind: str | None = None
    where: dict[str, Any] | None = None

    @property
    def is_error(self) -> bool:
        """The call failed (as opposed to answering wrongly)."""
        return self.error is not None

    @property
    def key(self) -> TrialKey:
        """(model, case, batch): what makes this trial unique in its run."""
        return (self.model, self.case_id, self.batch)


@dataclass(slots=True)
class ModelRun:
    """What is known of one candidate in one run, apart from its trials.

    Attributes:
        model: the candidate's id in this run.
        key: ``provider/model@endpoint``: the same model has the same key in
            every run, whatever else ran beside it.
        candidate: the candidate's configuration without secrets (enough to
            call the model again: the registry and the Router use it).
        notes: settings that could not be applied, said once per model.
        stopped: why the strategy stopped running the model early, if it did.
        lane: the endpoint the model ran on; models on one lane run one after another.
        memory_mb: memory the model took, when known.
    """

    model: str
    provider: str
    model_name: str
    base_url: str | None = None
    digest: str | None = None
    identity: dict[str, Any] = field(default_factory=dict)
    cold_start_ms: float | None = None
    error: str | None = None
    warmup_error: str | None = None
    price_in_per_mtok: float | None = None
    price_out_per_mtok: float | None = None
    price_source: str | None = None
    key: str = ""
    candidate: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stopped: str | None = None
    lane: str | None = None
    memory_mb: float | None = None
