"""Runs, models and trials built by hand, so store tests need no runner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from champion._ranking import ModelRanking, Ranking
from champion._ranking.serialize import model_from_json
from champion._records import ModelRun, Trial
from champion._results import RunResult

SUITE_JSON: dict[str, Any] = {
    "task": "mini", "version": "1", "description": "",
    "prompt": {"system": None, "user": "Ticket: {ticket}"},
    "output": {"kind": "label", "labels": ["billing", "technical"], "schema": None,
               "constrain": False},
    "check": {"type": "label", "fields": {}, "function": None, "ignore_case": False,
              "schema": None},
    "qualify": {"min_pass_rate": 1.0}, "repeats": 2,
    "params": {"temperature": 0.0, "max_tokens": 4, "timeout_s": 5.0, "seed": 0,
               "top_p": None, "stop": []},
    "cases": [{"id": "C1", "vars": {"ticket": "charged"}, "expected": "billing",
               "type": None, "difficulty": None, "why": None},
              {"id": "C2", "vars": {"ticket": "error"}, "expected": "technical",
               "type": None, "difficulty": None, "why": None}],
}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def line(model: str, rank: int, status: str, median: float | None = 10.0,
         pass_rate: float = 1.0, trials: int = 4) -> ModelRanking:
    """A ranking line."""
    latency = None if median is None else {"median": median, "p90": median * 1.2,
                                           "mean": median, "min": median, "max": median}
    return model_from_json({
        "model": model, "provider": "test", "rank": rank, "status": status, "trials": trials,
        "passes": round(trials * pass_rate), "errors": 0, "pass_rate": pass_rate,
        "pass_rate_lower95": 0.5, "latency_ms": latency, "ttft_ms": None,
        "output_tokens_per_s": None, "cold_start_ms": None, "cost_usd": None,
        "failed_cases": []})


def result(run_id: str, *, task: str = "mini", status: str = "complete",
           lines: tuple[ModelRanking, ...] = (), minutes: int = 0,
           fingerprint: str = "fp1", trials: list[Trial] | None = None) -> RunResult:
    """A run result."""
    return RunResult(
        run_id=run_id, task=task, suite_version="1", strategy="full", repeats=2, cases=2,
        seed=1, started_at=T0 + timedelta(minutes=minutes),
        finished_at=T0 + timedelta(minutes=minutes, seconds=30), status=status, models=[],
        trials=trials or [], ranking=Ranking(lines),
        case_info={"C1": {"expected": "billing", "type": None, "difficulty": None},
                   "C2": {"expected": "technical", "type": None, "difficulty": None}},
        case_order=["C1", "C2"], suite_json={**SUITE_JSON, "task": task},
        suite_fingerprint=fingerprint, lanes=[["a", "b"]], config={"concurrency": 1})


def model(name: str, *, digest: str | None = None, base_url: str | None = None,
          candidate: dict[str, Any] | None = None) -> ModelRun:
    """A model of a run."""
    return ModelRun(model=name, provider="test", model_name=name, base_url=base_url,
                    digest=digest, key=f"test/{name}", notes=["note"], lane="lane-1",
                    candidate=candidate if candidate is not None else {
                        "id": name, "provider": "test", "model": name,
                        "options": {"reply": "billing"}})


def trial(model: str, case_id: str, batch: int, *, correct: bool = True,
          latency_ms: float = 10.0, error: str | None = None) -> Trial:
    """One trial."""
    return Trial(model=model, case_id=case_id, batch=batch, position=0, correct=correct,
                 output="billing", got="billing", parsed_ok=True, latency_ms=latency_ms,
                 error=error, error_kind="timeout" if error else None,
                 fields={"a": True}, server_timings={"x": 1},
                 started_at=T0 + timedelta(seconds=batch))
