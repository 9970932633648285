"""The sentences every report shares, on rankings of hand-made trials."""

from __future__ import annotations

from champion._ranking import Ranking, RankingRules, rank
from champion._records import ModelRun, Trial
from champion._report.svg import format_ms
from champion._report.verdicts import comparison_sentence, podium_tie

CASES = [f"C{i}" for i in range(12)]


def _trials(model: str, scale: float, *, p90_bump: float = 1.0) -> list[Trial]:
    out = []
    for batch in range(5):
        for i, case in enumerate(CASES):
            latency = scale * (100 + 10 * i) * (1 + 0.001 * batch)
            if batch == 4:  # one repeat in five: sets the p90, not the per-case medians
                latency *= p90_bump
            out.append(Trial(model, case, batch, batch * 12 + i, True, got="ok",
                             parsed_ok=True, latency_ms=latency))
    return out


def _ranking(*data: list[Trial]) -> Ranking:
    trials = [t for group in data for t in group]
    names = list(dict.fromkeys(t.model for t in trials))
    return rank([ModelRun(name, "test", name) for name in names], trials,
                RankingRules(expected=dict.fromkeys(CASES, "ok")))


def test_a_tie_within_the_margin_says_so_even_when_p_is_small() -> None:
    # "close" is 5% slower on every case: significant, but under the 10% margin.
    ranking = _ranking(_trials("first", 1.0), _trials("close", 1.05, p90_bump=1.02))
    pair = podium_tie(ranking)
    assert pair is not None and pair.p_value is not None and pair.p_value < 0.05
    lines = {m.model: m for m in ranking.models}
    text = comparison_sentence(pair, lines, format_ms)
    assert text.startswith("first and close tie on speed: close is slower by less than the"
                           " 10% margin (per case close takes ×1.05 the time of first, p = ")
    first, close = (lines[m].latency_ms.p90 for m in ("first", "close"))  # type: ignore[union-attr]
    assert text.endswith(f"; first goes first by p90 latency, {format_ms(first)} against"
                         f" {format_ms(close)}")
    assert format_ms(first) != format_ms(close)


def test_a_real_difference_is_called_faster_and_is_no_tie() -> None:
    ranking = _ranking(_trials("quick", 1.0), _trials("slow", 1.5))
    assert podium_tie(ranking) is None
    [pair] = ranking.comparisons
    text = comparison_sentence(pair, {m.model: m for m in ranking.models}, format_ms)
    assert text.startswith("quick is faster than slow (per case slow takes ×1.50 the time of"
                           " quick, p = ")


def test_figures_shown_equal_get_more_digits() -> None:
    # The same rounded p90 for both: the sentence must still show which is lower.
    ranking = _ranking(_trials("a", 1.0, p90_bump=1.002), _trials("b", 1.0, p90_bump=1.003))
    pair = podium_tie(ranking)
    assert pair is not None and pair.decided_by == "p90"
    lines = {m.model: m for m in ranking.models}
    a, b = (lines[m].latency_ms.p90 for m in ("a", "b"))  # type: ignore[union-attr]
    assert format_ms(a) == format_ms(b) and a < b
    text = comparison_sentence(pair, lines, format_ms)
    assert text.endswith(f"a goes first by p90 latency, {a:.2f} ms against {b:.2f} ms"), text
