"""The run JSON: the pinned fields first, what later versions added after them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from champion._ranking.serialize import comparison_to_json, model_to_json
from champion._results import RunResult

__all__ = ["run_to_json", "write_json"]


def run_to_json(result: RunResult) -> dict[str, Any]:
    """The pinned run object; extra keys follow the pinned ones."""
    keys = {model.model: model.key for model in result.models}
    frontier = result.ranking.pareto_frontier
    return {
        "format_version": result.format_version,
        "run_id": result.run_id,
        "task": result.task,
        "suite_version": result.suite_version,
        "strategy": result.strategy,
        "repeats": result.repeats,
        "cases": result.cases,
        "calls": result.calls,
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat() if result.finished_at else None,
        "champion": result.champion,
        "runner_up": result.runner_up,
        "models": [_on_frontier(_with_key(model_to_json(line), keys), frontier)
                   for line in result.ranking.models],
        "status": result.status,
        "seed": result.seed,
        "suite_fingerprint": result.suite_fingerprint or None,
        "lane_policy": result.config.get("lane_policy", "endpoint"),
        "lanes": result.lanes,
        "executor": result.config.get("executor", "local"),
        "strategy_options": result.config.get("strategy_options") or {},
        "trials_lost": result.config.get("trials_lost") or {},
        "comparisons": [comparison_to_json(pair) for pair in result.ranking.comparisons],
        "pareto_frontier": frontier,
        "judge": result.config.get("judge"),
    }


def _with_key(line: dict[str, Any], keys: dict[str, str]) -> dict[str, Any]:
    """A run stored before rankings kept the key still has it on its model row."""
    if not line.get("key"):
        line["key"] = keys.get(line["model"]) or None
    return line


def _on_frontier(line: dict[str, Any], frontier: list[str]) -> dict[str, Any]:
    """A run ranked before the frontier held only qualified models has stale flags."""
    line["pareto"] = line["model"] in frontier
    return line


def write_json(result: RunResult, path: str | Path) -> None:
    """Write the run JSON to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(run_to_json(result), indent=2, ensure_ascii=False) + "\n",
                      encoding="utf-8")
