"""Judged tasks: a model grades free-text answers, with its reliability measured.

- :mod:`.spec`: the ``judge`` check's options, checked when a suite loads.
- :mod:`.prompt`: the judge's prompt template and how its verdict is read.
- :mod:`.resolve`: who judges (a task's registered champion, a model, a panel),
  settled before any candidate is called.
- :mod:`.grader`: :class:`Judge`, the verdict cache and the judge models.
- :mod:`.calibration`: answers with human verdicts graded at the start of a run.
- :mod:`.session`: a run's judge, opened and closed with the run.
- :mod:`.summary`: the run JSON's ``judge`` object.

See ``docs/judges.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from champion.judge.grader import Judge, Judgement
    from champion.judge.prompt import DEFAULT_TEMPLATE, parse_verdict
    from champion.judge.resolve import JudgeMember, ResolvedJudge, resolve_judge
    from champion.judge.session import RunJudge, judge_of_suite, open_judge
    from champion.judge.spec import JudgeOptions, JudgeSpec

_LAZY = {
    "DEFAULT_TEMPLATE": "champion.judge.prompt",
    "Judge": "champion.judge.grader",
    "JudgeMember": "champion.judge.resolve",
    "JudgeOptions": "champion.judge.spec",
    "JudgeSpec": "champion.judge.spec",
    "Judgement": "champion.judge.grader",
    "ResolvedJudge": "champion.judge.resolve",
    "RunJudge": "champion.judge.session",
    "judge_of_suite": "champion.judge.session",
    "open_judge": "champion.judge.session",
    "parse_verdict": "champion.judge.prompt",
    "resolve_judge": "champion.judge.resolve",
}

__all__ = ["DEFAULT_TEMPLATE", "Judge", "JudgeMember", "JudgeOptions", "JudgeSpec", "Judgement",
           "ResolvedJudge", "RunJudge", "judge_of_suite", "open_judge", "parse_verdict",
           "resolve_judge"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'champion.judge' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
