"""Scoring: output parsers and checks. Knows nothing of providers."""

from champion.scoring.checks import Scorer, Verdict, compare_field
from champion.scoring.parsers import JsonParser, LabelParser, Parsed, TextParser

__all__ = ["JsonParser", "LabelParser", "Parsed", "Scorer", "TextParser", "Verdict",
           "compare_field"]
