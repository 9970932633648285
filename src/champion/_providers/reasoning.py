"""Keeping reasoning apart from the answer (``<think>…</think>`` and reasoning fields)."""

from __future__ import annotations

import re

__all__ = ["AnswerTracker", "split_reasoning"]

_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL)


def split_reasoning(text: str) -> tuple[str, str | None]:
    """(answer, reasoning): every ``<think>`` block is moved out of the answer.

    An unclosed ``<think>`` (a reasoning model cut off by max_tokens) counts as
    reasoning to the end.
    """
    if "<think>" not in text:
        return text, None
    blocks = [m.group(1).strip() for m in _THINK.finditer(text)]
    answer = _THINK.sub("", text).strip()
    return answer, "\n\n".join(b for b in blocks if b) or None


class AnswerTracker:
    """Finds when the first answer token arrives in a stream of content pieces.

    Constant work per piece (it runs inside the timed region): a small state
    machine over "before any text", "inside <think>" and "after </think>".
    """

    __slots__ = ("_buffer", "_state", "found")

    def __init__(self) -> None:
        self._buffer = ""
        self._state = "start"
        self.found = False

    def add(self, piece: str) -> bool:
        """Add content; True the first time visible answer text exists."""
        if self.found:
            return False
        if self._state == "start":
            self._buffer += piece
            head = self._buffer.lstrip()
            if head.startswith("<think>"):
                self._state, self._buffer = "thinking", head[len("<think>"):]
            elif head and "<think>".startswith(head):
                return False  # "<thi" so far: wait for the rest of the tag
            else:
                self.found = bool(head)
                return self.found
        else:
            self._buffer = self._buffer[-16:] + piece
        if self._state == "thinking":
            end = self._buffer.find("</think>")
            if end == -1:
                return False
            self._state, self._buffer = "after", self._buffer[end + len("</think>"):]
        self.found = bool(self._buffer.strip())
        return self.found
