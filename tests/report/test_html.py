"""The HTML report: structure, offline by construction, untrusted text escaped."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from champion import Candidate, RunConfig, RunResult, load_suite, run_suite
from champion._report import render_html, run_to_json
from champion._report.html import json_script, model_extras
from champion._report.svg import format_ms
from champion._report.view import ModelView, build_view
from tests.conftest import run_cli

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)>"

SUITE = """\
task: html-report
description: "Tickets <b>routed</b>"
prompt:
  system: Answer with one word.
  user: "Ticket: {ticket}"
output: {kind: text}
check: {type: exact, ignore_case: true}
cases:
  - {id: C1, vars: {ticket: "charged twice"}, expected: billing}
  - {id: C2, vars: {ticket: "error 500"}, expected: technical}
  - {id: C3, vars: {ticket: "refund please"}, expected: billing}
  - {id: "X<i>4</i>", vars: {ticket: "odd"}, expected: "</script><b>gold</b>"}
"""

RULES = [["charged|refund", "billing"], ["error", "technical"], ["odd", "</script><b>gold</b>"]]


def _models() -> list[Candidate]:
    return [
        Candidate(id="quick", provider="test", model="quick",
                  options={"rules": RULES, "delay_ms": 1}),
        Candidate(id="steady", provider="test", model="steady",
                  options={"rules": RULES, "delay_ms": 15}),
        Candidate(id="sloppy", provider="test", model="sloppy",
                  options={"rules": [["charged", "billing"]], "reply": "technical",
                           "delay_ms": 3}),
        Candidate(id="hostile", provider="test", model="hostile",
                  options={"reply": HOSTILE}),
        Candidate(id="broken", provider="test", model="broken",
                  options={"error": "unavailable"}),
    ]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, str]:
    folder = tmp_path_factory.mktemp("html")
    suite_file = folder / "suite.yaml"
    suite_file.write_text(SUITE, encoding="utf-8")
    url = f"sqlite:///{folder / 'champion.db'}"
    result = run_suite(load_suite(suite_file), _models(), repeats=2, db=url,
                       config=RunConfig(strategy="full"))
    return result, url


@pytest.fixture(scope="module")
def page(run: tuple[RunResult, str]) -> str:
    return render_html(run[0], items=250)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[tuple[str, str, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "poster", "data") and value:
                self.references.append((tag, name, value))


def _parse(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


def test_leaderboard_marks_champion_and_runner_up(page: str, run: tuple[RunResult, str]) -> None:
    result = run[0]
    assert {result.champion, result.runner_up} == {"quick", "steady"}
    rows = re.findall(r'<tr class="([a-z-]+)">\s*<td class="num">(\d+)</td>\s*<td><span '
                      r'class="model-name">([^<]+)</span>', page)
    assert [(status, name) for status, _rank, name in rows] == [
        (m.status, m.model) for m in result.ranking.models]
    assert rows[0][0] == "champion" and rows[1][0] == "runner-up"
    # The Clopper–Pearson bound of the champion (8/8 → 0.05^(1/8) = 68.8%) is shown.
    assert "68.8%" in page


def test_charts_are_inline_svg_with_a_point_per_trial_and_model(
        page: str, run: tuple[RunResult, str]) -> None:
    box = re.search(r'<svg class="chart box-plot".*?</svg>', page, re.S)
    scatter = re.search(r'<svg class="chart scatter".*?</svg>', page, re.S)
    assert box and scatter
    answered = sum(m.trials - m.errors for m in run[0].ranking.models)
    assert box.group(0).count('class="pt"') == answered
    plotted = [m for m in run[0].ranking.models if m.latency_ms is not None]
    assert scatter.group(0).count("<circle") == len(plotted)
    assert 'class="frontier"' in scatter.group(0) or scatter.group(0).count("pareto") == 1


def test_ranking_statistics_are_shown(page: str, run: tuple[RunResult, str]) -> None:
    stats = page.split("<h2>Statistics</h2>", 1)[1].split("<h2>", 1)[0]
    champion = next(m for m in run[0].ranking.models if m.status == "champion")
    interval = getattr(champion, "latency_median_ci95", None)
    if interval is not None:
        assert f"{format_ms(interval[0])} – {format_ms(interval[1])}" in stats
    assert "pass^k: cases right in every repeat" in stats
    comparisons = getattr(run[0].ranking, "comparisons", [])
    assert ("Is each model really faster than the next?" in stats) == bool(comparisons)


def test_matrix_has_a_cell_per_model_and_case_with_outputs(page: str) -> None:
    matrix = re.search(r'<table class="matrix">.*?</table>', page, re.S)
    assert matrix
    cells = re.findall(r'<details class="cell (\w+)"', matrix.group(0))
    assert len(cells) == 5 * 4
    assert {"pass", "fail", "error"} <= set(cells)
    assert "test provider configured to fail" in matrix.group(0)


def test_disqualified_models_say_why_and_viability_uses_items(page: str) -> None:
    failures = page.split("Why models did not qualify", 1)[1].split("Case by case", 1)[0]
    for name in ("sloppy", "hostile", "broken"):
        assert name in failures
    assert "quick" not in failures and "steady" not in failures
    assert "Never answered" in failures
    assert "Time for 250" in page


def test_page_is_offline(page: str) -> None:
    parsed = _parse(page)
    remote = [ref for ref in parsed.references
              if re.match(r"\s*(https?:)?//", ref[2], re.I)]
    assert remote == []
    assert all(tag != "link" for tag, _attrs in parsed.tags)
    assert all(attrs.get("type") == "application/json" for tag, attrs in parsed.tags
               if tag == "script")
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert "@import" not in page


def test_untrusted_text_is_escaped(page: str) -> None:
    parsed = _parse(page)
    assert not any(tag == "img" for tag, _attrs in parsed.tags)
    assert not any(tag in ("b", "i") for tag, _attrs in parsed.tags)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;/script&gt;&lt;b&gt;gold&lt;/b&gt;" in page  # suite text: an expected answer
    assert "X&lt;i&gt;4&lt;/i&gt;" in page  # suite text: a case id
    assert "Tickets &lt;b&gt;routed&lt;/b&gt;" in page  # suite text: the description


def test_embedded_json_cannot_close_its_script_and_round_trips(
        page: str, run: tuple[RunResult, str]) -> None:
    body = page.split('<script type="application/json" id="run-data">', 1)[1]
    body = body.split("</script>", 1)[0]
    assert "<" not in body and ">" not in body
    data = json.loads(body)
    expected = json.loads(json.dumps(run_to_json(run[0]), default=str))
    assert data == expected
    hostile = next(m for m in data["models"] if m["model"] == "hostile")
    assert hostile["failed_cases"][0]["got"] == HOSTILE


def test_json_script_escapes_every_breakout() -> None:
    text = str(json_script({"x": "</script><!-- \u2028 & >"}))
    assert "</" not in text and "<!--" not in text and "\u2028" not in text
    assert json.loads(text) == {"x": "</script><!-- \u2028 & >"}


def test_view_iterates_trials_once(run: tuple[RunResult, str]) -> None:
    result = run[0]
    seen = []

    class Once:
        def __iter__(self) -> Any:
            assert not seen, "trials iterated twice"
            seen.append(1)
            return iter(list(result.trials))

        def __len__(self) -> int:
            raise AssertionError("len() would read the store again")

    from dataclasses import replace

    view = build_view(replace(result, trials=Once()))
    assert view.calls == sum(m.trials for m in result.ranking.models)


def test_extra_statistics_are_shown_when_the_ranking_has_them() -> None:
    reliability = [SimpleNamespace(id="C1", passes=2, trials=2, all_passed=True, flaky=False),
                   SimpleNamespace(id="C2", passes=1, trials=2, all_passed=False, flaky=True)]
    line = SimpleNamespace(model="m", median_interval=SimpleNamespace(low=10.0, high=12.5),
                           case_reliability=reliability, stopped=None,
                           confusion={"PASS": {"FAIL": 2}}, notes=("seed ignored",))
    extras = dict(model_extras(ModelView(line=cast(Any, line), run=None, points=[],
                                         quartiles=None, cost_per_case=None)))
    assert extras["median, 95% bootstrap interval"] == \
        f"{format_ms(10.0)} – {format_ms(12.5)}"
    assert extras["pass^k: cases right in every repeat"] == "1/2"
    assert extras["flaky cases (right and wrong across repeats)"] == "C2"
    assert "PASS→FAIL: 2" in extras["confusion"]
    bare = SimpleNamespace(model="m", stopped=None)
    assert model_extras(ModelView(line=cast(Any, bare), run=None, points=[], quartiles=None,
                                  cost_per_case=None)) == []


def test_report_command_writes_html(run: tuple[RunResult, str], tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    done = run_cli("report", run[0].run_id, "--format", "html", "-o", str(target),
                   "--db", run[1])
    assert done.returncode == 0, done.stderr
    text = target.read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert run[0].run_id in text and "&lt;script&gt;alert(1)" in text
