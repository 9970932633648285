"""Loading and validating suite files (YAML, JSON, cookbook JSON)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from champion.errors import SuiteError
from champion.suite.cookbook import from_cookbook, is_cookbook
from champion.suite.model import CHECK_TYPES, Suite
from champion.suite.source import DocumentSyntaxError, SourceDocument, read_document
from champion.suite.template import Template, TemplateSyntaxError

__all__ = ["load_suite"]


def load_suite(path: str | Path, prompt_file: str | Path | None = None) -> Suite:
    """Load and validate one suite file.

    Args:
        path: a YAML or JSON suite, or the cookbook's test-case JSON.
        prompt_file: a prompt for a cookbook file that has no ``prompt`` key:
            plain text (the user template) or YAML with ``system``/``user``.

    Raises:
        SuiteError: naming the file, the line where known, and the problem.
    """
    file = Path(path)
    if not file.is_file():
        raise SuiteError(str(file), "no such file")
    try:
        document = read_document(file)
    except DocumentSyntaxError as exc:
        raise SuiteError(str(file), str(exc), exc.line) from None
    data, lines = document.data, document.lines
    if not isinstance(data, dict):
        raise SuiteError(str(file), "a suite must be a mapping with task, prompt and cases", 1)
    if is_cookbook(data):
        data, lines = from_cookbook(data, lines)
    document = SourceDocument(str(file), data, lines)
    if prompt_file is not None and "prompt" not in data:
        data["prompt"] = _read_prompt_file(Path(prompt_file))
    _check_shape(document)
    try:
        suite = Suite.model_validate({**data, "source": str(file)})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        raise SuiteError(
            str(file), f"{where}: {message}", document.line_of(tuple(error["loc"]))
        ) from None
    _check_semantics(suite, document)
    return suite


def _read_prompt_file(path: Path) -> Any:
    if not path.is_file():
        raise SuiteError(str(path), "no such prompt file")
    if path.suffix.lower() in (".yaml", ".yml", ".json"):
        try:
            return read_document(path).data
        except DocumentSyntaxError as exc:
            raise SuiteError(str(path), str(exc), exc.line) from None
    return {"user": path.read_text(encoding="utf-8")}


def _check_shape(document: SourceDocument) -> None:
    """Errors that read better before pydantic sees the data."""
    data, path = document.data, document.path
    if "prompt" not in data or data["prompt"] in (None, "", {}):
        raise SuiteError(
            path, "missing prompt: add a 'prompt' with a 'user' template"
            " (or pass --prompt FILE for a cookbook test-case file)", None,
        )
    if isinstance(data["prompt"], str):
        data["prompt"] = {"user": data["prompt"]}
    cases = data.get("cases")
    if not cases:
        raise SuiteError(path, "no cases: a suite needs at least one case",
                         document.line_of(("cases",)))
    check = data.get("check")
    if isinstance(check, dict) and check.get("type") not in CHECK_TYPES:
        raise SuiteError(
            path, f"unknown check type {check.get('type')!r}; expected one of "
            + ", ".join(CHECK_TYPES), document.line_of(("check", "type")),
        )


def _check_semantics(suite: Suite, document: SourceDocument) -> None:
    path = document.path
    templates: list[tuple[str, Template]] = []
    for key in ("system", "user"):
        text = getattr(suite.prompt, key)
        if not text:
            continue
        try:
            templates.append((key, Template(text)))
        except TemplateSyntaxError as exc:
            raise SuiteError(path, f"prompt.{key}: {exc}",
                             document.line_of(("prompt", key))) from None
    seen: set[str] = set()
    for index, case in enumerate(suite.cases):
        if case.id in seen:
            raise SuiteError(path, f"duplicate case id {case.id!r}",
                             document.line_of(("cases", index, "id")))
        seen.add(case.id)
        for key, template in templates:
            missing = [name for name in template.placeholders if name not in case.vars]
            if missing:
                raise SuiteError(
                    path, f"case {case.id!r}: placeholder {{{missing[0]}}} in prompt.{key}"
                    " has no var in this case", document.line_of(("cases", index)),
                )
    output, check = suite.output, suite.check_spec
    if output.kind == "label":
        if not output.labels:
            raise SuiteError(path, "output.kind label needs output.labels",
                             document.line_of(("output",)))
        allowed = {label.lower() for label in output.labels}
        for index, case in enumerate(suite.cases):
            if check.type == "label" and str(case.expected).lower() not in allowed:
                raise SuiteError(
                    path, f"case {case.id!r}: expected {case.expected!r} is not among labels "
                    + ", ".join(output.labels),
                    document.line_of(("cases", index, "expected")),
                )
    if check.type == "label" and output.kind != "label":
        raise SuiteError(path, "check type label needs output.kind: label",
                         document.line_of(("check", "type")))
    if check.type == "json_fields":
        for index, case in enumerate(suite.cases):
            if not isinstance(case.expected, dict):
                raise SuiteError(path, f"case {case.id!r}: json_fields needs expected to be"
                                 " an object", document.line_of(("cases", index, "expected")))
    if check.type == "regex":
        for index, case in enumerate(suite.cases):
            try:
                re.compile(str(case.expected))
            except re.error as exc:
                raise SuiteError(path, f"case {case.id!r}: bad regex: {exc}",
                                 document.line_of(("cases", index, "expected"))) from None
    if check.type == "python" and (not check.function or ":" not in check.function):
        raise SuiteError(path, "check type python needs function: 'module:function'",
                         document.line_of(("check",)))
    if check.type == "json_schema" and not (check.json_schema or output.json_schema):
        raise SuiteError(path, "check type json_schema needs a schema (check.schema or"
                         " output.schema)", document.line_of(("check",)))
    for schema in (output.json_schema, check.json_schema):
        if schema is not None:
            _check_schema(schema, path, document.line_of(("output", "schema")))


def _check_schema(schema: dict[str, Any], path: str, line: int | None) -> None:
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SuiteError(path, f"invalid JSON Schema: {exc.message}", line) from None
