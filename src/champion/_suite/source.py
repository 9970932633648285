"""Reading YAML/JSON files safely while remembering the line of every value.

Error messages name ``path:line``; pydantic reports locations as key paths, so
a document carries a map from key path to line alongside the data (built only
when an error needs it).

Files come from users and from other tools, so reading is bounded and strict:

- a file over :data:`MAX_DOCUMENT_BYTES` is refused before it is parsed;
- the text must be UTF-8 (a leading byte order mark is fine);
- nesting deeper than :data:`MAX_DEPTH` lists/mappings is refused before the
  parsers recurse into it;
- more than :data:`MAX_VALUES` values is refused, YAML aliases counted once
  per use (so alias bombs stop here), and an alias may not contain itself;
- values are plain data: text, numbers, true/false, null, lists and mappings.
  No YAML tags beyond those (``!!python/...``, ``!!binary``, ``!!timestamp``,
  ``!!set`` ...), no NaN or infinity, no integer of more than
  :data:`MAX_INT_DIGITS` digits, no NUL character and no lone surrogate in text.

Every refusal is a :class:`DocumentError` with the line where it is known.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from pathlib import Path
from typing import Any

from champion._suite.document import (
    LONG_INTEGER,
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_INT_DIGITS,
    MAX_VALUES,
    DocumentError,
    DocumentSyntaxError,
    KeyPath,
    LineMap,
    LongInteger,
    SourceDocument,
    clean_message,
    describe_path,
    shown,
)
from champion._suite.yaml_reader import SuiteYamlLoader, parse_yaml

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_INT_DIGITS",
    "MAX_VALUES",
    "DocumentError",
    "DocumentSyntaxError",
    "KeyPath",
    "LineMap",
    "SourceDocument",
    "SuiteYamlLoader",
    "clean_message",
    "describe_path",
    "missing_file",
    "read_document",
    "read_text",
    "shown",
]

_INT_LIMIT = 10**MAX_INT_DIGITS


def missing_file(path: Path) -> str | None:
    """Why ``path`` is not a regular file that can be read, or None when it is."""
    try:
        if path.is_file():
            return None
        return "not a file" if path.exists() else "no such file"
    except OSError as exc:  # a name too long, a folder that cannot be entered
        return f"cannot read the file: {exc.strerror or exc}"


def read_text(path: Path) -> str:
    """The file's text, at most :data:`MAX_DOCUMENT_BYTES`, decoded as UTF-8.

    Raises:
        DocumentError: the file cannot be read, is too large, or is not UTF-8.
    """
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise DocumentError(_too_large(size))
        with path.open("rb") as handle:
            raw = handle.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise DocumentError(f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise DocumentError(_too_large(len(raw)))
    return _decode(raw)


def read_document(path: Path) -> SourceDocument:
    """Parse a YAML or JSON file (JSON when the name ends in ``.json``).

    Raises:
        DocumentError: naming the line where known; :class:`DocumentSyntaxError`
            when the text is not valid YAML/JSON.
    """
    text = read_text(path)
    if path.suffix.lower() == ".json":
        data = _parse_json(text)
        document = SourceDocument(str(path), data, lambda key_path: _json_line_of(text, key_path))
    else:
        data, locate = parse_yaml(text)
        document = SourceDocument(str(path), data, locate)
    _check_values(document)
    return document


def _too_large(size: int) -> str:
    return (f"file too large: {size / 2**20:.1f} MiB"
            f" (the limit is {MAX_DOCUMENT_BYTES // 2**20} MiB)")


_FOREIGN_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _decode(raw: bytes) -> str:
    for bom, name in _FOREIGN_BOMS:
        if raw.startswith(bom):
            raise DocumentError(f"not UTF-8 text: the file is {name} (byte order mark);"
                                " save it as UTF-8", 1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DocumentError(f"not UTF-8 text: byte 0x{raw[exc.start]:02x} ({exc.reason})",
                            line) from None


# ---------------------------------------------------------------- JSON

def _parse_int(text: str) -> int | LongInteger:
    return LONG_INTEGER if len(text) > MAX_INT_DIGITS + 1 else int(text)


def _parse_json(text: str) -> Any:
    if text.count("[") + text.count("{") > MAX_DEPTH:
        offset = _json_too_deep_at(text)
        if offset is not None:
            raise DocumentError(f"nesting deeper than {MAX_DEPTH} levels",
                                text.count("\n", 0, offset) + 1)
    try:
        return json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise DocumentSyntaxError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise DocumentError(f"nesting deeper than {MAX_DEPTH} levels") from None


_JSON_MARKS = re.compile(r'[\[\]{}"\\]')


def _json_too_deep_at(text: str) -> int | None:
    """The offset where nesting first passes MAX_DEPTH (exact for valid JSON)."""
    depth = 0
    in_string = False
    skip_to = -1
    for match in _JSON_MARKS.finditer(text):
        position, mark = match.start(), match.group()
        if in_string:
            if position < skip_to:
                continue
            if mark == "\\":
                skip_to = position + 2
            elif mark == '"':
                in_string = False
        elif mark == '"':
            in_string = True
        elif mark in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return position
        elif mark in "]}":
            depth -= 1
    return None


_JSON_SYNTAX = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{},]')
_NON_SPACE = re.compile(r"\S")


def _json_line_of(text: str, target: KeyPath) -> int | None:
    """The line of the deepest prefix of ``target`` in a valid JSON text: the
    line of its key in an object, or of its first character in an array."""
    first = _NON_SPACE.search(text)
    if first is None:
        return None
    counted, line = 0, 1

    def line_at(position: int) -> int:
        nonlocal counted, line
        line += text.count("\n", counted, position)
        counted = position
        return line

    best = line_at(first.start())
    containers: list[str] = []
    indexes: list[int] = []
    matched = 0  # leading containers whose current child lies on the target path
    expect_key = False
    for token in _JSON_SYNTAX.finditer(text):
        mark = token.group()[0]
        depth = len(containers)
        key: str | int | None = None
        if mark in "[{":
            containers.append(mark)
            indexes.append(0)
            expect_key = mark == "{"
            if mark == "[" and matched == depth and depth < len(target):
                key, position = 0, _NON_SPACE.search(text, token.end())
        elif mark in "]}":
            containers.pop()
            indexes.pop()
            if matched > len(containers):
                return best  # left the subtree the target would be in
            expect_key = False
        elif mark == ",":
            if matched >= depth:
                return best  # past the target's branch without finding the rest
            if containers[-1] == "{":
                expect_key = True
            else:
                indexes[-1] += 1
                if matched == depth - 1 and depth <= len(target):
                    key, position = indexes[-1], _NON_SPACE.search(text, token.end())
        elif expect_key:
            expect_key = False
            if matched == depth - 1 and depth <= len(target):
                key, position = json.loads(token.group()), token
        if key is None:
            continue
        level = depth if mark in ",\"" else depth + 1
        if target[level - 1] == key and position is not None:
            matched = level
            best = line_at(position.start())
            if level == len(target):
                return best
    return best


# ---------------------------------------------------------------- values

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def _check_values(document: SourceDocument) -> None:
    """Refuse values that are not plain data, naming the key path and line."""
    stack: list[tuple[KeyPath, Any, int]] = [((), document.data, 0)]
    seen: set[int] = set()
    count = 0
    while stack:
        key_path, value, depth = stack.pop()
        problem: str | None = None
        if isinstance(value, dict | list):
            count += len(value)
            if depth >= MAX_DEPTH:
                problem = f"nesting deeper than {MAX_DEPTH} levels"
            elif count > MAX_VALUES:
                problem = f"more than {MAX_VALUES} values"
            elif id(value) not in seen:  # a YAML alias is checked once
                seen.add(id(value))
                items = value.items() if isinstance(value, dict) else enumerate(value)
                for key, item in items:
                    child = (*key_path, key if isinstance(key, str | int) else str(key))
                    key_problem = _scalar_problem(key) if isinstance(value, dict) else None
                    if key_problem is not None:
                        raise DocumentError(f"{describe_path(child)}: key: {key_problem}",
                                            document.line_of(child))
                    stack.append((child, item, depth + 1))
        else:
            problem = _scalar_problem(value)
        if problem is not None:
            where = f"{describe_path(key_path)}: " if key_path else ""
            raise DocumentError(where + problem, document.line_of(key_path))


def _scalar_problem(value: Any) -> str | None:
    if isinstance(value, str):
        bad = _BAD_TEXT.search(value)
        if bad is None:
            return None
        if bad.group() == "\x00":
            return "text contains a NUL character"
        return f"text contains a lone surrogate (\\u{ord(bad.group()):04x}), not valid Unicode"
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if -_INT_LIMIT < value < _INT_LIMIT else \
            f"integer of more than {MAX_INT_DIGITS} digits"
    if isinstance(value, float):
        return None if math.isfinite(value) else "number out of range (NaN or infinity)"
    if isinstance(value, LongInteger):
        return f"integer of more than {MAX_INT_DIGITS} digits"
    return f"unsupported value ({type(value).__name__})"
