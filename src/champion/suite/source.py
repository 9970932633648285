"""Reading YAML/JSON files while remembering the line of every value.

Error messages name ``path:line``; pydantic reports locations as key paths, so
the reader returns a map from key path to line alongside the data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

__all__ = ["KeyPath", "LineMap", "SourceDocument", "SuiteYamlLoader", "read_document"]


class SuiteYamlLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. ``labels: [yes, no]`` stays text."""


SuiteYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SuiteYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)

KeyPath = tuple[str | int, ...]
LineMap = dict[KeyPath, int]


class SourceDocument:
    """Parsed data plus the 1-based line of each key path."""

    def __init__(self, path: str, data: Any, lines: LineMap) -> None:
        self.path = path
        self.data = data
        self.lines = lines

    def line_of(self, key_path: KeyPath) -> int | None:
        """The line of the deepest known prefix of ``key_path``."""
        for end in range(len(key_path), -1, -1):
            line = self.lines.get(tuple(key_path[:end]))
            if line is not None:
                return line
        return None


class DocumentSyntaxError(ValueError):
    """The file is not valid YAML/JSON."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def read_document(path: Path) -> SourceDocument:
    """Parse a YAML or JSON file, raising DocumentSyntaxError with a line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentSyntaxError(f"not UTF-8 text ({exc.reason})", None) from exc
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DocumentSyntaxError(f"invalid JSON: {exc.msg}", exc.lineno) from exc
        try:
            lines = _line_map(yaml.compose(text, Loader=SuiteYamlLoader))
        except yaml.YAMLError:
            lines = {}
        return SourceDocument(str(path), data, lines)
    try:
        node = yaml.compose(text, Loader=SuiteYamlLoader)
        data = yaml.load(text, Loader=SuiteYamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DocumentSyntaxError(f"invalid YAML: {exc.problem or exc.context}", line) from exc
    except yaml.YAMLError as exc:
        raise DocumentSyntaxError(f"invalid YAML: {exc}", None) from exc
    return SourceDocument(str(path), data, _line_map(node))


def _line_map(root: yaml.Node | None) -> LineMap:
    lines: LineMap = {}
    if root is None:
        return lines
    stack: list[tuple[KeyPath, yaml.Node]] = [((), root)]
    while stack:
        key_path, node = stack.pop()
        lines.setdefault(key_path, node.start_mark.line + 1)
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
