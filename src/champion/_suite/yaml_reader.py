"""The YAML reader: a safe loader that builds only plain data, within the limits."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.reader import ReaderError

from champion._suite.document import (
    LONG_INTEGER,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    MAX_VALUES,
    DocumentError,
    DocumentSyntaxError,
    KeyPath,
    LineMap,
    Locator,
    lazy_line_map,
    shown,
)

__all__ = ["SuiteYamlLoader", "parse_yaml"]

_YAML_TAG = "tag:yaml.org,2002:"
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
            return LONG_INTEGER  # refused with its key path once the document is built
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


def parse_yaml(text: str) -> tuple[Any, Locator]:
    """The data of a YAML text and a locator of its lines.

    Raises:
        DocumentError: past a limit, or not plain data;
            :class:`DocumentSyntaxError` when the text is not YAML.
    """
    loader: SuiteYamlLoader | None = None
    try:
        loader = SuiteYamlLoader(text)  # checks every character first
        root = loader.get_single_node()
        if root is None:
            return None, lambda key_path: None
        _check_graph(root)
        return loader.construct_document(root), lazy_line_map(lambda: _line_map(root))
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
