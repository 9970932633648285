"""ModelRanking ⇄ the per-model object of the run JSON."""

from __future__ import annotations

from typing import Any

from champion._ranking.compare import PairComparison
from champion._ranking.rank import FailedCase, LatencyStats, ModelRanking
from champion._ranking.reliability import CaseReliability

__all__ = ["comparison_to_json", "model_from_json", "model_to_json"]


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def model_to_json(line: ModelRanking) -> dict[str, Any]:
    """The run JSON object of one model (more fields may follow the pinned ones)."""
    latency = line.latency_ms
    data: dict[str, Any] = {
        "model": line.model,
        "provider": line.provider,
        "rank": line.rank,
        "status": line.status,
        "trials": line.trials,
        "passes": line.passes,
        "errors": line.errors,
        "pass_rate": _round(line.pass_rate, 4),
        "pass_rate_lower95": _round(line.pass_rate_lower95, 4),
        "latency_ms": None if latency is None else {
            "median": _round(latency.median), "p90": _round(latency.p90),
            "mean": _round(latency.mean), "min": _round(latency.min), "max": _round(latency.max),
        },
        "ttft_ms": None if line.ttft_ms_median is None else {
            "median": _round(line.ttft_ms_median)},
        "ttfot_ms": None if line.ttfot_ms_median is None else {
            "median": _round(line.ttfot_ms_median)},
        "output_tokens_per_s": _round(line.output_tokens_per_s, 2),
        "cold_start_ms": _round(line.cold_start_ms),
        "cost_usd": _round(line.cost_usd, 8),
        "failed_cases": [
            {"id": f.id, "expected": f.expected, "got": f.got, "failures": f.failures,
             "trials": f.trials, **({"polarity": f.polarity} if f.polarity else {}),
             **({"reason": f.reason} if f.reason is not None else {})}
            for f in line.failed_cases
        ],
        "speed_score": _round(line.speed_score, 1),
        "json_valid_rate": _round(line.json_valid_rate, 4),
        "field_accuracy": line.field_accuracy,
        "too_lenient": line.too_lenient,
        "too_strict": line.too_strict,
        "leaning": line.leaning,
        "error_reasons": line.error_reasons,
        "identity": line.identity,
        "price": line.price,
        "key": line.key,
        "stopped": line.stopped,
        "notes": list(line.notes),
        "memory_mb": _round(line.memory_mb, 1),
        "latency_median_ci95_ms": None if line.latency_median_ci95 is None else [
            _round(line.latency_median_ci95[0]), _round(line.latency_median_ci95[1])],
        "pass_rate_lower95_cases": _round(line.pass_rate_lower95_cases, 4),
        "case_reliability": [
            {"id": c.id, "trials": c.trials, "passes": c.passes,
             "pass_share": _round(c.pass_share, 4), "all_passed": c.all_passed,
             "flaky": c.flaky} for c in line.case_reliability],
        "flaky_cases": line.flaky_cases,
        "confusion": line.confusion,
        "cost_per_case_usd": _round(line.cost_per_case_usd, 10),
        "disqualified_because": list(line.disqualified_because),
        "vs_next": None if line.vs_next is None else comparison_to_json(line.vs_next),
        "pareto": line.pareto,
        "unjudged": line.unjudged,
    }
    if line.error is not None:
        data["error"] = line.error
    return data


def comparison_to_json(pair: PairComparison) -> dict[str, Any]:
    """A comparison of two adjacent qualified models."""
    return {"model": pair.ahead, "next": pair.behind, "ratio": _round(pair.ratio, 4),
            "p_value": None if pair.p_value is None else float(f"{pair.p_value:.4g}"),
            "cases": pair.cases, "tie": pair.tie, "decided_by": pair.decided_by}


def _comparison_from_json(data: dict[str, Any] | None) -> PairComparison | None:
    if not data:
        return None
    return PairComparison(ahead=data["model"], behind=data["next"], ratio=data["ratio"],
                          p_value=data.get("p_value"), cases=data.get("cases", 0),
                          tie=data["tie"], decided_by=data.get("decided_by", "latency"))


def _pair(values: list[float] | None) -> tuple[float, float] | None:
    return None if not values else (float(values[0]), float(values[1]))


def model_from_json(data: dict[str, Any]) -> ModelRanking:
    """Rebuild a ModelRanking from its run JSON object."""
    latency = data.get("latency_ms")
    ttft = data.get("ttft_ms")
    return ModelRanking(
        model=data["model"], provider=data["provider"], rank=data["rank"],
        status=data["status"], trials=data["trials"], passes=data["passes"],
        errors=data["errors"], pass_rate=data["pass_rate"],
        pass_rate_lower95=data["pass_rate_lower95"],
        latency_ms=None if latency is None else LatencyStats(**latency),
        ttft_ms_median=None if ttft is None else ttft["median"],
        output_tokens_per_s=data.get("output_tokens_per_s"),
        cold_start_ms=data.get("cold_start_ms"), cost_usd=data.get("cost_usd"),
        failed_cases=tuple(
            FailedCase(id=f["id"], expected=f["expected"], got=f["got"],
                       failures=f["failures"], trials=f["trials"], polarity=f.get("polarity"),
                       reason=f.get("reason"))
            for f in data.get("failed_cases", [])
        ),
        json_valid_rate=data.get("json_valid_rate"), field_accuracy=data.get("field_accuracy"),
        too_lenient=data.get("too_lenient", 0), too_strict=data.get("too_strict", 0),
        error=data.get("error"), error_reasons=data.get("error_reasons", {}),
        identity=data.get("identity", {}),
        ttfot_ms_median=(data.get("ttfot_ms") or {}).get("median"),
        price=data.get("price"),
        key=data.get("key", ""),
        stopped=data.get("stopped"),
        notes=tuple(data.get("notes") or ()),
        memory_mb=data.get("memory_mb"),
        latency_median_ci95=_pair(data.get("latency_median_ci95_ms")),
        pass_rate_lower95_cases=data.get("pass_rate_lower95_cases"),
        case_reliability=tuple(CaseReliability(c["id"], c["trials"], c["passes"])
                               for c in data.get("case_reliability") or ()),
        confusion=data.get("confusion"),
        cost_per_case_usd=data.get("cost_per_case_usd"),
        disqualified_because=tuple(data.get("disqualified_because") or ()),
        vs_next=_comparison_from_json(data.get("vs_next")),
        pareto=bool(data.get("pareto", False)),
        unjudged=int(data.get("unjudged") or 0),
    )
