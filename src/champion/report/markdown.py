"""The Markdown report, laid out like the cookbook's analysis."""

from __future__ import annotations

from champion.ranking import ModelRanking
from champion.report.cases import case_lines
from champion.report.escape import md_cell
from champion.results import RunResult

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


def render_markdown(result: RunResult, items: int = 100) -> str:
    """The whole report. ``items`` sizes the production-viability estimate."""
    ranking = result.ranking.models
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
        "",
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
        out.append("Speed score = 1000 / average latency in seconds.")
        out += _prices(ranking)
    else:
        out.append("No model qualified.")
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
        if lat is not None:
            out += [f"Average latency {_ms(lat.mean)}, median {_ms(lat.median)}.", ""]
        if m.json_valid_rate is not None:
            out += [f"Valid JSON in {m.json_valid_rate:.0%} of outputs.", ""]
        if m.field_accuracy:
            out += ["Field accuracy: " + ", ".join(
                f"{md_cell(k)} {v:.0%}" for k, v in m.field_accuracy.items()), ""]
        if m.failed_cases:
            out += ["| Case | Expected | Got | Failures |", "|---|---|---|---|"]
            for f in m.failed_cases:
                out.append(f"| {md_cell(f.id)} | {md_cell(f.expected)} | {md_cell(f.got)} |"
                           f" {f.failures}/{f.trials} |")
            out.append("")
    out += ["## Per-case results", ""]
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
            else:
                cells.append(f"❌ {line.passes}/{line.trials}, got {md_cell(line.got, 40)}")
        out.append(f"| {md_cell(case_id)} | " + " | ".join(cells) + " |")
    out += ["", "## Production viability", "",
            f"Time to process {items} items one after another at the measured latency:", "",
            "| Model | Status | Avg latency | Median | Items | Time |", "|---|---|---|---|---|---|"]
    for m in ranking:
        if m.latency_ms is None:
            continue
        out.append(f"| {md_cell(m.model)} | {m.status} | {_ms(m.latency_ms.mean)} |"
                   f" {_ms(m.latency_ms.median)} | {items} |"
                   f" {_duration(m.latency_ms.mean / 1000 * items)} |")
    out.append("")
    return "\n".join(out)
