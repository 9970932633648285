"""Production samples: a share of the served calls, written to the store in the background.

``observe`` runs on the event loop after a call's answer was sent: it draws
the sample, builds the row and appends it to a bounded buffer; nothing else.
A writer thread flushes the buffer in batches (every ``interval_s``, or as
soon as ``batch`` rows wait) with one transaction each. When the buffer is
full a sample is dropped and counted (``dropped``), never waited for: a slow
database never slows a caller. Stopping flushes what is left.

A row holds the task, the models, the outcome, the stages' times, token
counts and a SHA-256 of the prompt; the prompt's and the answer's text only
with ``record_text`` (secrets masked).
"""

from __future__ import annotations

import random
from typing import Any

from champion._registry.rollout.outcomes import prompt_sha256, prompt_text
from champion._secrets import redact
from champion._store import Store
from champion._store.writer import BatchWriter
from champion._web.gateway.calls import CallRecord

__all__ = ["SampleRecorder", "prompt_hash"]


def prompt_hash(call: CallRecord) -> str:
    """SHA-256 of the prompt's messages (role and content, as canonical JSON): the
    hash shadow outcomes carry too."""
    return prompt_sha256(call.messages)


def _prompt_text(call: CallRecord) -> str:
    return prompt_text(call.messages)


class SampleRecorder:
    """Writes a sample of calls to the store's ``production_samples``.

    Args:
        store: where samples go.
        stage: the registry stage the gateway serves (kept with each sample).
        share: the share of calls recorded, 0 to 1.
        record_text: keep the prompt's and the answer's text too.
        capacity: samples waiting at most; more are dropped and counted.
        batch: samples per write.
        interval_s: how long a sample waits at most before it is written.
    """

    def __init__(self, store: Store, stage: str, share: float, record_text: bool = False,
                 capacity: int = 10_000, batch: int = 500, interval_s: float = 1.0,
                 rng: random.Random | None = None) -> None:
        self.store = store
        self.stage = stage
        self.share = share
        self.record_text = record_text
        self.random = (rng or random.Random()).random
        self.writer: BatchWriter[dict[str, Any]] = BatchWriter(
            store.add_production_samples, "production samples", capacity=capacity,
            batch=batch, interval_s=interval_s)

    @property
    def dropped(self) -> int:
        """Samples dropped because the buffer was full."""
        return self.writer.dropped

    @property
    def written(self) -> int:
        """Samples written."""
        return self.writer.written

    @property
    def failed(self) -> int:
        """Samples lost to a failed write."""
        return self.writer.failed

    def start(self) -> None:
        """Start the writer thread."""
        self.writer.start()

    def stop(self) -> None:
        """Write what is left and stop the writer thread."""
        self.writer.stop()

    def observe(self, call: CallRecord) -> None:
        """Maybe keep ``call`` (with probability ``share``); never blocks."""
        if self.share <= 0 or (self.share < 1 and self.random() >= self.share):
            return
        self.writer.put_made(lambda: self._row(call))

    def _row(self, call: CallRecord) -> dict[str, Any]:
        stages = call.stages
        text = self.record_text
        return {
            "at": call.at, "task": call.task, "stage": self.stage,
            "requested": call.requested[:300], "served_by": call.served_by,
            "status": call.status, "error_kind": call.error_type or None,
            "fallback": call.fallback_kinds[:200] or None, "stream": call.stream,
            "latency_ms": stages.total_ns / 1e6, "queue_ms": stages.queue_ns / 1e6,
            "inference_ms": stages.inference_ns / 1e6, "parse_ms": stages.parse_ns / 1e6,
            "ttft_ms": None if stages.first_chunk_ns is None else stages.first_chunk_ns / 1e6,
            "parse_ok": call.parse_ok, "prompt_tokens": call.prompt_tokens,
            "completion_tokens": call.completion_tokens,
            "finish_reason": (call.finish_reason or "")[:50] or None,
            "prompt_sha256": prompt_hash(call),
            "prompt_text": redact(_prompt_text(call)) if text else None,
            "answer_text": redact(call.answer) if text and call.answer is not None else None,
        }
