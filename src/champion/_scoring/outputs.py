"""A task's output format: its parser and output schema, shared by the scorer and the router."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from champion._scoring.parsers import Parsed
from champion._scoring.registry import output_kind

if TYPE_CHECKING:
    from champion._scoring.kind import Parser
    from champion._suite.model import Suite

__all__ = ["OutputFormat", "compile_schema", "schema_problem"]


class OutputFormat:
    """The task's own output parser and output schema: format only, never the gold answer.

    An answer that parses but breaks ``output.schema`` is not in the task's
    format: ``ok`` is False and ``error`` says ``schema: ...`` (the parsed
    value is kept, to show what the model said).
    """

    __slots__ = ("_parser", "_schema", "kind")

    def __init__(self, suite: Suite) -> None:
        output = suite.output
        self.kind = output.kind
        self._parser: Parser = output_kind(output.kind).parser(output)
        self._schema: Any = compile_schema(output.json_schema) if output.json_schema else None

    def parse(self, text: str) -> Parsed:
        """The parsed value, or ``ok=False`` with why the text is not in the task's format."""
        parsed = self._parser.parse(text)
        if parsed.ok and self._schema is not None:
            error = next(iter(self._schema.iter_errors(parsed.value)), None)
            if error is not None:
                return Parsed(parsed.value, False, f"schema: {error.message}")
        return parsed


def compile_schema(schema: dict[str, Any]) -> Any:
    """A validator for a JSON Schema (its ``$schema`` dialect, else 2020-12)."""
    import jsonschema

    return jsonschema.validators.validator_for(
        schema, default=jsonschema.Draft202012Validator)(schema)


def schema_problem(schema: object) -> str | None:
    """Why ``schema`` is not a usable JSON Schema, or None when it is."""
    import jsonschema

    if not isinstance(schema, dict):
        return "invalid JSON Schema: it must be an object"
    dialect = schema.get("$schema")
    if dialect is not None and not isinstance(dialect, str):
        return "invalid JSON Schema: $schema must be a URI"
    try:
        validator = jsonschema.validators.validator_for(
            schema, default=jsonschema.Draft202012Validator)
        validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        return f"invalid JSON Schema: {exc.message}"
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # The schema checker does not guard everything it compiles (patterns,
        # for one); what it cannot check is not a usable schema.
        return f"invalid JSON Schema: {exc}"
    return None
