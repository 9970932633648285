"""What ``champion promote --canary``/``--abort`` and ``champion registry`` say of canaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from champion._registry.entries import Registry
from champion._registry.rollout.canary import CanaryPlan, abort_canary, start_canary
from champion._report.escape import terminal_text
from champion._store.canaries import CanaryRow

__all__ = ["abort_text", "canary_json", "canary_line", "start_text"]


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _ceilings(canary: CanaryRow) -> str:
    p95 = "none" if canary.max_p95_ms is None else f"{canary.max_p95_ms:g} ms"
    return (f"error rate ≤ {canary.max_error_rate:.1%}, fallback rate ≤"
            f" {canary.max_fallback_rate:.1%}, p95 ≤ {p95}, at least {canary.min_calls} calls")


def canary_line(canary: CanaryRow) -> str:
    """A canary in one line: its pair, share, plan and where it stands."""
    pair = terminal_text(canary.champion) + (
        f" → {terminal_text(canary.runner_up)}" if canary.runner_up else "")
    step = "stays" if canary.step is None else f"+{canary.step:g}% per good interval"
    return (f"canary {canary.id}: run {canary.run_id} ({pair}) at {canary.share:g}% of calls,"
            f" {step}, interval {canary.interval_no} ({_duration(canary.interval_s)} each),"
            f" {canary.bad_intervals} bad of {canary.failure_limit} allowed ({_ceilings(canary)})")


def canary_json(canary: CanaryRow) -> dict[str, Any]:
    """A canary as JSON (``champion registry --format json``)."""
    return {"id": canary.id, "run_id": canary.run_id, "champion": canary.champion,
            "runner_up": canary.runner_up, "status": canary.status, **canary.plan(),
            "interval": canary.interval_no,
            "interval_started_at": canary.interval_started_at.isoformat(),
            "bad_intervals": canary.bad_intervals,
            "started_at": canary.started_at.isoformat()}


def start_text(registry: Registry, task: str, stage: str, share: float, run_id: str | None,
               source: str | None, force: str | None,
               options: Mapping[str, float | None]) -> str:
    """Start a canary (of what ``source`` serves, once its gate opens) and say so."""
    given: dict[str, Any] = {name: value for name, value in options.items()
                             if value is not None}
    plan = CanaryPlan(share=share, **given)
    details = None
    if source is not None:
        from champion._registry.rollout.gates import open_gate

        gate = open_gate(registry, task, source, stage, force)
        run_id, details = gate.entry.run_id, gate.details
    canary = start_canary(registry, task, plan, run_id, stage, details).canary
    return (f"canary of {terminal_text(task)} on {stage} recorded: {canary_line(canary)}\n"
            f"The gateways serving {stage} carry it out; champion registry shows where it"
            f" stands, champion promote {terminal_text(task)} --stage {stage} --abort ends it.")


def abort_text(registry: Registry, task: str, stage: str) -> str:
    """End the canary in progress and say so."""
    canary = abort_canary(registry, task, stage).canary
    return (f"canary {canary.id} of {terminal_text(task)} on {stage} ended: run"
            f" {canary.run_id} serves no more calls")
