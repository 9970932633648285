"""The gateway's Prometheus metrics (``GET /metrics``), with ``prometheus_client``.

Names follow the OpenTelemetry GenAI client conventions where they exist
(``gen_ai.client.operation.duration``, ``gen_ai.client.token.usage``,
``gen_ai.client.operation.time_to_first_chunk``, dots as underscores, with
their bucket boundaries), and champion's own otherwise:

=====================================================  =========  ===========================
name                                                   type       labels
=====================================================  =========  ===========================
gen_ai_client_operation_duration_seconds               histogram  task, gen_ai_request_model,
                                                                  gen_ai_response_model,
                                                                  error_type
gen_ai_client_token_usage                              histogram  task, gen_ai_request_model,
                                                                  gen_ai_response_model,
                                                                  gen_ai_token_type
gen_ai_client_operation_time_to_first_chunk_seconds    histogram  task, gen_ai_request_model,
                                                                  gen_ai_response_model
champion_fallbacks_total                               counter    task, from_model, to_model,
                                                                  reason
champion_breaker_open                                  gauge      model
champion_queue_depth                                   gauge      model
champion_refused_total                                 counter    task, reason
champion_shadow_agreement_total                        counter    task, shadow_model, result
champion_canary_share                                  gauge      task
=====================================================  =========  ===========================

Label values come from closed sets: task ids and model ids of the registry
(``task`` is empty for a pass-through call), error kinds, refusal reasons and
shadow results (``agree``, ``disagree``, ``skipped``); never a key, a prompt or an
answer. With several workers the values live in
``PROMETHEUS_MULTIPROC_DIR`` (set by ``champion gateway`` before the workers
start) and each scrape adds them up: counters and histograms over every
worker, ``champion_queue_depth`` summed over live workers,
``champion_breaker_open`` the maximum over live workers (1 when any worker's
breaker is open), ``champion_canary_share`` the value most recently set by a
live worker (every worker follows the same shared canary state).
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = ["CONTENT_TYPE", "GatewayMetrics", "multiprocess"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: OpenTelemetry's advised boundaries for gen_ai.client.operation.duration (s).
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                    40.96, 81.92)
#: ... and for gen_ai.client.token.usage.
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                 16777216, 67108864)
_MODEL = ("task", "gen_ai_request_model", "gen_ai_response_model")


def multiprocess() -> bool:
    """Whether values are shared by several worker processes."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class GatewayMetrics:
    """The gateway's metrics, in their own registry (one gateway, one set of series)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.duration = Histogram(
            "gen_ai_client_operation_duration_seconds",
            "Duration of a chat completion through the gateway, from request to last byte.",
            (*_MODEL, "error_type"), buckets=DURATION_BUCKETS, registry=registry)
        self.tokens = Histogram(
            "gen_ai_client_token_usage", "Tokens used by a served call, as the backend counted.",
            (*_MODEL, "gen_ai_token_type"), buckets=TOKEN_BUCKETS, registry=registry)
        self.first_chunk = Histogram(
            "gen_ai_client_operation_time_to_first_chunk_seconds",
            "Time from request to the first chunk of a streamed answer.", _MODEL,
            buckets=DURATION_BUCKETS, registry=registry)
        self.fallbacks = Counter(
            "champion_fallbacks", "Calls a model did not serve, and the model that did.",
            ("task", "from_model", "to_model", "reason"), registry=registry)
        self.breaker = Gauge(
            "champion_breaker_open", "1 while a model's circuit breaker is not closed.",
            ("model",), registry=registry, multiprocess_mode="livemax")
        self.queue = Gauge(
            "champion_queue_depth", "Calls waiting for a turn on a model.", ("model",),
            registry=registry, multiprocess_mode="livesum")
        self.refused = Counter(
            "champion_refused", "Calls refused with 429 (over capacity).", ("task", "reason"),
            registry=registry)
        self.shadow_agreement = Counter(
            "champion_shadow_agreement",
            "Shadow calls by result: agree, disagree (with the served answer), skipped.",
            ("task", "shadow_model", "result"), registry=registry)
        self.canary_share = Gauge(
            "champion_canary_share", "The share of a task's calls its canary serves, in %.",
            ("task",), registry=registry, multiprocess_mode="livemostrecent")
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def call(self, task: str, requested: str, served: str, error_type: str, seconds: float,
             prompt_tokens: int | None, completion_tokens: int | None,
             first_chunk_s: float | None) -> None:
        """One finished call."""
        self._child(self.duration, task, requested, served, error_type).observe(seconds)
        if prompt_tokens is not None:
            self._child(self.tokens, task, requested, served, "input").observe(prompt_tokens)
        if completion_tokens is not None:
            self._child(self.tokens, task, requested, served, "output").observe(
                completion_tokens)
        if first_chunk_s is not None:
            self._child(self.first_chunk, task, requested, served).observe(first_chunk_s)

    def fallback(self, task: str, from_model: str, to_model: str, reason: str) -> None:
        """A model did not serve a call (``to_model`` empty: no model did)."""
        self._child(self.fallbacks, task, from_model, to_model, reason).inc()

    def breaker_state(self, model: str, is_open: bool) -> None:
        """A model's breaker is open (or half-open) or closed."""
        self._child(self.breaker, model).set(1 if is_open else 0)

    def queue_depth(self, model: str, waiting: int) -> None:
        """Calls waiting for a model now."""
        self._child(self.queue, model).set(waiting)

    def refusal(self, task: str, reason: str) -> None:
        """A call refused with 429."""
        self._child(self.refused, task, reason).inc()

    def shadow(self, task: str, shadow_model: str, result: str) -> None:
        """A shadow call's result (``agree``, ``disagree``, ``skipped``)."""
        self._child(self.shadow_agreement, task, shadow_model, result).inc()

    def canary(self, task: str, share: float) -> None:
        """The share (%) of ``task``'s calls its canary serves now (0: none)."""
        self._child(self.canary_share, task).set(share)

    def exposition(self) -> bytes:
        """The text format: this process's values, or every worker's."""
        if multiprocess():
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)
