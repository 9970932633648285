"""Shadow outcomes as rows of the store, written in the background within a second.

A row holds the task, the shadow model and the model that served, the result
and kind of disagreement, the latency of both, and a SHA-256 of the prompt
(the same hash production samples carry). With ``record_text`` it also holds
the prompt (secrets masked), the template vars the caller sent, both answers
and both parsed values: what ``champion cases --from-shadow`` drafts cases from.
Calls the in-flight bound skipped are written as counts (``result`` ``skipped``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from champion._providers.base import Message
from champion._registry.rollout.shadow import ShadowOutcome
from champion._secrets import redact
from champion._store import Store
from champion._store.writer import BatchWriter

__all__ = ["ShadowRecorder", "prompt_sha256", "prompt_text"]


def prompt_sha256(messages: Sequence[Message]) -> str:
    """SHA-256 of a prompt's messages (role and content, as canonical JSON)."""
    canonical = json.dumps([[m.role, m.content] for m in messages],
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def prompt_text(messages: Sequence[Message]) -> str:
    """A prompt as text: ``role: content`` per message, a blank line between."""
    return "\n\n".join(f"{m.role}: {m.content}" for m in messages)


#: The columns a skipped calls' row leaves empty.
_NOTHING: dict[str, Any] = dict.fromkeys(
    ("champion_ms", "shadow_ms", "prompt_sha256", "prompt_vars", "prompt_text", "champion_text",
     "shadow_text", "champion_value", "shadow_value"))


def _value(value: Any) -> str | None:
    if value is None:
        return None
    return redact(json.dumps(value, ensure_ascii=False, default=str))


class ShadowRecorder:
    """Writes shadow outcomes to the store's ``shadow_outcomes`` in the background.

    Args:
        store: where outcomes go.
        stage: the registry stage the gateway serves.
        record_text: keep the prompt, vars, answers and parsed values too.
        interval_s: how long an outcome waits at most before it is written.
        capacity: outcomes waiting at most; more are dropped and counted.
    """

    def __init__(self, store: Store, stage: str, record_text: bool = False,
                 interval_s: float = 1.0, capacity: int = 10_000) -> None:
        self.stage = stage
        self.record_text = record_text
        #: Gives (task, shadow model) → skipped calls since it was last asked.
        self.skipped: Callable[[], dict[tuple[str, str], int]] | None = None
        self.writer: BatchWriter[dict[str, Any]] = BatchWriter(
            store.add_shadow_outcomes, "shadow outcomes", capacity=capacity,
            interval_s=interval_s, extra=self._skipped_rows)

    def start(self) -> None:
        """Start the writer thread."""
        self.writer.start()

    def stop(self) -> None:
        """Write what is left and stop the writer thread."""
        self.writer.stop()

    def record(self, outcome: ShadowOutcome) -> None:
        """Keep an outcome for the next write; never blocks."""
        self.writer.put_made(lambda: self._row(outcome))

    def _row(self, outcome: ShadowOutcome) -> dict[str, Any]:
        served = outcome.served
        text = self.record_text
        messages = served.request.messages
        return {
            "at": outcome.at, "task": outcome.task, "stage": self.stage,
            "shadow_model": outcome.shadow_model[:300], "served_by": served.served_by[:300],
            "result": outcome.result, "kind": (outcome.kind or "")[:40] or None, "count": 1,
            "champion_ms": served.inference_ms, "shadow_ms": outcome.shadow_ms,
            "prompt_sha256": prompt_sha256(messages),
            "prompt_vars": json.loads(redact(json.dumps(served.vars, default=str)))
            if text and served.vars is not None else None,
            "prompt_text": redact(prompt_text(messages)) if text else None,
            "champion_text": redact(served.text) if text else None,
            "shadow_text": redact(outcome.shadow_text)
            if text and outcome.shadow_text is not None else None,
            "champion_value": _value(served.value) if text else None,
            "shadow_value": _value(outcome.shadow_value) if text else None,
        }

    def _skipped_rows(self) -> list[dict[str, Any]]:
        if self.skipped is None:
            return []
        now = datetime.now(UTC)
        # Every row of a batch names the same columns: one INSERT takes them all.
        return [{**_NOTHING, "at": now, "task": task, "stage": self.stage,
                 "shadow_model": model[:300], "served_by": "", "result": "skipped",
                 "kind": "in_flight_bound", "count": count}
                for (task, model), count in self.skipped().items() if count]
