"""Documents read from suite and models files: data, lines, limits and errors.

A document is parsed data plus a way to find the line of any key path, since
pydantic reports problems as key paths and messages name ``path:line``.
Reading is bounded by the limits below (see :mod:`champion._suite.source`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from typing import Any

from champion._errors import SuiteError

__all__ = [
    "LONG_INTEGER",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_INT_DIGITS",
    "MAX_VALUES",
    "DocumentError",
    "DocumentSyntaxError",
    "KeyPath",
    "LineMap",
    "Locator",
    "LongInteger",
    "SourceDocument",
    "clean_message",
    "closest",
    "describe_path",
    "did_you_mean",
    "lazy_line_map",
    "shown",
]

#: Largest file read, in bytes (8 MiB).
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
#: Deepest nesting of lists and mappings.
MAX_DEPTH = 64
#: Most values (scalars, lists, mappings, keys) in one document, aliases expanded.
MAX_VALUES = 500_000
#: Longest integer, in decimal digits.
MAX_INT_DIGITS = 300

KeyPath = tuple[str | int, ...]
LineMap = dict[KeyPath, int]


class DocumentError(ValueError):
    """The file cannot be read as a YAML/JSON document of plain data."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class DocumentSyntaxError(DocumentError):
    """The file is not valid YAML/JSON."""


class LongInteger:
    """Stands for an integer too long to convert; refused with its location."""


LONG_INTEGER = LongInteger()

Locator = Callable[[KeyPath], "int | None"]


class SourceDocument:
    """Parsed data plus the 1-based line of each key path.

    ``lines`` is a map from key path to line, or a function that finds the
    line of the deepest known prefix of a key path; the readers give such a
    function so that documents that load cleanly never pay for line numbers.
    """

    def __init__(self, path: str, data: Any, lines: LineMap | Locator,
                 origin: Callable[[KeyPath], KeyPath] | None = None) -> None:
        self.path = path
        self.data = data
        self._locate: Locator = (
            (lambda key_path: _deepest(lines, key_path)) if isinstance(lines, dict) else lines)
        self._origin = origin

    def line_of(self, key_path: KeyPath) -> int | None:
        """The line of the deepest known prefix of ``key_path``."""
        if self._origin is not None:
            key_path = self._origin(key_path)
        return self._locate(tuple(key_path))

    def relocated(self, data: Any, origin: Callable[[KeyPath], KeyPath]) -> SourceDocument:
        """The same file seen as ``data``; ``origin`` maps its key paths back to the file's."""
        return SourceDocument(self.path, data, self._locate, origin)

    def error(self, key_path: KeyPath, message: str) -> SuiteError:
        """A :class:`SuiteError` naming this file and the line of ``key_path``."""
        return SuiteError(self.path, message, self.line_of(key_path))


def _deepest(lines: LineMap, key_path: KeyPath) -> int | None:
    for end in range(len(key_path), -1, -1):
        line = lines.get(key_path[:end])
        if line is not None:
            return line
    return None


def lazy_line_map(make: Callable[[], LineMap]) -> Locator:
    """A locator that builds the line map the first time a line is asked for."""
    built: list[LineMap] = []

    def locate(key_path: KeyPath) -> int | None:
        if not built:
            built.append(make())
        return _deepest(built[0], key_path)

    return locate


# ---------------------------------------------------------------- messages

_PLAIN_KEY = re.compile(r"[^\s'\".\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]{1,64}")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_path(key_path: Iterable[object]) -> str:
    """A key path as ``cases.0.vars.ticket``; odd keys are quoted and cut short."""
    parts = []
    for part in key_path:
        text = str(part) if isinstance(part, str | int) else None
        parts.append(text if text is not None and _PLAIN_KEY.fullmatch(text)
                     else shown(part, 40))
    return ".".join(parts)


def closest(word: object, choices: Iterable[object]) -> str | None:
    """The choice spelled most like ``word`` (a near miss), or None."""
    if not isinstance(word, str) or len(word) > 100:
        return None
    texts = [choice for choice in choices
             if isinstance(choice, str) and len(choice) <= 100 and choice != word]
    close = difflib.get_close_matches(word, texts, n=1, cutoff=0.6)
    if close:
        return close[0]
    folded = {text.casefold(): text for text in texts}
    return folded.get(word.casefold())


def did_you_mean(word: object, choices: Iterable[object]) -> str:
    """``"; did you mean 'x'?"`` for the choice closest to ``word``, or ``""``."""
    close = closest(word, choices)
    return "" if close is None else f"; did you mean {shown(close)}?"


def clean_message(text: str, limit: int = 500) -> str:
    """One printable line: control characters escaped, cut to ``limit`` characters."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
