"""Suites: load and validate task files, render prompts."""

from champion.suite.loader import load_suite, validate_suite
from champion.suite.model import Case, CheckSpec, OutputSpec, Params, PromptSpec, Suite
from champion.suite.template import Template

__all__ = [
    "Case",
    "CheckSpec",
    "OutputSpec",
    "Params",
    "PromptSpec",
    "Suite",
    "Template",
    "load_suite",
    "validate_suite",
]
