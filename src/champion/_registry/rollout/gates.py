"""Stage gates: promote to a stage exactly what the stage before it serves, once checked.

``promote_from(registry, task, "preprod", "prod")`` serves on prod the run and
pair preprod serves, only when a ``champion check`` of that promotion passed
after it was made (a check made before, or of another run, does not count).
``force`` promotes without one; its reason is kept in the promotion's history
entry, as are the stage and the check that opened the gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from champion._errors import InputError
from champion._registry.entries import Registry, RegistryEntry, check_stage
from champion._store import PromotionRow

__all__ = ["GateClosed", "GatePass", "open_gate", "promote_from"]


class GateClosed(InputError):
    """No passing check of what the source stage serves was made after its promotion."""


@dataclass(frozen=True)
class GatePass:
    """An open gate: what the source stage serves, and why it may go on (kept in the
    history: the stage, its promotion, the passing check or the forced reason)."""

    entry: PromotionRow
    details: dict[str, Any]


def promote_from(registry: Registry, task: str, source: str, stage: str,
                 force: str | None = None) -> RegistryEntry:
    """Serve on ``stage`` exactly what ``source`` serves for ``task``, once a check of it
    passed (see :func:`open_gate`).

    Raises:
        GateClosed: no check of ``source``'s promotion passed after it was made.
        InputError: see :func:`open_gate`; a canary is in progress on ``stage``.
    """
    gate = open_gate(registry, task, source, stage, force)
    return registry.promote(task, gate.entry.run_id, stage, details=gate.details)


def open_gate(registry: Registry, task: str, source: str, stage: str,
              force: str | None = None) -> GatePass:
    """What ``source`` serves for ``task``, if it may go on to ``stage``.

    Args:
        force: let it go on without a passing check; the reason, kept in the history.

    Raises:
        GateClosed: no check of ``source``'s promotion passed after it was made.
        InputError: nothing is promoted on ``source``, a canary is in progress
            there, the stages are the same, or the run may no longer be promoted
            (its suite is not the task's latest).
    """
    check_stage(source)
    check_stage(stage)
    if source == stage:
        raise InputError(f"source stage {source}: promote from another stage than {stage}")
    store = registry.store
    entry = store.promotion(task, source)
    if entry is None:
        raise InputError(f"nothing is promoted for {task!r} on {source}: promote it on"
                         f" {source} first")
    if store.running_canary(task, source) is not None:
        raise InputError(f"a canary is in progress for {task!r} on {source}: what {source}"
                         " serves is not settled")
    details: dict[str, object] = {"from": source, "from_promotion": entry.id}
    passed = next((check for check in store.checks_of(task, source, entry.run_id)
                   if check.ok and check.checked_at > entry.promoted_at), None)
    if passed is not None:
        details["check_run"] = passed.check_run
        details["checked_at"] = passed.checked_at.isoformat()
    elif force:
        details["forced"] = force
    else:
        failed = next((check for check in store.checks_of(task, source, entry.run_id)
                       if check.checked_at > entry.promoted_at), None)
        why = (f"the last check (run {failed.check_run}) found {failed.champion}"
               f" {failed.status}" if failed is not None
               else f"no check of it was made since its promotion on"
               f" {entry.promoted_at:%Y-%m-%d %H:%M}")
        raise GateClosed(f"{task!r} on {source} (run {entry.run_id}) has no passing check: {why}."
                         f" Check it on {source} first, or promote anyway with a reason"
                         " (force)")
    found = registry.promotable(task, entry.run_id)
    if (found.champion_key, found.runner_up_key) != (entry.champion_key, entry.runner_up_key):
        raise InputError(f"run {entry.run_id}'s pair is not what {source} serves")
    return GatePass(entry, details)
