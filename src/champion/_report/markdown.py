"""The Markdown report, laid out like the cookbook's analysis."""

from __future__ import annotations

from champion._ranking import ModelRanking, Ranking
from champion._report.adapters import adapter_lines, memory_text
from champion._report.cases import case_lines
from champion._report.escape import md_cell
from champion._report.images import case_images
from champion._report.judge import judge_lines, judge_of
from champion._report.verdicts import comparison_sentence, p_text, podium_tie, tie_break_text
from champion._results import RunResult

__all__ = ["render_markdown"]


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _number(value: float | None, template: str) -> str:
    return "—" if value is None else template.format(value)


def _correct(line: ModelRanking) -> str:
    return f"{line.passes}/{line.trials} ({line.pass_rate:.0%})"


def _prices(ranking: tuple[ModelRanking, ...]) -> list[str]:
    priced = [m for m in ranking if m.price is not None]
    if not priced:
        return ["Cost is unknown (—) without a price in the models file or a list price."]
    lines = ["", "Prices used for cost (USD per million tokens, input / output):", ""]
    for m in priced:
        price = m.price or {}
        lines.append(f"- {md_cell(m.model)}: {price['input_per_mtok']:g} /"
                     f" {price['output_per_mtok']:g}, from {md_cell(price.get('source') or '?')}")
    return lines


def _comparisons(qualified: list[ModelRanking]) -> list[str]:
    """How each qualified model compares with the next: faster, or a tie and why."""
    pairs = [m.vs_next for m in qualified if m.vs_next is not None]
    if not pairs:
        return []
    lines = {m.model: m for m in qualified}
    out = ["", "## Is it really faster?", "",
           "Each qualified model against the next, paired by case (one-sided Wilcoxon"
           " signed-rank test on per-case log latency). Faster means p < 0.05 and more than"
           " 10% slower per case; anything less is a tie, broken by p90 latency, then cost.",
           "", "| Model | Next | Next's time per case | p | Verdict |", "|---|---|---|---|---|"]
    for pair in pairs:
        verdict = ("faster" if not pair.tie
                   else f"tie, ordered by {md_cell(tie_break_text(pair, lines, _ms))}")
        out.append(f"| {md_cell(pair.ahead)} | {md_cell(pair.behind)} | ×{pair.ratio:.2f} |"
                   f" {p_text(pair.p_value)} | {verdict} |")
    return out


def _reliability(qualified: list[ModelRanking]) -> list[str]:
    """Median intervals, pass-rate bounds by trial and by case, flaky cases."""
    out = ["", "## How sure", "",
           "| Model | Median (95% interval, cases resampled) | Pass rate ≥ (95%, trials) |"
           " Pass rate ≥ (95%, cases) | Flaky cases |", "|---|---|---|---|---|"]
    for m in qualified:
        interval = m.latency_median_ci95
        median = _ms(m.latency_ms.median if m.latency_ms else None)
        spread = f" ({_ms(interval[0])} – {_ms(interval[1])})" if interval else ""
        flaky = ", ".join(md_cell(c) for c in m.flaky_cases) or "none"
        out.append(f"| {md_cell(m.model)} | {median}{spread} | {m.pass_rate_lower95:.1%} |"
                   f" {_number(m.pass_rate_lower95_cases, '{:.1%}')} | {flaky} |")
    return out


def _pareto(ranking: Ranking) -> list[str]:
    on_frontier = set(ranking.pareto_frontier)
    frontier = [m for m in ranking.models if m.model in on_frontier]
    if not frontier:
        return []
    out = ["## Pareto frontier", "",
           "Qualified models no other qualified model beats on every one of pass-rate lower"
           " bound, median latency and cost per case (cost counts only where both are"
           " priced). A model that did not qualify is never on it.", "",
           "| Model | Status | Pass rate ≥ (95%) | Median | Cost per case (USD) |",
           "|---|---|---|---|---|"]
    for m in sorted(frontier, key=lambda m: m.latency_ms.median if m.latency_ms else 0.0):
        out.append(f"| {md_cell(m.model)} | {m.status} | {m.pass_rate_lower95:.1%} |"
                   f" {_ms(m.latency_ms.median if m.latency_ms else None)} |"
                   f" {_number(m.cost_per_case_usd, '{:.6f}')} |")
    return [*out, ""]


def _confusion(m: ModelRanking) -> list[str]:
    c = m.confusion
    if not c:
        return []
    return ["| | Answered PASS | Answered FAIL |", "|---|---|---|",
            f"| Should PASS | {c['true_accepts']} | {c['false_rejects']} (too strict) |",
            f"| Should FAIL | {c['false_accepts']} (too lenient) | {c['true_rejects']} |",
            "", *([f"No verdict (error or unparseable): {c['no_verdict']}.", ""]
                  if c.get("no_verdict") else [])]


def _memory(ranking: tuple[ModelRanking, ...]) -> list[str]:
    """Memory each model took, when any is known."""
    known = [m for m in ranking if m.memory_mb is not None]
    if not known:
        return []
    out = ["## Memory", "",
           "What each model took once loaded: its server's figure (Ollama's /api/ps), or"
           " the growth of this process's resident memory at load for embedded models.", "",
           "| Model | Status | Memory |", "|---|---|---|"]
    out += [f"| {md_cell(m.model)} | {m.status} | {memory_text(m)} |" for m in ranking]
    return [*out, ""]


def _adapters(ranking: tuple[ModelRanking, ...]) -> list[str]:
    """Each LoRA adapter beside its base model."""
    adapters = adapter_lines(ranking)
    if not adapters:
        return []
    out = ["## Adapters", "", "| Adapter | Base model | File | SHA-256 | Scale | Correct |"
           " Median |", "|---|---|---|---|---|---|---|"]
    for a in adapters.values():
        line, base = a.adapter, a.base
        median = _ms(line.latency_ms.median if line.latency_ms else None)
        out.append(f"| {md_cell(line.model)} | {md_cell(base.model) if base else '(not run)'} |"
                   f" {md_cell(a.file)} | `{a.sha256[:12]}` |"
                   f" {_number(a.scale, '{:g}')} | {_correct(line)} | {median} |")
        if base is not None:
            base_median = _ms(base.latency_ms.median if base.latency_ms else None)
            out.append(f"| ↳ base {md_cell(base.model)} | | | | | {_correct(base)} |"
                       f" {base_median} |")
    return [*out, ""]


def _image_cases(result: RunResult) -> list[str]:
    """The cases that carried images, and which."""
    images = case_images(result, thumbnails=False)
    if not images:
        return []
    out = ["## Cases with images", ""]
    for case_id in result.case_order:
        if case_id in images:
            out.append(f"- {md_cell(case_id)}: " + "; ".join(
                md_cell(i.description) for i in images[case_id]))
    return [*out, ""]


def _judge(result: RunResult) -> list[str]:
    """Who judged the answers, how reliably, and its calls apart from the candidates'."""
    judge = judge_of(result)
    if judge is None:
        return []
    return ["## Judge", "", *[f"- {md_cell(text, 600)}" for text in judge_lines(judge, _ms)],
            "", "The judge's calls are stored apart and are in no candidate's latency or cost.",
            ""]


def render_markdown(result: RunResult, items: int = 100) -> str:
    """The whole report. ``items`` sizes the production-viability estimate."""
    ranking = result.ranking.models
    tie = podium_tie(result.ranking)
    lines = {m.model: m for m in ranking}
    qualified = [m for m in ranking if m.qualified]
    others = [m for m in ranking if not m.qualified]
    when = result.started_at.strftime("%Y-%m-%d %H:%M UTC")
    out = [
        f"# champion report: {md_cell(result.task)}",
        "",
        f"- **Date:** {when}",
        f"- **Run:** `{result.run_id}`: strategy {result.strategy}, {result.repeats} repeats ×"
        f" {result.cases} cases, {result.calls} calls, seed {result.seed}, {result.status}",
        f"- **Models tested:** {len(ranking)}",
        f"- **Models qualified:** {len(qualified)}",
        f"- **Champion:** {md_cell(result.champion or 'none')}",
        f"- **Runner-up:** {md_cell(result.runner_up or 'none')}",
        *([f"- **Tie:** {md_cell(comparison_sentence(tie, lines, _ms), 400)}."] if tie else []),
        *[f"- **Warning:** {md_cell(warning, 600)}"
          for warning in (result.config or {}).get("warnings") or ()],
        "",
        *_judge(result),
        "## Top results",
        "",
    ]
    if qualified:
        json_column = any(m.json_valid_rate is not None for m in qualified)
        header = ("| Rank | Model | Correct | Avg latency | Median | p90 | Speed score |"
                  " Cold start | TTFT | Output tok/s | Cost (USD) |")
        out += [header + (" Valid JSON |" if json_column else ""),
                "|" + "---|" * (header.count("|") - 1 + (1 if json_column else 0))]
        for m in qualified:
            lat = m.latency_ms
            cells = [
                str(m.rank), f"{md_cell(m.model)} ({m.status})", _correct(m),
                _ms(lat.mean if lat else None), _ms(lat.median if lat else None),
                _ms(lat.p90 if lat else None), _number(m.speed_score, "{:.0f}"),
                _ms(m.cold_start_ms), _ms(m.ttft_ms_median),
                _number(m.output_tokens_per_s, "{:.1f}"), _number(m.cost_usd, "{:.6f}"),
            ]
            if json_column:
                cells.append(_number(m.json_valid_rate, "{:.0%}"))
            row = "| " + " | ".join(cells) + " |"
            out.append(row)
        out.append("")
        out.append("Speed score = 1000 / median latency in seconds.")
        out.append("Qualified models only; the median, not the mean, so a few slow calls"
                   " do not move it.")
        out += _prices(ranking)
        out += _comparisons(qualified)
        out += _reliability(qualified)
        held = [m for m in qualified if m.stopped]
        if held:
            out += ["", "Stopped early by the strategy: " + "; ".join(
                f"{md_cell(m.model)} ({md_cell(m.stopped)})" for m in held) + "."]
    else:
        out.append("No model qualified.")
    judged = judge_of(result) is not None
    out += ["", "## Failed to qualify", ""]
    if not others:
        out.append("Every model qualified.")
    for m in others:
        lat = m.latency_ms
        lean = f", {m.leaning}" if m.leaning else ""
        out.append(f"### {md_cell(m.model)}: {_correct(m)} correct{lean}")
        out.append("")
        if m.error:
            out += [f"Error: {md_cell(m.error, 300)}", ""]
        if m.disqualified_because:
            out += ["Disqualified: " + "; ".join(md_cell(r) for r in m.disqualified_because)
                    + ".", ""]
        if m.stopped:
            out += [f"Stopped early: {md_cell(m.stopped)}.", ""]
        if m.flaky_cases:
            out += ["Flaky (passed and failed the same case): "
                    + ", ".join(md_cell(c) for c in m.flaky_cases) + ".", ""]
        out += _confusion(m)
        if lat is not None:
            out += [f"Median latency {_ms(lat.median)}, p90 {_ms(lat.p90)}"
                    " (not ranked: it did not qualify).", ""]
        if m.json_valid_rate is not None:
            out += [f"Valid JSON in {m.json_valid_rate:.0%} of outputs.", ""]
        if m.field_accuracy:
            out += ["Field accuracy: " + ", ".join(
                f"{md_cell(k)} {v:.0%}" for k, v in m.field_accuracy.items()), ""]
        if m.unjudged:
            out += [f"Unjudged: {m.unjudged} trial(s) the judge gave no usable verdict on"
                    " (champion run --resume judges them again).", ""]
        if m.failed_cases and judged:
            out += ["| Case | Reference | Got | Judge's reason | Failures |",
                    "|---|---|---|---|---|"]
            for f in m.failed_cases:
                out.append(f"| {md_cell(f.id)} | {md_cell(f.expected)} | {md_cell(f.got)} |"
                           f" {md_cell(f.reason or '—')} | {f.failures}/{f.trials} |")
            out.append("")
        elif m.failed_cases:
            out += ["| Case | Expected | Got | Failures |", "|---|---|---|---|"]
            for f in m.failed_cases:
                out.append(f"| {md_cell(f.id)} | {md_cell(f.expected)} | {md_cell(f.got)} |"
                           f" {f.failures}/{f.trials} |")
            out.append("")
    out += _pareto(result.ranking)
    out += _memory(ranking) + _adapters(ranking) + _image_cases(result)
    with_images = set(case_images(result, thumbnails=False))
    out += ["## Per-case results", "",
            "✅: every repeat right, with the median latency of the case's repeats;"
            " ❌: repeats right of repeats run, and the most common wrong answer.", ""]
    models = [line.model for line in ranking]
    out += ["| Case | " + " | ".join(md_cell(name) for name in models) + " |",
            "|---|" + "---|" * len(models)]
    per_model = {name: {c.case_id: c for c in case_lines(result, name)} for name in models}
    for case_id in result.case_order:
        cells = []
        for name in models:
            line = per_model[name].get(case_id)
            if line is None:
                cells.append("—")
            elif line.ok:
                cells.append(f"✅ {_ms(line.median_ms)}")
            elif line.got is None:
                cells.append(f"⚠ {line.unjudged} unjudged")
            else:
                cells.append(f"❌ {line.passes}/{line.trials}, got {md_cell(line.got, 40)}"
                             + (f" ({md_cell(line.reason, 80)})" if line.reason else ""))
        marker = " 🖼" if case_id in with_images else ""
        out.append(f"| {md_cell(case_id)}{marker} | " + " | ".join(cells) + " |")
    out += ["", "## Production viability", "",
            f"Time to process {items} items one after another at the measured latency:", "",
            "(The mean latency times the items: their total time counts every slow call.)",
            "",
            "| Model | Status | Avg latency | Median | Items | Time |", "|---|---|---|---|---|---|"]
    for m in ranking:
        if m.latency_ms is None:
            continue
        out.append(f"| {md_cell(m.model)} | {m.status} | {_ms(m.latency_ms.mean)} |"
                   f" {_ms(m.latency_ms.median)} | {items} |"
                   f" {_duration(m.latency_ms.mean / 1000 * items)} |")
    out.append("")
    return "\n".join(out)
