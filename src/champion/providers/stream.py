"""What every streaming provider shares: decoding events and timing the answer.

TTFT and TTFOT are defined here once, for every protocol: TTFT is the first
piece with non-empty content or reasoning (never a role-only chunk), TTFOT the
first piece of visible answer text (after any ``<think>`` block).
"""

from __future__ import annotations

import json
import time
from typing import Any

from champion.errors import ProviderProtocolError, ProviderUnavailable
from champion.providers.reasoning import AnswerTracker, split_reasoning

__all__ = ["StreamedAnswer", "decode_event"]


def decode_event(data: str, what: str) -> dict[str, Any]:
    """One JSON event of a stream; in-band ``error`` objects become provider errors."""
    try:
        event = json.loads(data)
    except ValueError:
        raise ProviderProtocolError(f"protocol: invalid {what}: {data[:120]!r}") from None
    if not isinstance(event, dict):
        raise ProviderProtocolError(f"protocol: unexpected {what}: {data[:120]!r}")
    if "error" in event:
        raise ProviderUnavailable(f"stream error: {str(event['error'])[:300]}")
    return event


class StreamedAnswer:
    """Answer and reasoning arriving in pieces, timed from ``start_ns``.

    ``add`` runs inside the timed region: constant work per piece.
    """

    __slots__ = ("content", "first_ns", "reasoning", "start_ns", "tracker", "ttfot_ns")

    def __init__(self, start_ns: int) -> None:
        self.start_ns = start_ns
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.first_ns: int | None = None
        self.ttfot_ns: int | None = None
        self.tracker = AnswerTracker()

    def add(self, content: str | None, reasoning: str | None) -> None:
        """Record a piece; empty pieces (role-only chunks) are not tokens."""
        if not (content or reasoning):
            return
        now = time.perf_counter_ns() - self.start_ns
        if self.first_ns is None:
            self.first_ns = now
        if reasoning:
            self.reasoning.append(reasoning)
        if content:
            self.content.append(content)
            if self.tracker.add(content):
                self.ttfot_ns = now

    @property
    def pieces(self) -> int:
        """Pieces received (the token estimate when a server gives no count)."""
        return len(self.content) + len(self.reasoning)

    def split(self) -> tuple[str, str | None]:
        """(answer, reasoning): reasoning fields and ``<think>`` blocks, apart from the answer."""
        answer, inline = split_reasoning("".join(self.content))
        parts = ["".join(self.reasoning), inline or ""]
        return answer, "\n\n".join(p for p in parts if p) or None
