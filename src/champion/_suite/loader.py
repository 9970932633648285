"""Loading and validating suite files (YAML, JSON, cookbook JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from champion._errors import SuiteError
from champion._scoring.outputs import schema_problem
from champion._scoring.registry import check_kind, output_kind
from champion._suite.cookbook import from_cookbook, is_cookbook
from champion._suite.images import ImageError, load_image
from champion._suite.model import Suite
from champion._suite.problems import introduced, plain_error
from champion._suite.source import (
    DocumentError,
    SourceDocument,
    clean_message,
    missing_file,
    read_document,
    read_text,
    shown,
)
from champion._suite.template import Template, TemplateSyntaxError

__all__ = ["load_suite", "validate_suite"]


def load_suite(path: str | Path, prompt_file: str | Path | None = None) -> Suite:
    """Load and validate one suite file.

    Args:
        path: a YAML or JSON suite, or the cookbook's test-case JSON.
        prompt_file: a prompt for a cookbook file that has no ``prompt`` key:
            plain text (the user template) or YAML with ``system``/``user``.

    Raises:
        SuiteError: naming the file, the line where known, and the problem;
            no other exception, whatever the file holds.
    """
    try:
        return _load(Path(path), prompt_file)
    except SuiteError as exc:
        message = clean_message(exc.message)
        if message == exc.message:
            raise
        raise SuiteError(exc.path, message, exc.line) from None


def _load(file: Path, prompt_file: str | Path | None) -> Suite:
    problem = missing_file(file)
    if problem is not None:
        raise SuiteError(str(file), problem)
    try:
        document = read_document(file)
    except DocumentError as exc:
        raise SuiteError(str(file), str(exc), exc.line) from None
    data = document.data
    if not isinstance(data, dict):
        raise SuiteError(str(file), "a suite must be a mapping with task, prompt and cases", 1)
    if is_cookbook(data):
        data, origin = from_cookbook(data)
        document = document.relocated(data, origin)
    if prompt_file is not None and "prompt" not in data:
        data["prompt"] = _read_prompt_file(Path(prompt_file))
    _check_shape(document)
    try:
        suite = Suite.model_validate({**data, "source": str(file)})
    except ValidationError as exc:
        at, about, message = plain_error(exc.errors()[0], Suite)
        raise document.error(at, introduced(about, message)) from None
    _check_semantics(suite, document)
    return _with_images(suite, document, file.parent)


def validate_suite(suite: Suite) -> None:
    """Check a suite built in code by the rules :func:`load_suite` applies to files.

    Raises:
        SuiteError: naming the suite's source (or ``<suite>``) and the problem.
    """
    _check_semantics(suite, SourceDocument(suite.source or "<suite>", None, {}))


def _read_prompt_file(path: Path) -> Any:
    problem = missing_file(path)
    if problem is not None:
        raise SuiteError(str(path), problem.replace("no such file", "no such prompt file"))
    try:
        if path.suffix.lower() in (".yaml", ".yml", ".json"):
            return read_document(path).data
        return {"user": read_text(path)}
    except DocumentError as exc:
        raise SuiteError(str(path), str(exc), exc.line) from None


def _check_shape(document: SourceDocument) -> None:
    """Errors that read better before pydantic sees the data."""
    data, path = document.data, document.path
    if "prompt" not in data or data["prompt"] in (None, "", {}):
        raise SuiteError(
            path, "missing prompt: add a 'prompt' with a 'user' template"
            " (a cookbook test-case file may take its prompt from a prompt file instead)", None,
        )
    if isinstance(data["prompt"], str):
        data["prompt"] = {"user": data["prompt"]}
    cases = data.get("cases")
    if not cases:
        raise SuiteError(path, "no cases: a suite needs at least one case",
                         document.line_of(("cases",)))


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
            raise SuiteError(path, f"duplicate case id {shown(case.id)}",
                             document.line_of(("cases", index, "id")))
        seen.add(case.id)
        for key, template in templates:
            missing = [name for name in template.placeholders if name not in case.vars]
            if missing:
                raise SuiteError(
                    path, f"case {shown(case.id)}: placeholder {{{missing[0]}}} in prompt.{key}"
                    " has no var in this case", document.line_of(("cases", index)),
                )
    _check_output_and_check(suite, document)


def _check_output_and_check(suite: Suite, document: SourceDocument) -> None:
    """The output kind's and the check kind's own rules; gold answers where needed."""
    output, check = suite.output, suite.check_spec
    if output.json_schema is not None:
        problem = schema_problem(output.json_schema)
        if problem is not None:
            raise document.error(("output", "schema"), problem)
    output_kind(output.kind).validate(output, document)
    kind = check_kind(check.type)
    _check_judge_only_parts(suite, document, kind.asks_model, check.type)
    if kind.needs_expected:
        for index, case in enumerate(suite.cases):
            if case.expected is None:
                raise document.error(("cases", index),
                                     f"case {shown(case.id)} has no expected answer, and check"
                                     f" type {check.type} compares every answer with it")
    kind.validate(suite, check.options, document)


def _check_judge_only_parts(suite: Suite, document: SourceDocument, asks_model: bool,
                            check_type: str) -> None:
    """References and calibration cases serve a judge; another check would ignore them."""
    if not asks_model:
        for index, case in enumerate(suite.cases):
            if case.reference is not None:
                raise document.error(("cases", index, "reference"),
                                     f"case {shown(case.id)}: reference is shown to a judge,"
                                     f" and check type {check_type} asks none (use expected)")
        if suite.calibration:
            raise document.error(("calibration",), f"calibration cases grade a judge, and"
                                 f" check type {check_type} asks none")
    seen: set[str] = set()
    for index, calibration in enumerate(suite.calibration):
        if calibration.id in seen:
            raise document.error(("calibration", index, "id"),
                                 f"duplicate calibration case id {shown(calibration.id)}")
        seen.add(calibration.id)


def _with_images(suite: Suite, document: SourceDocument, base: Path) -> Suite:
    """Every case's images read and checked (relative paths from the suite's folder)."""
    if not any(case.images for case in suite.cases):
        return suite
    cases = []
    for index, case in enumerate(suite.cases):
        loaded = []
        for number, image in enumerate(case.images):
            try:
                loaded.append(load_image(image.source, base))
            except ImageError as exc:
                raise SuiteError(document.path, f"case {shown(case.id)}: images[{number}]:"
                                 f" {exc}", document.line_of(("cases", index, "images", number)),
                                 ) from None
        cases.append(case.model_copy(update={"images": tuple(loaded)}) if loaded else case)
    return suite.model_copy(update={"cases": tuple(cases)})
