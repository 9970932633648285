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

import hashlib
import json
import logging
import random
import threading
from collections import deque
from typing import Any

from champion.secrets import redact
from champion.store import Store
from champion.web.gateway.calls import CallRecord

__all__ = ["SampleRecorder", "prompt_hash"]

log = logging.getLogger("champion.gateway")


def prompt_hash(call: CallRecord) -> str:
    """SHA-256 of the prompt's messages (role and content, as canonical JSON)."""
    canonical = json.dumps([[m.role, m.content] for m in call.messages],
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _prompt_text(call: CallRecord) -> str:
    return "\n\n".join(f"{m.role}: {m.content}" for m in call.messages)


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
        self.capacity = capacity
        self.batch = batch
        self.interval_s = interval_s
        self.random = (rng or random.Random()).random
        self.dropped = 0
        self.written = 0
        self.failed = 0
        self._buffer: deque[dict[str, Any]] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the writer thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="champion-recorder",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Write what is left and stop the writer thread."""
        thread, self._thread = self._thread, None
        self._stop.set()
        self._wake.set()
        if thread is not None:
            thread.join(30)
        self._flush()

    def observe(self, call: CallRecord) -> None:
        """Maybe keep ``call`` (with probability ``share``); never blocks."""
        if self.share <= 0 or (self.share < 1 and self.random() >= self.share):
            return
        if len(self._buffer) >= self.capacity:
            self.dropped += 1
            return
        self._buffer.append(self._row(call))
        if len(self._buffer) >= self.batch:
            self._wake.set()

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

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            self._flush()

    def _flush(self) -> None:
        buffer = self._buffer
        while buffer:
            rows = [buffer.popleft() for _ in range(min(self.batch, len(buffer)))]
            try:
                self.store.add_production_samples(rows)
            except Exception as exc:  # a database that fails loses samples, never a call
                self.failed += len(rows)
                log.warning("could not write %d production samples: %s", len(rows),
                            redact(str(exc)))
                return
            self.written += len(rows)
