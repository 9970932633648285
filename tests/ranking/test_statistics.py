"""Statistics checked against scipy on fixed data."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from champion._ranking import Ranking, RankingRules, rank
from champion._ranking.bootstrap import bootstrap_medians, median_interval
from champion._ranking.ceilings import Ceilings, ceiling_reasons
from champion._ranking.compare import (
    LatencyProfile,
    compare_pair,
    order_by_speed,
    slower_by_margin,
)
from champion._ranking.confusion import Confusion
from champion._ranking.pareto import ParetoPoint, dominates, pareto_frontier
from champion._ranking.reliability import case_reliability, flaky_cases
from champion._ranking.serialize import model_from_json, model_to_json
from champion._ranking.stats import (
    clopper_pearson_lower,
    clopper_pearson_upper,
    geometric_mean,
)
from champion._ranking.wilcoxon import hodges_lehmann, min_one_sided_p, wilcoxon
from champion._records import ModelRun, Trial
from champion._report.json_report import run_to_json
from champion._report.markdown import render_markdown
from champion._results import RunResult
from champion._runner.session import ranking_rules
from champion._suite import load_suite
from champion._suite.model import QualifySpec

# --- Clopper–Pearson ---------------------------------------------------------


@pytest.mark.parametrize(("passes", "trials"), [
    (0, 1), (0, 10), (1, 10), (5, 10), (9, 10), (47, 50), (99, 100), (3, 400)])
def test_clopper_pearson_upper_matches_the_beta_quantile(passes: int, trials: int) -> None:
    expected = stats.beta.ppf(0.95, passes + 1, trials - passes)
    assert clopper_pearson_upper(passes, trials) == pytest.approx(expected, abs=1e-9)


def test_clopper_pearson_upper_is_one_when_nothing_failed_or_nothing_ran() -> None:
    assert clopper_pearson_upper(10, 10) == 1.0
    assert clopper_pearson_upper(0, 0) == 1.0


def test_clopper_pearson_lower_for_n_of_n_stays_the_closed_form() -> None:
    for n in (1, 5, 10, 50):
        assert clopper_pearson_lower(n, n) == 0.05 ** (1 / n)
    expected = stats.beta.ppf(0.05, 45, 50 - 45 + 1)
    assert clopper_pearson_lower(45, 50) == pytest.approx(expected, abs=1e-9)


# --- Wilcoxon signed-rank ----------------------------------------------------

RNG = np.random.default_rng(12345)
NO_TIES_SMALL = [0.31, -0.12, 0.55, 0.08, 0.27, -0.04, 0.61, 0.19]
NO_TIES_MID = list(np.round(RNG.normal(0.1, 0.3, 30), 6))
TIES_SMALL = [0.2, -0.2, 0.4, 0.4, 0.1, -0.3, 0.2, 0.5, 0.0, 0.6]
TIES_LARGE = [round(x, 1) for x in RNG.normal(0.15, 0.4, 40)]
LARGE = list(RNG.normal(-0.05, 0.5, 80))
ALL_POSITIVE = [0.1, 0.2, 0.3, 0.4, 0.5]


@pytest.mark.parametrize(("data", "method"), [
    (NO_TIES_SMALL, "exact"), (NO_TIES_MID, "exact"), (TIES_SMALL, "exact"),
    (TIES_LARGE, "approx"), (LARGE, "approx"), (ALL_POSITIVE, "exact")],
    ids=["exact", "exact-30", "ties-permutation", "ties-normal", "normal-80", "all-positive"])
@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_wilcoxon_matches_scipy(data: list[float], method: str, alternative: str) -> None:
    ours = wilcoxon(data, alternative=alternative)  # type: ignore[arg-type]
    assert ours.method == method
    theirs = stats.wilcoxon(data, alternative=alternative)
    assert ours.p_value == pytest.approx(float(theirs.pvalue), rel=1e-9, abs=1e-12)
    if alternative != "two-sided":  # scipy's two-sided statistic is min(R+, R-)
        assert ours.statistic == pytest.approx(float(theirs.statistic))


def test_wilcoxon_smallest_p_is_reached_when_every_difference_has_one_sign() -> None:
    assert wilcoxon(ALL_POSITIVE, alternative="greater").p_value == pytest.approx(1 / 32)
    assert min_one_sided_p(5) == pytest.approx(1 / 32)
    assert min_one_sided_p(4) > 0.05  # four cases can never reach p < 0.05


def test_wilcoxon_of_all_zero_differences_finds_nothing() -> None:
    assert wilcoxon([0.0, 0.0, 0.0], alternative="greater").p_value == 1.0


def test_hodges_lehmann_is_the_median_of_walsh_averages() -> None:
    data = np.array(NO_TIES_SMALL)
    walsh = [(data[i] + data[j]) / 2 for i in range(len(data)) for j in range(i, len(data))]
    assert hodges_lehmann(NO_TIES_SMALL) == pytest.approx(float(np.median(walsh)))


# --- bootstrap of the median, resampling cases --------------------------------

CASE_LATENCIES = [[float(x) for x in np.round(RNG.lognormal(math.log(200 + 15 * c), 0.25, 3), 3)]
                  for c in range(30)]


def _pooled_median(indices: np.ndarray) -> float:
    return float(np.median(np.concatenate([CASE_LATENCIES[int(i)] for i in indices])))


def _quantile_band(replicates: list[float], q: float, resamples: int) -> tuple[float, float]:
    """Where a q-quantile of the bootstrap distribution may fall when estimated from
    `resamples` draws: the order statistics 4.5 binomial standard errors either side."""
    spread = 4.5 * math.sqrt(q * (1 - q) * resamples)
    low = max(0, math.floor(q * resamples - spread))
    high = min(len(replicates) - 1, math.ceil(q * resamples + spread))
    return replicates[low], replicates[high]


def test_bootstrap_interval_agrees_with_scipy_within_monte_carlo_error() -> None:
    resamples = 9999
    ours = median_interval(CASE_LATENCIES, resamples=resamples, seed=7)
    assert ours is not None
    theirs = stats.bootstrap((np.arange(len(CASE_LATENCIES)),), _pooled_median,
                             vectorized=False, method="percentile", n_resamples=resamples,
                             confidence_level=0.95, rng=np.random.default_rng(3))
    # Both endpoints are quantiles of a bootstrap distribution estimated from a
    # finite number of resamples; each estimate lies within a few binomial
    # standard errors (in rank) of the true quantile. So scipy's endpoint must
    # fall between our order statistics at those ranks.
    replicates = bootstrap_medians(CASE_LATENCIES, resamples=resamples, seed=7)
    for q, theirs_end, ours_end in ((0.025, theirs.confidence_interval.low, ours.low),
                                    (0.975, theirs.confidence_interval.high, ours.high)):
        low, high = _quantile_band(replicates, q, resamples)
        assert low <= theirs_end <= high
        assert low <= ours_end <= high
    assert ours.low < _pooled_median(np.arange(30)) < ours.high


def test_bootstrap_is_deterministic_for_a_seed_and_resamples_cases() -> None:
    first = median_interval(CASE_LATENCIES, seed=11)
    assert first == median_interval(CASE_LATENCIES, seed=11)
    assert first != median_interval(CASE_LATENCIES, seed=12)
    # One case with every latency identical: resampling cases cannot move the median.
    assert median_interval([[5.0, 5.0, 5.0]]) == pytest.approx(
        median_interval([[5.0, 5.0, 5.0]], seed=1))
    interval = median_interval([[5.0, 5.0, 5.0]])
    assert interval is not None and interval.low == interval.high == 5.0
    assert median_interval([[], []]) is None


def test_resampling_cases_is_wider_than_resampling_calls_when_cases_differ() -> None:
    # Two cases, one slow, one fast, each repeated 20 times: resampling calls
    # would see 40 independent values; resampling cases sees only two clusters.
    clustered = [[100.0 + i * 0.01 for i in range(20)], [300.0 + i * 0.01 for i in range(20)]]
    by_case = median_interval(clustered)
    by_call = median_interval([[v] for group in clustered for v in group])
    assert by_case is not None and by_call is not None
    assert (by_case.high - by_case.low) > (by_call.high - by_call.low)


# --- per-case pass^k, flaky, confusion ----------------------------------------


def test_case_reliability_pass_share_and_flaky() -> None:
    cases = case_reliability({"A": (5, 5), "B": (3, 5), "C": (0, 5)}, order=["C", "A", "B", "Z"])
    assert [c.id for c in cases] == ["C", "A", "B"]
    by_id = {c.id: c for c in cases}
    assert by_id["A"].all_passed and not by_id["A"].flaky and by_id["A"].pass_share == 1.0
    assert by_id["B"].flaky and not by_id["B"].all_passed and by_id["B"].pass_share == 0.6
    assert not by_id["C"].flaky and by_id["C"].pass_share == 0.0
    assert flaky_cases(cases) == ["B"]


def test_confusion_matrix_counts_each_cell() -> None:
    confusion = Confusion()
    for expected, got in [("PASS", "PASS"), ("PASS", "pass"), ("PASS", "FAIL"),
                          ("FAIL", "PASS"), ("FAIL", "FAIL"), ("FAIL", "FAIL"),
                          ("FAIL", "maybe"), ("PASS", None)]:
        confusion.add(expected, got)
    assert confusion.as_dict() == {"true_accepts": 2, "false_accepts": 1, "true_rejects": 2,
                                   "false_rejects": 1, "no_verdict": 2}
    assert confusion.total == 8


# --- comparisons and ties -----------------------------------------------------


def _profile(model: str, per_case: dict[str, float], p90: float | None = None,
             cost: float | None = None) -> LatencyProfile:
    values = sorted(per_case.values())
    return LatencyProfile(model, float(np.median(values)),
                          p90 if p90 is not None else float(np.percentile(values, 90)),
                          cost, per_case)


CASES = [f"C{i}" for i in range(12)]
BASE = {c: 100.0 + 37 * (i % 5) + 3 * i for i, c in enumerate(CASES)}


def test_slower_by_margin_is_the_shifted_paired_test() -> None:
    slow = {c: v * (1.5 + 0.01 * i) for i, (c, v) in enumerate(BASE.items())}
    result = slower_by_margin(slow, BASE)
    assert result is not None and result.significant()
    diffs = [math.log(slow[c]) - math.log(BASE[c]) - math.log(1.10) for c in CASES]
    assert result.p_value == pytest.approx(
        float(stats.wilcoxon(diffs, alternative="greater").pvalue))
    assert result.ratio == pytest.approx(1.555, abs=0.01)
    # 5% slower is under the 10% margin: never significant.
    close = {c: v * 1.05 for c, v in BASE.items()}
    close_result = slower_by_margin(close, BASE)
    assert close_result is not None and not close_result.significant()
    assert slower_by_margin({"X": 1.0}, BASE) is None


def test_adjacent_pair_is_a_tie_when_under_the_margin_or_not_significant() -> None:
    fast = _profile("fast", BASE)
    clearly = _profile("slow", {c: v * 1.4 for c, v in BASE.items()})
    result = compare_pair(fast, clearly)
    assert not result.tie and result.decided_by == "latency" and result.p_value is not None
    assert result.p_value < 0.05 and result.ratio == pytest.approx(1.4)
    # Consistently 5% slower: significant but under the margin, so a tie.
    near = _profile("near", {c: v * 1.05 for c, v in BASE.items()})
    near_result = compare_pair(fast, near)
    assert near_result.p_value is not None and near_result.p_value < 0.05
    assert near_result.tie
    # 40% slower on half the cases, 40% faster on the others: not significant.
    mixed = _profile("mixed", {c: v * (1.4 if i % 2 else 1 / 1.4)
                               for i, (c, v) in enumerate(BASE.items())})
    assert compare_pair(fast, mixed).tie


def test_ties_are_broken_by_p90_then_cost() -> None:
    a = _profile("a", BASE, p90=400.0, cost=0.002)
    b = _profile("b", {c: v * 1.03 for c, v in BASE.items()}, p90=300.0, cost=0.002)
    c = _profile("c", {c: v * 1.6 for c, v in BASE.items()}, p90=100.0)
    order, comparisons = order_by_speed([c, a, b])
    assert [p.model for p in order] == ["b", "a", "c"]  # a–b tie: b has the lower p90
    assert comparisons[0].tie and comparisons[0].decided_by == "p90"
    assert not comparisons[1].tie and comparisons[1].decided_by == "latency"
    same_p90 = _profile("d", {c: v * 1.02 for c, v in BASE.items()}, p90=400.0, cost=0.001)
    order, comparisons = order_by_speed([a, same_p90])
    assert [p.model for p in order] == ["d", "a"]
    assert comparisons[0].decided_by == "cost"


# --- Pareto frontier ----------------------------------------------------------


def test_pareto_frontier_keeps_only_undominated_models() -> None:
    points = [
        ParetoPoint("fast-flaky", 0.80, 100.0, 0.001),
        ParetoPoint("solid", 0.95, 200.0, 0.001),
        ParetoPoint("slow-solid", 0.95, 300.0, 0.001),   # dominated by solid
        ParetoPoint("cheap", 0.95, 300.0, 0.0001),       # slower but cheaper
        ParetoPoint("worse", 0.80, 150.0, 0.002),        # dominated by fast-flaky
    ]
    assert [p.model for p in pareto_frontier(points)] == ["fast-flaky", "solid", "cheap"]
    assert dominates(points[1], points[2]) and not dominates(points[2], points[1])
    assert not dominates(points[1], points[1])
    # Unknown cost is not compared: only latency and reliability decide.
    assert dominates(ParetoPoint("x", 0.9, 100.0), ParetoPoint("y", 0.9, 120.0, 0.0))


# --- ceilings -----------------------------------------------------------------


def test_ceilings_give_one_reason_per_limit_broken() -> None:
    ceilings = Ceilings(max_p90_latency_ms=500, max_error_rate=0.01,
                        max_cost_per_case_usd=0.002, min_json_valid_rate=1.0)
    reasons = ceiling_reasons(ceilings, p90_latency_ms=620.0, error_rate=0.02,
                              cost_per_case_usd=0.001, json_valid_rate=0.98)
    assert len(reasons) == 3
    assert "p90 latency 620 ms" in reasons[0] and "error rate" in reasons[1]
    assert "valid JSON" in reasons[2]
    assert ceiling_reasons(ceilings, p90_latency_ms=400.0, error_rate=0.0,
                           cost_per_case_usd=None, json_valid_rate=None) == []
    assert not Ceilings().any and ceilings.any


def test_qualify_ceilings_are_optional_and_left_out_of_dumps_when_unset() -> None:
    assert QualifySpec().model_dump(mode="json") == {"min_pass_rate": 1.0}
    spec = QualifySpec.model_validate({"max_p90_latency_ms": 25000, "max_error_rate": 0.01})
    assert spec.model_dump(mode="json") == {"min_pass_rate": 1.0,
                                            "max_p90_latency_ms": 25000.0,
                                            "max_error_rate": 0.01}
    with pytest.raises(ValueError, match="max_error_rate"):
        QualifySpec.model_validate({"max_error_rate": 2})


def test_geometric_mean() -> None:
    values = [random.Random(5).uniform(1, 100) for _ in range(10)]
    assert geometric_mean(values) == pytest.approx(float(stats.gmean(values)))


# --- in the ranking, the JSON and the Markdown report ---------------------------

GRADING = [f"G{i}" for i in range(10)]
POLARITY = {case: ("PASS" if i < 5 else "FAIL") for i, case in enumerate(GRADING)}


def _trials(model: str, scale: float, *, repeats: int = 3,
            wrong: frozenset[tuple[str, int]] | set[tuple[str, int]] = frozenset(),
            lenient: bool = False) -> list[Trial]:
    out = []
    for batch in range(repeats):
        for i, case in enumerate(GRADING):
            gold = POLARITY[case]
            bad = (case, batch) in wrong
            got = ("PASS" if lenient or gold == "FAIL" else "FAIL") if bad else gold
            latency = scale * (100 + 10 * i) * (1 + 0.01 * ((batch * 3 + i) % 4))
            out.append(Trial(model, case, batch, batch * 10 + i, got == gold, got=got,
                             parsed_ok=True, latency_ms=latency, completion_tokens=5,
                             prompt_tokens=20))
    return out


def _rank(data: list[Trial], names: list[str], ceilings: Ceilings | None = None,
          prices: dict[str, float] | None = None) -> Ranking:
    models = []
    for name in names:
        run = ModelRun(name, "test", name, cold_start_ms=10.0)
        if prices and name in prices:
            run.price_in_per_mtok = run.price_out_per_mtok = prices[name]
        models.append(run)
    rules = RankingRules(min_pass_rate=1.0, output_kind="label", polarity=POLARITY,
                         expected=POLARITY, ceilings=ceilings or Ceilings())
    return rank(models, data, rules)


def test_ranking_lines_carry_intervals_case_reliability_and_confusion() -> None:
    data = (_trials("fast", 1.0) + _trials("twin", 1.02) + _trials("slow", 1.5)
            + _trials("lenient", 0.5, wrong={("G7", 0), ("G8", 1)}, lenient=True))
    ranking = _rank(data, ["slow", "twin", "fast", "lenient"])
    by = {m.model: m for m in ranking.models}
    fast = by["fast"]
    assert fast.latency_median_ci95 is not None
    low, high = fast.latency_median_ci95
    assert fast.latency_ms is not None and low <= fast.latency_ms.median <= high
    assert all(c.all_passed and c.trials == 3 for c in fast.case_reliability)
    assert fast.pass_rate_lower95_cases == pytest.approx(0.05 ** (1 / 10))
    assert fast.confusion == {"true_accepts": 15, "false_accepts": 0, "true_rejects": 15,
                              "false_rejects": 0, "no_verdict": 0}
    lenient = by["lenient"]
    assert lenient.status == "disqualified"
    assert lenient.flaky_cases == ["G7", "G8"]
    assert lenient.confusion is not None and lenient.confusion["false_accepts"] == 2
    assert lenient.disqualified_because[0].startswith("pass rate 93.3% under the 100% rule")
    # fast vs twin (2% apart) is a tie; twin vs slow is a real difference.
    assert [m.model for m in ranking.models][:3] == ["fast", "twin", "slow"]
    first, second = ranking.comparisons
    assert (first.ahead, first.behind, first.tie) == ("fast", "twin", True)
    assert (second.ahead, second.behind, second.tie) == ("twin", "slow", False)
    assert second.ratio == pytest.approx(1.5 / 1.02, rel=0.01)
    # lenient is fastest but disqualified: no trade-off anyone can pick, so it stays off
    # the frontier; twin and slow are dominated by fast.
    assert set(ranking.pareto_frontier) == {"fast"}
    assert not lenient.pareto


def test_a_tie_is_broken_by_p90_in_the_ranking() -> None:
    steady = _trials("steady", 1.03)
    spiky = _trials("spiky", 1.0)
    for trial in spiky[::7]:  # a few slow calls raise p90, not the per-case medians
        trial.latency_ms = (trial.latency_ms or 0) * 3
    ranking = _rank(steady + spiky, ["spiky", "steady"])
    assert ranking.champion == "steady" and ranking.runner_up == "spiky"
    assert ranking.comparisons[0].tie and ranking.comparisons[0].decided_by == "p90"


def test_a_model_over_a_ceiling_is_disqualified_with_the_reason() -> None:
    data = _trials("fast", 1.0) + _trials("pricey", 1.5) + _trials("cheap", 2.0)
    ranking = _rank(data, ["fast", "pricey", "cheap"],
                    Ceilings(max_p90_latency_ms=200.0, max_cost_per_case_usd=1e-4),
                    prices={"pricey": 10.0, "cheap": 0.1})
    by = {m.model: m for m in ranking.models}
    assert by["fast"].status == "champion" and by["fast"].disqualified_because == ()
    assert by["pricey"].status == "disqualified"
    assert by["pricey"].cost_per_case_usd == pytest.approx(25 * 10.0 / 1e6)
    assert [r.split(" ")[0] for r in by["pricey"].disqualified_because] == ["p90", "cost"]
    assert by["cheap"].disqualified_because == (
        f"p90 latency {by['cheap'].latency_ms.p90:.0f} ms over the 200 ms limit",)  # type: ignore[union-attr]
    assert ranking.runner_up is None


def test_new_fields_round_trip_through_the_run_json() -> None:
    data = _trials("fast", 1.0) + _trials("slow", 1.5) + _trials(
        "flaky", 0.8, wrong={("G2", 1)})
    ranking = _rank(data, ["fast", "slow", "flaky"])
    for line in ranking.models:
        as_json = json.loads(json.dumps(model_to_json(line)))
        rebuilt = model_from_json(as_json)
        assert model_to_json(rebuilt) == as_json
        assert rebuilt.case_reliability == line.case_reliability
        assert rebuilt.vs_next == (None if line.vs_next is None else replace(
            line.vs_next, ratio=round(line.vs_next.ratio, 4),
            p_value=as_json["vs_next"]["p_value"]))
    flaky = model_to_json(next(m for m in ranking.models if m.model == "flaky"))
    assert flaky["flaky_cases"] == ["G2"]
    assert flaky["case_reliability"][2] == {"id": "G2", "trials": 3, "passes": 2,
                                           "pass_share": 0.6667, "all_passed": False,
                                           "flaky": True}
    fast = model_to_json(ranking.models[0])
    assert fast["vs_next"]["next"] == "slow" and fast["vs_next"]["tie"] is False
    assert fast["pareto"] is True and fast["disqualified_because"] == []


def test_markdown_report_shows_comparisons_intervals_and_the_frontier() -> None:
    data = (_trials("fast", 1.0) + _trials("twin", 1.02) + _trials("slow", 1.5)
            + _trials("lenient", 0.5, wrong={("G7", 0)}, lenient=True))
    ranking = _rank(data, ["fast", "twin", "slow", "lenient"])
    result = RunResult(run_id="r1", task="grading", suite_version="1", strategy="race",
                       repeats=3, cases=len(GRADING), seed=1,
                       started_at=datetime(2026, 1, 1, tzinfo=UTC), finished_at=None,
                       status="complete", models=[], trials=data, ranking=ranking,
                       case_order=GRADING)
    text = render_markdown(result)
    assert "## Is it really faster?" in text
    assert "| fast | twin | ×1.02 |" in text and "tie, ordered by" in text
    assert "| twin | slow | ×1.47 |" in text and "| faster |" in text
    assert "## How sure" in text and "## Pareto frontier" in text
    assert "| Should FAIL | 1 (too lenient) | 14 |" in text
    document = run_to_json(result)
    assert [c["model"] for c in document["comparisons"]] == ["fast", "twin"]
    assert document["pareto_frontier"] == ["fast"]


def test_ceilings_in_a_suite_file_reach_the_ranking_rules(tmp_path: Path) -> None:
    suite_file = tmp_path / "suite.yaml"
    suite_file.write_text(
        "task: t\nprompt: {user: 'Q {n}'}\noutput: {kind: label, labels: [ok, no]}\n"
        "qualify: {min_pass_rate: 0.9, max_p90_latency_ms: 250, min_json_valid_rate: 1.0}\n"
        "cases: [{id: a, vars: {n: 1}, expected: ok}]\n")
    rules = ranking_rules(load_suite(suite_file))
    assert rules.min_pass_rate == 0.9
    assert rules.ceilings == Ceilings(max_p90_latency_ms=250.0, min_json_valid_rate=1.0)
