"""The HTML report: one self-contained file (inline CSS and SVG, no script, no request)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from jinja2 import BaseLoader, Environment, PackageLoader
from markupsafe import Markup

from champion._report.adapters import AdapterLine, adapter_lines, memory_text
from champion._report.images import CaseImageInfo, case_images
from champion._report.judge import judge_lines, judge_of
from champion._report.svg import Box, Dot, box_plot, format_ms, scatter
from champion._report.verdicts import comparison_sentence, p_text, podium_tie, tie_break_text
from champion._report.view import ModelView, RunView, build_view
from champion._results import RunResult

__all__ = ["charts", "environment", "json_script", "judge_report", "model_extras",
           "pairwise_rows",
           "podium_tie_text", "render_html", "render_view", "run_adapters", "run_images",
           "statistics_table", "viability"]


def json_script(data: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">``: it cannot close the tag."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    for char, code in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                       ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return Markup(text)


def _pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}%}"


def _num(value: float | None, template: str = "{:.1f}") -> str:
    return "—" if value is None else template.format(value)


def _usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:.2f}" if value >= 1 else f"${value:.6f}".rstrip("0").rstrip(".")


def _duration(seconds: float) -> str:
    if seconds < 1:
        return format_ms(seconds * 1000)
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _text(value: Any) -> str:
    """A suite value (expected answer, field) as text."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def environment(extra: BaseLoader | None = None) -> Environment:
    """The Jinja2 environment of the report (autoescaping on), optionally with more templates."""
    from jinja2 import ChoiceLoader

    own = PackageLoader("champion._report", "templates")
    env = Environment(loader=ChoiceLoader([extra, own]) if extra else own, autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(ms=format_ms, pct=_pct, num=_num, usd=_usd, when=_when, text=_text,
                       json_script=json_script)
    env.filters.update(p=p_text)
    env.globals.update(model_extras=model_extras, statistics_table=statistics_table,
                       run_images=run_images, run_adapters=run_adapters,
                       memory_text=memory_text, podium_tie_text=podium_tie_text,
                       judge_report=judge_report)
    return env


@cache
def _report_env() -> Environment:
    return environment()


def judge_report(view: RunView) -> list[str]:
    """The sentences about the run's judge (none for a run no judge graded)."""
    judge = judge_of(view.result)
    return [] if judge is None else judge_lines(judge, format_ms)


def run_images(view: RunView) -> dict[str, list[CaseImageInfo]]:
    """Case id → its images (with thumbnails where the bytes are at hand)."""
    return case_images(view.result)


def run_adapters(view: RunView) -> dict[str, AdapterLine]:
    """Adapter model id → the adapter and its base model's line."""
    return adapter_lines([m.line for m in view.models])


def charts(view: RunView) -> dict[str, Markup]:
    """The latency distribution and the pass-rate/latency scatter of a run."""
    boxes = []
    dots = []
    for m in view.models:
        lat = m.line.latency_ms
        if lat is None or not m.points or m.quartiles is None:
            continue
        boxes.append(Box(m.line.model, m.points, lat.median, m.quartiles[0], m.quartiles[1],
                         lat.min, lat.max, m.line.status))
        dots.append(Dot(m.line.model, lat.median, m.line.pass_rate, m.line.pass_rate_lower95,
                        m.line.status, m.pareto))
    return {"latency": box_plot(boxes), "scatter": scatter(dots)}


def viability(view: RunView, items: int) -> list[dict[str, Any]]:
    """Time (and cost, when known) to process ``items`` one after another, per model."""
    rows = []
    for m in view.models:
        lat = m.line.latency_ms
        if lat is None:
            continue
        seconds = lat.mean / 1000 * items
        rows.append({"model": m.line.model, "status": m.line.status, "mean": lat.mean,
                     "median": lat.median, "time": _duration(seconds),
                     "per_hour": 3_600_000 / lat.mean if lat.mean > 0 else None,
                     "cost": m.cost_per_case * items if m.cost_per_case is not None else None})
    return rows


def _interval(value: Any) -> str | None:
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, (int, float)) for v in value):
        return f"{format_ms(float(value[0]))} – {format_ms(float(value[1]))}"
    low, high = getattr(value, "low", None), getattr(value, "high", None)
    if isinstance(low, (int, float)) and isinstance(high, (int, float)):
        return f"{format_ms(float(low))} – {format_ms(float(high))}"
    return None


def _names(value: Any) -> str | None:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v:.0%}" if isinstance(v, float) else f"{k}: {v}"
                         for k, v in value.items()) or None
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(getattr(v, "id", v)) for v in value) or None
    return None


def _fields(value: Any) -> str | None:
    """A small record (a dataclass or a mapping of counts) as ``name n, ...``."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict) and value:
        parts = []
        for key, item in value.items():
            if isinstance(item, dict):
                parts += [f"{key}→{sub}: {n}" for sub, n in item.items()]
            elif isinstance(item, (int, float)) and not isinstance(item, bool):
                parts.append(f"{str(key).replace('_', ' ')} {item:g}")
        return ", ".join(parts) or None
    return None


def _first(line: Any, names: Iterable[str]) -> Any:
    for name in names:
        value = getattr(line, name, None)
        if value is not None:
            return value
    return None


def model_extras(model: ModelView) -> list[tuple[str, str]]:
    """Further statistics the ranking may carry, as (label, text); absent ones are skipped."""
    line = model.line
    extras: list[tuple[str, str]] = []
    text = _interval(_first(line, ("latency_median_ci95", "median_interval", "median_ci",
                                   "median_ci95")))
    if text:
        extras.append(("median, 95% bootstrap interval", text))
    by_cases = getattr(line, "pass_rate_lower95_cases", None)
    if isinstance(by_cases, (int, float)):
        extras.append(("pass rate ≥ at 95%, counting cases", f"{by_cases:.1%}"))
    cases = _first(line, ("case_reliability", "reliability", "cases", "pass_k_cases"))
    if isinstance(cases, (list, tuple)) and cases and hasattr(cases[0], "passes"):
        held = sum(1 for c in cases if getattr(c, "all_passed", False))
        extras.append(("pass^k: cases right in every repeat", f"{held}/{len(cases)}"))
        flaky = [str(getattr(c, "id", "?")) for c in cases if getattr(c, "flaky", False)]
        if flaky:
            extras.append(("flaky cases (right and wrong across repeats)", ", ".join(flaky)))
    else:
        value = _first(line, ("pass_hat_k", "pass_k", "pass_pow_k"))
        if isinstance(value, (int, float)):
            extras.append(("pass^k (every repeat right)", f"{value:.1%}"))
        flaky_text = _names(_first(line, ("flaky_cases", "flaky")))
        if flaky_text:
            extras.append(("flaky cases (right and wrong across repeats)", flaky_text))
    confusion = _fields(_first(line, ("confusion", "confusion_matrix")))
    if confusion:
        extras.append(("confusion", confusion))
    if model.stopped:
        extras.append(("stopped early", model.stopped))
    notes = getattr(line, "notes", None)
    if isinstance(notes, (list, tuple)) and notes:
        extras.append(("notes", "; ".join(str(n) for n in notes)))
    return extras


def statistics_table(view: RunView) -> tuple[list[str], list[tuple[ModelView, dict[str, str]]]]:
    """The further statistics as a table: column labels, then each model with its cells."""
    labels: list[str] = []
    rows = []
    for m in view.models:
        cells = dict(model_extras(m))
        labels += [label for label in cells if label not in labels]
        rows.append((m, cells))
    return labels, [(m, cells) for m, cells in rows if cells]


def pairwise_rows(view: RunView) -> list[dict[str, Any]]:
    """Each qualified model against the next: ratio, p-value, and for a tie what ordered it."""
    lines = {m.line.model: m.line for m in view.models}
    return [{"a": pair.ahead, "b": pair.behind, "p": pair.p_value, "ratio": pair.ratio,
             "tie": pair.tie, "decided_by": pair.decided_by,
             "ordered_by": tie_break_text(pair, lines, format_ms) if pair.tie else None}
            for pair in view.result.ranking.comparisons]


def podium_tie_text(view: RunView) -> str | None:
    """The sentence saying the champion and the runner-up tie, when they do."""
    pair = podium_tie(view.result.ranking)
    if pair is None:
        return None
    return comparison_sentence(pair, {m.line.model: m.line for m in view.models}, format_ms)


def render_view(view: RunView, items: int = 100, env: Environment | None = None,
                template: str = "report.html", **context: Any) -> str:
    """Render a run's view with a template of the report's environment."""
    env = env or _report_env()
    return env.get_template(template).render(
        view=view, run=view.result, items=items, charts=charts(view),
        viability=viability(view, items), pairwise=pairwise_rows(view),
        generated_at=datetime.now(UTC), **context)


def render_html(result: RunResult, items: int = 100) -> str:
    """The whole report as one HTML document. ``items`` sizes the production-viability estimate.

    The run's trials are iterated once.
    """
    return render_view(build_view(result), items=items)
