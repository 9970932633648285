"""Scoring: output formats and checks, in a registry open to other packages.

Knows nothing of providers. See ``docs/checks.md`` for every check kind and
how to add one.
"""

from champion._scoring.checks import Scorer, Verdict
from champion._scoring.kind import (
    CaseCheck,
    CheckKind,
    CheckOptions,
    CheckResult,
    OutputKind,
    ParsedAnswer,
    Parser,
)
from champion._scoring.outputs import OutputFormat
from champion._scoring.parsers import JsonParser, LabelParser, Parsed, TextParser
from champion._scoring.registry import (
    UnknownKind,
    check_kind,
    check_kind_names,
    output_kind,
    output_kind_names,
    register_check,
    register_output,
    unregister_check,
    unregister_output,
)
from champion._scoring.values import FieldRule, compare_field, json_equal

__all__ = [
    "CaseCheck",
    "CheckKind",
    "CheckOptions",
    "CheckResult",
    "FieldRule",
    "JsonParser",
    "LabelParser",
    "OutputFormat",
    "OutputKind",
    "Parsed",
    "ParsedAnswer",
    "Parser",
    "Scorer",
    "TextParser",
    "UnknownKind",
    "Verdict",
    "check_kind",
    "check_kind_names",
    "compare_field",
    "json_equal",
    "output_kind",
    "output_kind_names",
    "register_check",
    "register_output",
    "unregister_check",
    "unregister_output",
]
