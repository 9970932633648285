"""Grammars that restrict decoding (llama.cpp GBNF)."""

from __future__ import annotations

import json

__all__ = ["labels_grammar"]


def labels_grammar(labels: tuple[str, ...]) -> str:
    """A GBNF grammar whose only sentences are the labels."""
    alternatives = " | ".join(json.dumps(label) for label in labels)
    return f"root ::= {alternatives}\n"
