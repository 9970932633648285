"""What every report says in words about a ranking: each model's verdict and each tie.

The terminal, Markdown and HTML reports share these sentences so they never
disagree; each escapes them for its medium. Latency figures are medians and
p90s (a mean is moved by a few slow calls), and only a qualified model has a
speed score: the others are not ranked by speed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from champion._ranking import ModelRanking, Ranking
from champion._ranking.compare import DEFAULT_ALPHA, DEFAULT_MARGIN, PairComparison

__all__ = ["comparison_sentence", "latency_text", "p_text", "podium_tie", "score_text",
           "tie_break_text", "verdict_text"]

Ms = Callable[[float | None], str]


def p_text(p_value: float | None) -> str:
    """A p-value as shown: two significant figures."""
    return "—" if p_value is None else f"{p_value:.2g}"


def latency_text(line: ModelRanking, ms: Ms) -> str:
    """``median 592 ms, p90 700 ms`` (or that nothing was measured)."""
    lat = line.latency_ms
    if lat is None:
        return "no latency measured"
    return f"median {ms(lat.median)}, p90 {ms(lat.p90)}"


def score_text(line: ModelRanking) -> str | None:
    """The speed score (1000 / median latency in seconds) of a qualified model, else None."""
    score = line.speed_score
    return f"{score:.0f}" if line.qualified and score else None


def verdict_text(line: ModelRanking) -> str:
    """The status in words, first on a model's line: ``disqualified (why)`` before any figure."""
    if line.status == "error":
        return f"error: {line.error or 'no trials ran'}"
    if line.qualified:
        return line.status
    reasons = "; ".join(line.disqualified_because)
    return f"disqualified ({reasons})" if reasons else "disqualified"


def _two(first: float | None, second: float | None, ms: Ms) -> str:
    """Two latencies, with more digits when the usual ones would show them equal."""
    left, right = ms(first), ms(second)
    if left == right and first is not None and second is not None and first != second:
        left, right = f"{first:.2f} ms", f"{second:.2f} ms"
    return f"{left} against {right}"


def tie_break_text(pair: PairComparison, lines: Mapping[str, ModelRanking], ms: Ms) -> str:
    """What put the first of two tied models first, with both figures."""
    ahead, behind = lines.get(pair.ahead), lines.get(pair.behind)

    def p90(line: ModelRanking | None) -> float | None:
        return line.latency_ms.p90 if line is not None and line.latency_ms else None

    def median(line: ModelRanking | None) -> float | None:
        return line.latency_ms.median if line is not None and line.latency_ms else None

    def cost(line: ModelRanking | None) -> str:
        value = line.cost_per_case_usd if line is not None else None
        return "—" if value is None else f"${value:.6g}"

    if pair.decided_by == "p90":
        return f"p90 latency, {_two(p90(ahead), p90(behind), ms)}"
    if pair.decided_by == "cost":
        return f"cost per case, {cost(ahead)} against {cost(behind)} (same p90)"
    return (f"median latency, {_two(median(ahead), median(behind), ms)}"
            " (same p90 and cost)")


def comparison_sentence(pair: PairComparison, lines: Mapping[str, ModelRanking],
                        ms: Ms) -> str:
    """Two neighbours in the speed order: a real difference, or a tie, why, and what
    ordered it.

    ``lines`` maps model ids to their ranking lines (for the tie-breaker's figures).
    """
    a, b = pair.ahead, pair.behind
    first = f"{a} goes first by {tie_break_text(pair, lines, ms)}"
    if pair.p_value is None:
        return f"{a} and {b} tie: no case answered by both to compare; {first}"
    p_value = f"p = {p_text(pair.p_value)}"
    per_case = f"per case {b} takes ×{pair.ratio:.2f} the time of {a}"
    if not pair.tie:
        return f"{a} is faster than {b} ({per_case}, {p_value})"
    if pair.p_value >= DEFAULT_ALPHA:
        why = f"{b} is not significantly slower ({p_value}; {per_case})"
    else:
        margin = f"{(DEFAULT_MARGIN - 1):.0%}"
        why = f"{b} is slower by less than the {margin} margin ({per_case}, {p_value})"
    return f"{a} and {b} tie on speed: {why}; {first}"


def podium_tie(ranking: Ranking) -> PairComparison | None:
    """The champion's comparison with the runner-up, when the two tie on speed."""
    champion = next((m for m in ranking.models if m.status == "champion"), None)
    pair = champion.vs_next if champion is not None else None
    if pair is None or not pair.tie or pair.behind != ranking.runner_up:
        return None
    return pair
