"""Plain records that flow from the runner to the store, ranking and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["ModelRun", "Trial"]


@dataclass(slots=True)
class Trial:
    """One call: candidate × case × batch, with its verdict and timings."""

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

    @property
    def is_error(self) -> bool:
        """The call failed (as opposed to answering wrongly)."""
        return self.error is not None


@dataclass(slots=True)
class ModelRun:
    """What is known of one candidate in one run, apart from its trials."""

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
