"""The terminal summary on a real ranking: medians, ties, verdicts before figures."""

from __future__ import annotations

import io

from rich.console import Console

from champion._report.terminal import print_summary
from tests.report.scenario import misleading_run


def _summary() -> str:
    out = io.StringIO()
    print_summary(Console(file=out, width=250, color_system=None), misleading_run())
    return out.getvalue()


def _result_line(text: str, model: str) -> str:
    block = text[text.index(f"\n{model}"):]
    return next(line for line in block.splitlines() if "Result:" in line)


def test_per_case_times_are_labelled_medians() -> None:
    text = _summary()
    assert "C0 ✅ median 592ms" in text
    assert "C3 ❌ median 400ms  0/5, got technical" in text


def test_each_summary_line_shows_median_and_p90_and_scores_by_the_median() -> None:
    text = _summary()
    assert "Avg" not in text
    champion = _result_line(text, "inproc")
    assert champion == ("└── Result: champion ✅ | 50/50 correct | median 592ms, p90 604ms |"
                        " Score: 1689")
    # The runner-up's mean (889 ms) is inflated by its 3 s calls; its median is not.
    assert _result_line(text, "server").endswith("| median 548ms, p90 3.00s | Score: 1826")


def test_a_tie_is_said_with_its_p_value_and_what_ordered_it() -> None:
    text = _summary()
    sentence = ("inproc and server tie on speed: server is not significantly slower (p = 1;"
                " per case server takes ×0.93 the time of inproc); inproc goes first by p90"
                " latency, 604ms against 3.00s")
    assert f"├── {sentence}" in text  # in the champion's tree
    tail = text[text.index("Champion: inproc"):]
    assert tail.splitlines()[:3] == [
        "Champion: inproc (median 592ms, p90 604ms, 50/50 correct)",
        "Runner-up: server (median 548ms, p90 3.00s, 50/50 correct)",
        sentence + "."]


def test_a_disqualified_model_says_so_first_and_shows_no_score() -> None:
    text = _summary()
    for model, rate, correct in (("hasty", "90.0%", "45/50"), ("never", "0.0%", "0/50")):
        line = _result_line(text, model)
        assert line.startswith(f"└── Result: disqualified (pass rate {rate} under the 100%"
                               f" rule) ❌ | {correct} correct | median"), line
        assert "Score" not in line
