"""Ranking on hand-made trial sets."""

from __future__ import annotations

import pytest

from champion._ranking import RankingRules, clopper_pearson_lower, percentile, rank
from champion._records import ModelRun, Trial


def trials(model: str, latencies: list[float], wrong: dict[int, str] | None = None,
           errors: set[int] | None = None, cases: int = 5) -> list[Trial]:
    """Trials over cases C0..C{cases-1}; index i → case C{i % cases}."""
    wrong, errors = wrong or {}, errors or set()
    out = []
    for i, latency in enumerate(latencies):
        case = f"C{i % cases}"
        if i in errors:
            out.append(Trial(model, case, i // cases, i, False, error="timeout: 5 s",
                             error_kind="timeout"))
            continue
        got = wrong.get(i, "PASS" if i % cases < 3 else "FAIL")
        expected = "PASS" if i % cases < 3 else "FAIL"
        out.append(Trial(model, case, i // cases, i, got == expected, got=got,
                         parsed_ok=True, latency_ms=latency, ttft_ms=latency / 4,
                         completion_tokens=5))
    return out


RULES = RankingRules(
    min_pass_rate=1.0, output_kind="label",
    polarity={"C0": "PASS", "C1": "PASS", "C2": "PASS", "C3": "FAIL", "C4": "FAIL"},
    expected={"C0": "PASS", "C1": "PASS", "C2": "PASS", "C3": "FAIL", "C4": "FAIL"},
)


def runs(*names: str) -> list[ModelRun]:
    return [ModelRun(name, "test", name, cold_start_ms=100.0) for name in names]


def test_qualified_models_are_ordered_by_median_latency() -> None:
    data = (trials("slow", [300, 310, 305, 290, 1000] * 2)      # median 305, mean high
            + trials("fast", [100, 120, 110, 130, 90] * 2)
            + trials("mid", [200, 210, 190, 205, 195] * 2))
    ranking = rank(runs("slow", "fast", "mid"), data, RULES)
    assert [m.model for m in ranking.models] == ["fast", "mid", "slow"]
    assert ranking.champion == "fast" and ranking.runner_up == "mid"
    assert [m.status for m in ranking.models] == ["champion", "runner-up", "qualified"]
    assert [m.rank for m in ranking.models] == [1, 2, 3]
    slow = ranking.models[2]
    assert slow.latency_ms is not None
    assert slow.latency_ms.median == 305 and slow.latency_ms.max == 1000
    assert slow.pass_rate == 1.0 and slow.pass_rate_lower95 == pytest.approx(0.05 ** 0.1)


def test_a_faster_model_with_one_failure_is_disqualified_and_names_the_case() -> None:
    data = (trials("quick", [50] * 10, wrong={3: "PASS", 8: "PASS"})
            + trials("steady", [80] * 10))
    ranking = rank(runs("quick", "steady"), data, RULES)
    assert ranking.champion == "steady" and ranking.runner_up is None
    quick = ranking.models[1]
    assert quick.status == "disqualified" and quick.passes == 8 and quick.trials == 10
    [failed] = quick.failed_cases
    assert (failed.id, failed.expected, failed.got, failed.failures, failed.trials) == (
        "C3", "FAIL", "PASS", 2, 2)
    assert quick.too_lenient == 2 and quick.too_strict == 0 and quick.leaning == "too lenient"


def test_too_strict_and_both() -> None:
    strict = trials("strict", [10] * 5, wrong={0: "FAIL"})
    both = trials("both", [10] * 5, wrong={0: "FAIL", 4: "PASS"})
    ranking = {m.model: m for m in rank(runs("strict", "both"), strict + both, RULES).models}
    assert ranking["strict"].leaning == "too strict"
    assert ranking["both"].leaning == "both too lenient and too strict"


def test_min_pass_rate_allows_some_failures() -> None:
    data = trials("ok", [10] * 10, wrong={3: "PASS"})
    rules = RankingRules(min_pass_rate=0.9, expected=RULES.expected, polarity=RULES.polarity)
    [line] = rank(runs("ok"), data, rules).models
    assert line.status == "champion" and line.pass_rate == 0.9


def test_disqualified_are_ordered_by_pass_rate_and_errors_last() -> None:
    data = (trials("worse", [10] * 5, wrong={0: "FAIL", 1: "FAIL"})
            + trials("better", [20] * 5, wrong={0: "FAIL"})
            + trials("broken", [10] * 5, errors={0, 1, 2, 3, 4}))
    models = runs("worse", "better", "broken")
    ordered = rank(models, data, RULES).models
    assert [m.model for m in ordered] == ["better", "worse", "broken"]
    broken = ordered[2]
    assert broken.status == "error" and broken.errors == 5 and broken.latency_ms is None
    assert broken.error is not None and "timeout" in broken.error
    assert broken.error_reasons == {"timeout": 5}


def test_model_that_never_loaded_is_error_with_reason() -> None:
    model = ModelRun("gone", "ollama", "gone", error="could not connect")
    [line] = rank([model], [], RULES).models
    assert line.status == "error" and line.error == "could not connect" and line.trials == 0


def test_partial_errors_disqualify_but_keep_latency_of_answers() -> None:
    data = trials("flaky", [100, 100, 100, 100, 100], errors={2})
    [line] = rank(runs("flaky"), data, RULES).models
    assert line.status == "disqualified" and line.errors == 1 and line.passes == 4
    assert line.latency_ms is not None and line.latency_ms.median == 100


def test_cost_needs_a_price_and_token_counts() -> None:
    data = [Trial("m", "C0", 0, 0, True, got="PASS", latency_ms=10, prompt_tokens=1000,
                  completion_tokens=100)]
    priced = ModelRun("m", "openai", "m", price_in_per_mtok=1.0, price_out_per_mtok=10.0)
    [line] = rank([priced], data, RULES).models
    assert line.cost_usd == pytest.approx((1000 * 1.0 + 100 * 10.0) / 1e6)
    [unpriced] = rank([ModelRun("m", "openai", "m")], data, RULES).models
    assert unpriced.cost_usd is None


def test_tokens_per_s_prefers_server_figures() -> None:
    client = [Trial("m", "C0", 0, 0, True, got="PASS", latency_ms=1000, ttft_ms=100,
                    completion_tokens=10)]
    [line] = rank(runs("m"), client, RULES).models
    assert line.output_tokens_per_s == pytest.approx(9 / 0.9)
    server = [Trial("m", "C0", 0, 0, True, got="PASS", latency_ms=1000, ttft_ms=100,
                    completion_tokens=10, server_tokens_per_s=42.0)]
    [line] = rank(runs("m"), server, RULES).models
    assert line.output_tokens_per_s == 42.0


def test_json_valid_rate_and_field_accuracy() -> None:
    rules = RankingRules(output_kind="json")
    data = [
        Trial("m", "a", 0, 0, True, parsed_ok=True, latency_ms=1,
              fields={"name": True, "email": True}),
        Trial("m", "b", 0, 1, False, parsed_ok=True, latency_ms=1,
              fields={"name": True, "email": False}),
        Trial("m", "c", 0, 2, False, parsed_ok=False, latency_ms=1),
    ]
    [line] = rank(runs("m"), data, rules).models
    assert line.json_valid_rate == pytest.approx(2 / 3)
    assert line.field_accuracy == {"email": pytest.approx(1 / 3), "name": pytest.approx(2 / 3)}


@pytest.mark.parametrize(("n", "bound"), [(5, 0.549), (10, 0.741), (20, 0.861),
                                          (50, 0.942), (100, 0.971)])
def test_clopper_pearson_all_pass_table(n: int, bound: float) -> None:
    assert clopper_pearson_lower(n, n) == pytest.approx(bound, abs=1e-3)
    assert clopper_pearson_lower(n, n) == pytest.approx(0.05 ** (1 / n))


@pytest.mark.parametrize(("k", "n"), [(1, 10), (7, 10), (45, 50), (0, 5), (99, 100),
                                      (990, 1000), (4000, 5000), (49_990, 50_000)])
def test_clopper_pearson_matches_beta_quantile(k: int, n: int) -> None:
    from scipy.stats import beta

    expected = 0.0 if k == 0 else float(beta.ppf(0.05, k, n - k + 1))
    assert clopper_pearson_lower(k, n) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("a", "b", "x"), [(1, 1, 0.3), (2.5, 7, 0.2), (50, 3, 0.9),
                                           (1000, 20, 0.97), (0.5, 0.5, 0.5)])
def test_regularized_beta_matches_scipy(a: float, b: float, x: float) -> None:
    from scipy.special import betainc

    from champion._ranking.stats import regularized_beta

    assert regularized_beta(a, b, x) == pytest.approx(float(betainc(a, b, x)), abs=1e-12)


def test_percentile_matches_numpy_linear() -> None:
    import numpy as np

    values = sorted([5.0, 1.0, 9.0, 3.0, 7.0, 2.0])
    for q in (0, 10, 50, 90, 100):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_speed_score_is_taken_from_the_median_not_the_mean() -> None:
    # Nine calls near 500 ms and one 10 s outlier: the mean (1.45 s) would say 690.
    data = trials("steady", [500, 510, 490, 505, 495, 500, 510, 490, 505, 10_000])
    [line] = rank(runs("steady"), data, RULES).models
    assert line.latency_ms is not None
    assert line.latency_ms.median == 502.5 and line.latency_ms.mean > 1400
    assert line.speed_score == pytest.approx(1000 / 0.5025)


def test_the_pareto_frontier_holds_qualified_models_only() -> None:
    # "never" is fastest and wrong on every case: it dominates nobody a user can pick.
    data = (trials("never", [5] * 5, wrong={0: "FAIL", 1: "FAIL", 2: "FAIL", 3: "PASS",
                                            4: "PASS"})
            + trials("sure", [50] * 5) + trials("slow", [80] * 5))
    ranking = rank(runs("never", "sure", "slow"), data, RULES)
    by = {m.model: m for m in ranking.models}
    assert by["never"].pass_rate == 0.0 and by["never"].status == "disqualified"
    assert not by["never"].pareto
    assert ranking.pareto_frontier == ["sure"]
    assert by["sure"].pareto and not by["slow"].pareto


def test_a_stored_ranking_with_a_disqualified_model_flagged_pareto_is_read_right() -> None:
    from dataclasses import replace

    from champion._ranking import Ranking

    data = trials("never", [5] * 5, wrong=dict.fromkeys(range(3), "FAIL")) + trials(
        "sure", [50] * 5)
    fresh = rank(runs("never", "sure"), data, RULES)
    # As a run ranked before the frontier was limited to qualified models was stored.
    stored = Ranking(tuple(replace(m, pareto=True) for m in fresh.models))
    assert stored.pareto_frontier == ["sure"]
