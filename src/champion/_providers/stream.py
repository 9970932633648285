"""What every streaming provider shares: reading lines, decoding events, timing the answer.

TTFT and TTFOT are defined here once, for every protocol: TTFT is the first
piece with non-empty content or reasoning (never a role-only chunk), TTFOT the
first piece of visible answer text (after any ``<think>`` block).

Model output is untrusted: lines are decoded as strict UTF-8 (a replacement
character would hide a broken byte), every field is type-checked before use,
and an answer that grows past its cap stops the read with ``AnswerTooLarge``.
"""

from __future__ import annotations

import codecs
import json
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from champion._errors import AnswerTooLarge, ProviderProtocolError, ProviderUnavailable
from champion._providers.base import PieceSink
from champion._providers.reasoning import AnswerTracker, split_reasoning
from champion._secrets import redact

__all__ = ["DRAIN_LINES", "JSON", "LineReader", "StreamedAnswer", "decode_event", "optional_int",
           "optional_str"]

#: Lines read after the end of an answer before the connection is dropped instead.
DRAIN_LINES = 64
# Room for the JSON around one event's text, whose escapes (\uXXXX) may take
# six characters per character of text.
_LINE_SLACK = 65_536
_ESCAPE_FACTOR = 6


def _preview(data: str | bytes) -> str:
    return redact(repr(data[:120]))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is not a finite number")
    return value


#: Strict JSON: ``NaN``, ``Infinity`` and numbers too large for a float are refused.
JSON = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)
# Counts and durations beyond 64 bits are no server's; they would overflow a float.
_INT_LIMIT = 2**63


def decode_event(data: str, what: str) -> dict[str, Any]:
    """One JSON object of a stream; in-band ``error`` objects become provider errors."""
    try:
        event = JSON.decode(data)
    except ValueError:
        raise ProviderProtocolError(f"protocol: invalid {what}: {_preview(data)}") from None
    if type(event) is not dict:
        raise ProviderProtocolError(f"protocol: unexpected {what}: {_preview(data)}")
    if "error" in event:
        raise ProviderUnavailable(redact(f"stream error: {str(event['error'])[:300]}"))
    return event


def optional_str(value: Any, what: str) -> str | None:
    """``value`` when it is a string or null; anything else is a protocol error."""
    if value is None or type(value) is str:
        return value
    raise ProviderProtocolError(f"protocol: {what} is a {type(value).__name__}, not a string")


def optional_int(value: Any, what: str) -> int | None:
    """``value`` when it is an integer (not a bool) or null; else a protocol error."""
    if value is None or (type(value) is int and -_INT_LIMIT < value < _INT_LIMIT):
        return value
    if type(value) is int:
        raise ProviderProtocolError(f"protocol: {what} is out of range")
    raise ProviderProtocolError(f"protocol: {what} is a {type(value).__name__},"
                                " not an integer")


class StreamedAnswer:
    """Answer and reasoning arriving in pieces, timed from ``start_ns``, capped at ``limit``.

    ``add`` runs inside the timed region: constant work per piece.
    """

    __slots__ = ("content", "first_ns", "limit", "reasoning", "reasoning_chars", "sink", "size",
                 "start_ns", "tracker", "ttfot_ns")

    def __init__(self, start_ns: int, limit: int = 1_000_000,
                 sink: PieceSink | None = None) -> None:
        self.start_ns = start_ns
        self.limit = limit
        #: Gets each piece of content as it is added (a live stream's consumer).
        self.sink = sink
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.size = 0
        self.reasoning_chars = 0
        self.first_ns: int | None = None
        self.ttfot_ns: int | None = None
        self.tracker = AnswerTracker()

    def add(self, content: Any, reasoning: Any) -> None:
        """Record a piece; empty pieces (role-only chunks) are not tokens.

        Raises:
            ProviderProtocolError: a piece is not a string.
            AnswerTooLarge: content and reasoning together passed the cap.
        """
        if not (content or reasoning):
            return
        if (content and type(content) is not str) or (reasoning and type(reasoning) is not str):
            raise ProviderProtocolError("protocol: answer text is not a string")
        now = time.perf_counter_ns() - self.start_ns
        if self.first_ns is None:
            self.first_ns = now
        if reasoning:
            self.reasoning.append(reasoning)
            self.reasoning_chars += len(reasoning)
            self.size += len(reasoning)
        if content:
            self.content.append(content)
            self.size += len(content)
            if self.tracker.add(content):
                self.ttfot_ns = now
        if self.size > self.limit:
            raise self.too_large()
        if content and self.sink is not None:
            self.sink(content)

    def too_large(self) -> AnswerTooLarge:
        """The error for an answer past the cap, carrying the answer text up to it."""
        partial = "".join(self.content)[:max(0, self.limit - self.reasoning_chars)]
        return AnswerTooLarge(f"protocol: the answer passed {self.limit:,} characters;"
                              " reading stopped there", partial)

    @property
    def pieces(self) -> int:
        """Pieces received (the token estimate when a server gives no count)."""
        return len(self.content) + len(self.reasoning)

    def split(self) -> tuple[str, str | None]:
        """(answer, reasoning): reasoning fields and ``<think>`` blocks, apart from the answer."""
        answer, inline = split_reasoning("".join(self.content))
        parts = ["".join(self.reasoning), inline or ""]
        return answer, "\n\n".join(p for p in parts if p) or None


class LineReader:
    """The lines of a streamed body (its ``chunks``), decoded as strict UTF-8, each one bounded.

    Lines end with ``\\n`` (a trailing ``\\r`` is dropped). A line longer than
    the answer's cap allows (with room for its JSON) ends the read with
    ``AnswerTooLarge``; invalid UTF-8 with ``ProviderProtocolError``.
    """

    __slots__ = ("_answer", "_chunks", "_decoder", "_done", "_max_line", "_pending",
                 "_pending_len", "_ready")

    def __init__(self, chunks: AsyncIterator[bytes], answer: StreamedAnswer) -> None:
        self._chunks = chunks
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._answer = answer
        self._max_line = answer.limit * _ESCAPE_FACTOR + _LINE_SLACK
        self._pending: list[str] = []
        self._pending_len = 0
        self._ready: deque[str] = deque()
        self._done = False

    def __aiter__(self) -> LineReader:
        return self

    async def aclose(self) -> None:
        """Close the body iterator (for ``contextlib.aclosing``), read to the end or not."""
        close = getattr(self._chunks, "aclose", None)
        if close is not None:
            await close()

    async def __anext__(self) -> str:
        while not self._ready:
            if self._done:
                raise StopAsyncIteration
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                self._done = True
                self._feed(self._decode(b"", final=True))
                if self._pending:
                    self._ready.append("".join(self._pending))
                    self._pending.clear()
                continue
            self._feed(self._decode(chunk, final=False))
        return self._ready.popleft()

    def _decode(self, chunk: bytes, final: bool) -> str:
        try:
            return self._decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            raise ProviderProtocolError(
                f"protocol: the stream is not valid UTF-8 ({exc.reason}:"
                f" {_preview(exc.object[max(0, exc.start - 20):exc.end + 20])})") from None

    def _feed(self, text: str) -> None:
        if "\n" not in text:
            if text:
                self._pending.append(text)
                self._pending_len += len(text)
                if self._pending_len > self._max_line:
                    raise self._answer.too_large()
            return
        lines = text.split("\n")
        if self._pending:
            lines[0] = "".join(self._pending) + lines[0]
            self._pending.clear()
        last = lines.pop()
        if len(lines[0]) > self._max_line:
            raise self._answer.too_large()
        self._ready.extend(line[:-1] if line.endswith("\r") else line for line in lines)
        self._pending_len = len(last)
        if last:
            self._pending.append(last)
