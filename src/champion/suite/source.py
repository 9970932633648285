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
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.reader import ReaderError

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

#: Largest file read, in bytes (8 MiB).
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
#: Deepest nesting of lists and mappings.
MAX_DEPTH = 64
#: Most values (scalars, lists, mappings, keys) in one document, aliases expanded.
MAX_VALUES = 500_000
#: Longest integer, in decimal digits.
MAX_INT_DIGITS = 300

_INT_LIMIT = 10**MAX_INT_DIGITS
_YAML_TAG = "tag:yaml.org,2002:"

KeyPath = tuple[str | int, ...]
LineMap = dict[KeyPath, int]


class DocumentError(ValueError):
    """The file cannot be read as a YAML/JSON document of plain data."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class DocumentSyntaxError(DocumentError):
    """The file is not valid YAML/JSON."""


# ---------------------------------------------------------------- YAML loader

class _LongInteger:
    """Stands for an integer too long to convert; refused with its location."""


_LONG_INTEGER = _LongInteger()
_DECIMAL = re.compile(r"[-+]?[0-9][0-9_]*")


class SuiteYamlLoader(yaml.SafeLoader):
    """A safe YAML loader for champion's files.

    YAML 1.2 scalars where YAML 1.1 surprises: only ``true``/``false`` are
    booleans (``labels: [yes, no]`` stays text), dates stay text and ``=`` is
    text. Nesting is bounded while composing, so a deep document is refused
    instead of exhausting the stack, and only plain data can be constructed.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Compose one node, refusing nesting past :data:`MAX_DEPTH`."""
        self._nodes += 1
        if self._depth > MAX_DEPTH or self._nodes > MAX_VALUES:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            problem = (f"nesting deeper than {MAX_DEPTH} levels" if self._depth > MAX_DEPTH
                       else f"more than {MAX_VALUES} values")
            raise DocumentError(problem, mark.line + 1)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """Construct one value; a malformed tagged scalar (``!!int abc``) is a YAML error."""
        if (node.tag == _YAML_TAG + "int" and isinstance(node.value, str)
                and len(node.value) > MAX_INT_DIGITS + 1 and _DECIMAL.fullmatch(node.value)):
            return _LONG_INTEGER  # refused with its key path once the document is built
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, AttributeError, OverflowError):
            raise ConstructorError(None, None, _unreadable_scalar(node), node.start_mark) \
                from None


_DROPPED_RESOLVERS = {_YAML_TAG + name for name in ("bool", "timestamp", "value")}
SuiteYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_RESOLVERS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SuiteYamlLoader.add_implicit_resolver(
    _YAML_TAG + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _refuse_tag(loader: SuiteYamlLoader, node: yaml.Node) -> Any:
    raise ConstructorError(
        None, None, f"the tag {_short_tag(node.tag)} is not supported: values are text,"
        " numbers, true/false, null, lists and mappings", node.start_mark,
    )


for _name in ("timestamp", "binary", "set", "omap", "pairs"):
    SuiteYamlLoader.add_constructor(_YAML_TAG + _name, _refuse_tag)
SuiteYamlLoader.add_constructor(None, _refuse_tag)


def _short_tag(tag: str) -> str:
    return shown("!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag)


def _unreadable_scalar(node: yaml.Node) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else ""
    return f"cannot read {shown(value)} as {_short_tag(node.tag)}"


# ---------------------------------------------------------------- documents

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


def _deepest(lines: LineMap, key_path: KeyPath) -> int | None:
    for end in range(len(key_path), -1, -1):
        line = lines.get(key_path[:end])
        if line is not None:
            return line
    return None


def _lazy_map(make: Callable[[], LineMap]) -> Locator:
    built: list[LineMap] = []

    def locate(key_path: KeyPath) -> int | None:
        if not built:
            built.append(make())
        return _deepest(built[0], key_path)

    return locate


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
        data, root = _parse_yaml(text)
        document = SourceDocument(str(path), data,
                                  _lazy_map(lambda: _line_map(root) if root is not None else {}))
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


# ---------------------------------------------------------------- YAML

def _parse_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    loader: SuiteYamlLoader | None = None
    try:
        loader = SuiteYamlLoader(text)  # checks every character first
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_graph(root)
        return loader.construct_document(root), root
    except DocumentError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed document"
        if exc.problem and exc.context:
            problem = f"{exc.problem} ({exc.context})"
        raise DocumentSyntaxError(f"invalid YAML: {problem}", line) from None
    except ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        raise DocumentSyntaxError(
            f"invalid YAML: character {_codepoint(exc.character)} is not allowed", line,
        ) from None
    except yaml.YAMLError as exc:
        raise DocumentSyntaxError(f"invalid YAML: {exc}", None) from None
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, RecursionError) as exc:
        # The YAML library does not guard every malformed stream; a crash inside
        # it still means the text is not YAML it can read.
        raise DocumentSyntaxError(f"invalid YAML ({type(exc).__name__})", None) from None
    finally:
        if loader is not None:
            loader.dispose()


def _codepoint(character: object) -> str:
    if isinstance(character, str) and len(character) == 1:
        character = ord(character)
    return f"U+{character:04X}" if isinstance(character, int) else shown(character)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    return []


def _check_graph(root: yaml.Node) -> None:
    """Refuse recursive aliases, and nesting or size past the limits once
    aliases are expanded (each node is visited once; sizes are memoized)."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            children = _children(node)
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in children)
            depth[key] = (1 + max((depth[id(child)] for child in children), default=0)
                          if isinstance(node, yaml.CollectionNode) else 0)
            line = node.start_mark.line + 1
            if depth[key] > MAX_DEPTH:
                raise DocumentError(f"nesting deeper than {MAX_DEPTH} levels"
                                    " (aliases expanded)", line)
            if size[key] > MAX_VALUES:
                raise DocumentError(f"more than {MAX_VALUES} values (aliases expanded)", line)
            continue
        if key in size:
            continue
        open_nodes.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_nodes:
                raise DocumentError("recursive alias: a value contains itself",
                                    child.start_mark.line + 1)
            if id(child) not in size:
                stack.append((child, False))


def _line_map(root: yaml.Node) -> LineMap:
    lines: LineMap = {}
    seen: set[int] = set()
    stack: list[tuple[KeyPath, yaml.Node]] = [((), root)]
    while stack:
        key_path, node = stack.pop()
        lines.setdefault(key_path, node.start_mark.line + 1)
        if id(node) in seen:  # an alias: its lines are those of its anchor
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    child = (*key_path, key_node.value)
                    stack.append((child, value_node))
                    lines[child] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                stack.append(((*key_path, index), item))
    return lines


# ---------------------------------------------------------------- JSON

def _parse_int(text: str) -> int | _LongInteger:
    return _LONG_INTEGER if len(text) > MAX_INT_DIGITS + 1 else int(text)


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
    if isinstance(value, _LongInteger):
        return f"integer of more than {MAX_INT_DIGITS} digits"
    return f"unsupported value ({type(value).__name__})"


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


def clean_message(text: str, limit: int = 500) -> str:
    """One printable line: control characters escaped, cut to ``limit`` characters."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
