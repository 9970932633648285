"""Model output is untrusted: escape it for each place it is shown."""

from __future__ import annotations

import html
import re

__all__ = ["md_cell", "terminal_text"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*_\[\]#|~!])")


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def terminal_text(text: object, limit: int = 80) -> str:
    """One line with control characters (ANSI escapes too) made visible and rich markup escaped."""
    from rich.markup import escape

    flat = str(text).replace("\r", "").replace("\n", "⏎")
    flat = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", flat)
    return escape(_clip(flat, limit))


def md_cell(text: object, limit: int = 120) -> str:
    """Text that renders as itself in a Markdown table cell: no HTML, links, pipes or breaks."""
    value = _CONTROL.sub("", str(text)).replace("\r", "").replace("\n", " ⏎ ")
    value = html.escape(_clip(value, limit), quote=False)
    return _MARKDOWN.sub(r"\\\1", value)
