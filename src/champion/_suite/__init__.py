"""Suites: load and validate task files, render prompts."""

from champion._suite.loader import load_suite, validate_suite
from champion._suite.model import Case, CheckSpec, OutputSpec, Params, PromptSpec, Suite
from champion._suite.template import Template

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
