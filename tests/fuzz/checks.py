"""Loading one generated file and classifying the outcome.

Shared by the fuzz tests and ``benchmarks/fuzz.py``: the only acceptable
outcomes are a loaded document that is plain, finite, printable data, or the
loader's own error class naming the file.
"""

from __future__ import annotations

import json
import re
import traceback
from dataclasses import dataclass
from pathlib import Path

from champion._errors import CandidateError, SuiteError
from champion._providers.candidate import load_models_file, public_url
from champion._scoring import Scorer, check_kind
from champion._suite import Suite, load_suite

__all__ = ["Outcome", "try_models_file", "try_suite_file"]


@dataclass(frozen=True)
class Outcome:
    """What loading one file did."""

    accepted: bool
    message: str = ""
    line: int | None = None
    crash: str = ""  # a traceback: any exception other than the documented one

    @property
    def named_line(self) -> bool:
        """A rejection that names the line."""
        return not self.accepted and not self.crash and self.line is not None


def try_suite_file(path: Path) -> Outcome:
    """``load_suite`` on ``path``: accepted and usable, or a SuiteError naming the file."""
    try:
        suite = load_suite(path)
        _check_usable_suite(suite)
    except SuiteError as exc:
        if exc.path != str(path) or not str(exc).startswith(f"{path}"):
            return Outcome(False, str(exc), crash=f"SuiteError does not name {path}: {exc}")
        return Outcome(False, str(exc), exc.line)
    except Exception:
        return Outcome(False, crash=traceback.format_exc())
    return Outcome(True)


def try_models_file(path: Path) -> Outcome:
    """``load_models_file`` on ``path``: usable candidates, or a CandidateError naming the file."""
    try:
        candidates = load_models_file(path)
        for candidate in candidates:
            _check_plain(candidate.model_dump(mode="json"))
            public_url(candidate.resolved_base_url())
    except CandidateError as exc:
        where = re.match(re.escape(str(path)) + r"(?::(\d+))?: ", str(exc))
        if where is None:
            return Outcome(False, str(exc), crash=f"CandidateError does not name {path}: {exc}")
        return Outcome(False, str(exc), int(where.group(1)) if where.group(1) else None)
    except Exception:
        return Outcome(False, crash=traceback.format_exc())
    return Outcome(True)


#: Answers every accepted suite must score without raising.
_ODD_ANSWERS = ("", "{}", "[]", "null", '{"answer": true}', "\x00\ud800", "{" * 2000,
                '{"n": ' + "9" * 5000 + "}")


def _check_usable_suite(suite: Suite) -> None:
    """An accepted suite renders every prompt, is plain, finite, encodable data, and
    scores any answer (its python check's module aside, which a fuzzed file cannot have)."""
    _check_plain(suite.model_dump(mode="json", by_alias=True))
    system, user = suite.prompt.templates()
    for case in suite.cases:
        user.render(case.vars).encode("utf-8")
        if system is not None:
            system.render(case.vars).encode("utf-8")
    if suite.check_spec.type != "python" and not check_kind(suite.check_spec.type).asks_model:
        scorer = Scorer(suite)
        for case in suite.cases:
            for answer in _ODD_ANSWERS:
                scorer.score(answer, case)


def _check_plain(data: object) -> None:
    json.dumps(data, allow_nan=False, ensure_ascii=False).encode("utf-8")
