"""What every report says about a run's judge, in words (each report escapes them).

The run's ``judge`` object (see :mod:`champion._judge.summary`) says who judged,
how reliable it is measured to be, and its calls, cache hits, latency and cost,
all apart from the candidates' figures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from champion._results import RunResult

__all__ = ["judge_figures", "judge_lines", "judge_of", "judge_who"]

Ms = Callable[[float | None], str]


def judge_of(result: RunResult) -> Mapping[str, Any] | None:
    """The run's ``judge`` object, or None for a run no judge graded."""
    judge = (result.config or {}).get("judge")
    return judge if isinstance(judge, dict) else None


def _pct(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) else "unmeasured"


def judge_who(judge: Mapping[str, Any]) -> str:
    """Who judged and how reliable it is measured to be."""
    kind = judge.get("kind")
    if kind == "panel":
        names = ", ".join(str(m.get("model")) for m in judge.get("members") or ())
        text = f"a panel of {names} (strict majority)"
    elif kind == "task":
        text = (f"{judge.get('model')}, champion of {judge.get('task')} at"
                f" {judge.get('stage')} (agreement ≥ {_pct(judge.get('agreement_lower95'))},"
                f" run {judge.get('promoted_run')})")
        if judge.get("fallback"):
            text += f", fallback {judge.get('fallback')}"
    else:
        text = f"{judge.get('model')} (agreement with gold verdicts unmeasured)"
    return text


def judge_figures(judge: Mapping[str, Any], ms: Ms) -> str:
    """Calls, cache hits, latency and cost of the judge, apart from the candidates'."""
    latency = judge.get("latency_ms") or {}
    cost = judge.get("cost_usd")
    parts = [f"{judge.get('calls', 0)} judge calls", f"{judge.get('cache_hits', 0)} cache hits"]
    if judge.get("errors"):
        parts.append(f"{judge['errors']} without a verdict")
    if latency:
        parts.append(f"median {ms(latency.get('median'))}, p90 {ms(latency.get('p90'))}")
    parts.append("cost unknown" if cost is None else f"cost ${cost:.6f}".rstrip("0").rstrip("."))
    if judge.get("unjudged"):
        parts.append(f"{judge['unjudged']} trial(s) unjudged")
    return ", ".join(parts)


def judge_lines(judge: Mapping[str, Any], ms: Ms) -> list[str]:
    """Every sentence a report gives the judge: who, figures, calibration, notes."""
    lines = [f"Judge: {judge_who(judge)}.", f"Judge figures: {judge_figures(judge, ms)}."]
    calibration = judge.get("calibration")
    if calibration:
        text = (f"Calibration: {calibration['agreed']}/{calibration['cases']} human verdicts"
                f" agreed ({calibration['agreement']:.0%}, ≥"
                f" {calibration['agreement_lower95']:.1%} at 95%)")
        if calibration.get("unjudged"):
            text += f", {calibration['unjudged']} unjudged"
        lines.append(text + ".")
        for d in calibration.get("disagreements") or ():
            lines.append(f"Judge {d['judge']} disagreed on calibration case {d['case']}:"
                         f" said {d['verdict']}, the human said {d['human']}.")
    lines += [f"Note: {note}." for note in judge.get("notes") or ()]
    return lines
