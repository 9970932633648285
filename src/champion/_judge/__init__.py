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

from typing import TYPE_CHECKING

from champion._lazy import lazy_exports

if TYPE_CHECKING:
    from champion._judge.grader import Judge, Judgement
    from champion._judge.prompt import DEFAULT_TEMPLATE, parse_verdict
    from champion._judge.resolve import JudgeMember, ResolvedJudge, resolve_judge
    from champion._judge.session import RunJudge, judge_of_suite, open_judge
    from champion._judge.spec import JudgeOptions, JudgeSpec

_LAZY = {
    "DEFAULT_TEMPLATE": "champion._judge.prompt",
    "Judge": "champion._judge.grader",
    "JudgeMember": "champion._judge.resolve",
    "JudgeOptions": "champion._judge.spec",
    "JudgeSpec": "champion._judge.spec",
    "Judgement": "champion._judge.grader",
    "ResolvedJudge": "champion._judge.resolve",
    "RunJudge": "champion._judge.session",
    "judge_of_suite": "champion._judge.session",
    "open_judge": "champion._judge.session",
    "parse_verdict": "champion._judge.prompt",
    "resolve_judge": "champion._judge.resolve",
}

__all__ = ["DEFAULT_TEMPLATE", "Judge", "JudgeMember", "JudgeOptions", "JudgeSpec", "Judgement",
           "ResolvedJudge", "RunJudge", "judge_of_suite", "open_judge", "parse_verdict",
           "resolve_judge"]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
