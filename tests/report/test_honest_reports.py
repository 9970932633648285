"""The Markdown and HTML reports on the run that made the terminal mislead."""

from __future__ import annotations

import re

from champion._report import render_html, render_markdown, run_to_json
from champion._report.view import build_view
from tests.report.scenario import misleading_run

TIE = ("inproc and server tie on speed: server is not significantly slower (p = 1; per case"
       " server takes ×0.93 the time of inproc); inproc goes first by p90 latency, 604 ms"
       " against 3.00 s")


def test_markdown_says_the_tie_and_scores_qualified_models_by_the_median() -> None:
    text = render_markdown(misleading_run())
    assert f"- **Tie:** {TIE}." in text
    assert "| inproc | server | ×0.93 | 1 | tie, ordered by p90 latency, 604 ms against" \
           " 3.00 s |" in text
    top = text[text.index("## Top results"):text.index("## Is it really faster?")]
    assert "| 1 | inproc (champion) |" in top and "| 1689 |" in top
    assert "| 2 | server (runner-up) |" in top and "| 1826 |" in top
    assert "Speed score = 1000 / median latency in seconds." in top
    assert "hasty" not in top and "never" not in top


def test_markdown_gives_disqualified_models_medians_and_no_score() -> None:
    text = render_markdown(misleading_run())
    failed = text[text.index("## Failed to qualify"):text.index("## Pareto frontier")]
    assert "### never: 0/50 (0%) correct" in failed
    assert "Median latency 100 ms, p90 102 ms (not ranked: it did not qualify)." in failed
    assert "Average" not in failed and "score" not in failed.lower()
    assert "median latency of the case's repeats" in text


def test_the_pareto_frontier_never_holds_a_model_that_did_not_qualify() -> None:
    result = misleading_run()
    text = render_markdown(result)
    frontier = text[text.index("## Pareto frontier"):text.index("## Per-case results")]
    assert "| server | runner-up |" in frontier
    assert "| never |" not in frontier and "| hasty |" not in frontier
    view = build_view(result)
    assert {m.line.model for m in view.models if m.pareto} == {"server"}
    document = run_to_json(result)
    assert document["pareto_frontier"] == ["server"]
    assert [m["model"] for m in document["models"] if m["pareto"]] == ["server"]
    page = render_html(result)
    for model in ("never", "hasty"):
        row = re.search(rf'<tr class="disqualified">.*?>{model}</span>.*?</tr>', page, re.S)
        assert row is not None and "Pareto" not in row.group(0)
    scatter = re.search(r'<svg class="chart scatter".*?</svg>', page, re.S)
    assert scatter is not None
    ringed = re.findall(r"<title>(\w+): [^<]*, on the Pareto frontier</title>", scatter.group(0))
    assert ringed == ["server"] and scatter.group(0).count('class="pt pareto"') == 1


def test_html_says_the_tie_medians_and_what_ordered_each_pair() -> None:
    page = render_html(misleading_run())
    assert f'<p class="tie"><strong>Tie.</strong> {TIE}.</p>' in page
    assert "ordered by p90 latency, 604 ms against 3.00 s" in page
    assert "median 592 ms · p90 604 ms" in page
    assert "Times are the median latency of the case's repeats." in page
