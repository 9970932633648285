"""Plain records that flow from the runner to the store, ranking and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["JudgeCall", "ModelRun", "Trial", "TrialKey"]

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

    ``unjudged``: a judge check found no usable verdict for the answer (the
    judge failed or said neither PASS nor FAIL): the trial is neither right nor
    wrong, and counts in no pass rate until a resumed run judges it.
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
    unjudged: bool = False

    @property
    def is_error(self) -> bool:
        """The call failed (as opposed to answering wrongly)."""
        return self.error is not None

    @property
    def key(self) -> TrialKey:
        """(model, case, batch): what makes this trial unique in its run."""
        return (self.model, self.case_id, self.batch)


@dataclass(slots=True)
class JudgeCall:
    """One verdict a judge model gave (or failed to give) on one answer.

    Stored apart from the candidate's trials, linked to the trial it judged by
    (``model``, ``case_id``, ``batch``); a calibration verdict has ``purpose``
    ``calibration``, an empty ``model`` and batch 0. A verdict read from the
    cache (``cached``) made no call: its timings and tokens are None.

    Attributes:
        judge: the judge model's id; ``role`` says how it served: ``judge`` (a
            task's champion or the one model), ``fallback`` (the task's
            runner-up after the champion gave no verdict) or ``panel``.
        judge_key: ``provider/model@endpoint`` of the judge model.
        verdict: ``PASS``, ``FAIL``, or None when the call failed or its
            answer held no verdict (``reason`` says why).
        cache_key: what the verdict is cached under (judge, rubric and
            template, case, answer).
    """

    model: str
    case_id: str
    batch: int
    judge: str
    judge_key: str
    role: str
    cache_key: str
    verdict: str | None
    reason: str | None = None
    output: str = ""
    cached: bool = False
    purpose: str = "trial"
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    error: str | None = None
    error_kind: str | None = None
    started_at: datetime | None = None


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
