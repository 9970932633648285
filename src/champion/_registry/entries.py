"""The registry: which run's champion and runner-up serve a task on a stage.

Promotions are kept forever. Each names the run it comes from, so what a stage
serves can always be traced to the measurements behind it, and a rollback
serves again what the stage served before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from champion._errors import InputError
from champion._providers.candidate import Candidate
from champion._ranking import ModelRanking
from champion._records import ModelRun
from champion._store import PromotionRow, RunSummary, Store
from champion._store.canaries import CanaryRow
from champion._suite.model import Suite

__all__ = ["STAGES", "CanaryEntry", "Promotable", "RegisteredModel", "Registry", "RegistryEntry",
           "candidate_of", "check_stage"]

#: The stages a task is promoted through, least to most trusted.
STAGES = ("dev", "preprod", "prod")


@dataclass(frozen=True)
class RegisteredModel:
    """A registered model: how to call it and what it measured in the promoted run."""

    id: str
    key: str
    candidate: Candidate
    median_ms: float | None
    p90_ms: float | None
    pass_rate: float


@dataclass(frozen=True)
class RegistryEntry:
    """What one stage serves for one task."""

    task: str
    stage: str
    run_id: str
    promoted_at: datetime
    champion: RegisteredModel
    runner_up: RegisteredModel | None
    #: The suite of the promoted run, rebuilt from what the run stored.
    suite: Suite
    #: A canary in progress on this stage, whose pair serves a share of the calls.
    canary: CanaryEntry | None = None


@dataclass(frozen=True)
class CanaryEntry:
    """A canary in progress: its plan and state as stored, and the pair it serves
    (its run's champion, runner-up and suite)."""

    state: CanaryRow
    pair: RegistryEntry


@dataclass(frozen=True)
class Promotable:
    """A run that may be promoted for a task: its summary and its pair."""

    summary: RunSummary
    champion: ModelRun
    runner_up: ModelRun | None

    @property
    def champion_key(self) -> str:
        """The champion's model key (provider/model@endpoint)."""
        return _key(self.champion)

    @property
    def runner_up_key(self) -> str | None:
        """The runner-up's model key, None without one."""
        return None if self.runner_up is None else _key(self.runner_up)


def check_stage(stage: str) -> str:
    """``stage`` if it is one of :data:`STAGES`; InputError otherwise."""
    if stage not in STAGES:
        raise InputError(f"unknown stage {stage!r}: expected one of {', '.join(STAGES)}")
    return stage


def candidate_of(model: ModelRun) -> Candidate:
    """The candidate a run recorded for a model, enough to call it again.

    Runs recorded before candidates were stored give back provider, model name
    and endpoint.
    """
    if model.candidate:
        known = {name: value for name, value in model.candidate.items()
                 if name in Candidate.model_fields}
        known.setdefault("id", model.model)
        return Candidate.model_validate(known)
    return Candidate(id=model.model, provider=model.provider, model=model.model_name,
                     base_url=model.base_url)


class Registry:
    """Promotions, rollbacks and what each stage serves, kept in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def entry(self, task: str, stage: str = "prod") -> RegistryEntry | None:
        """What ``stage`` serves for ``task`` (or a workflow step, ``WORKFLOW/STEP``);
        None when nothing was promoted there."""
        row = self.store.promotion(task, check_stage(stage))
        if row is None and "/" in task:
            row = next((r for r in self.store.workflow_routes(stage) if r.task == task), None)
        if row is None:
            return None
        canary = self.store.running_canary(task, stage)
        return self._with_canary(self._entry(row), canary)

    def entries(self, stage: str | None = None) -> list[RegistryEntry]:
        """Every task's current entry (on one stage, if given), by task then stage.

        A promoted workflow's steps are entries too, named ``WORKFLOW/STEP``:
        the step's planned model and fallback, with its task's suite.
        """
        if stage is not None:
            check_stage(stage)
        rows = self.store.current_promotions(stage) + self.store.workflow_routes(stage)
        canaries = {(c.task, c.stage): c for c in self.store.running_canaries(stage)}
        return [self._with_canary(self._entry(row), canaries.get((row.task, row.stage)))
                for row in sorted(rows, key=lambda r: (r.task, r.stage))]

    def version(self) -> int:
        """A number that changes with every promotion or rollback."""
        return self.store.registry_version()

    def promote(self, task: str, run_id: str | None = None, stage: str = "prod",
                details: dict[str, Any] | None = None) -> RegistryEntry:
        """Serve a run's champion and runner-up on ``stage``.

        The run defaults to the task's latest complete run. Refused (InputError)
        when the run is not the task's, is not complete, has no champion, or was
        measured on another suite than the task's latest run (see
        :meth:`promotable`), and while a canary is in progress there.
        ``details`` are kept with the promotion in its history.
        """
        check_stage(stage)
        self._no_canary(task, stage)
        found = self.promotable(task, run_id)
        row = self.store.add_promotion(
            task=task, stage=stage, run_id=found.summary.run_id, champion=found.champion.model,
            champion_key=found.champion_key, runner_up=None if found.runner_up is None
            else found.runner_up.model, runner_up_key=found.runner_up_key, details=details)
        return self._entry(row)

    def promotable(self, task: str, run_id: str | None = None) -> Promotable:
        """The run ``run_id`` of ``task`` (default: its latest complete benchmark) and its
        pair, if it may be promoted.

        Raises:
            InputError: the run is not the task's, is not complete, has no champion,
                or was measured on another suite than the task's latest run.
        """
        store = self.store
        if run_id is None:  # the latest complete benchmark (a check's re-run is not one)
            summary = next((run for run in reversed(store.run_summaries(task))
                            if run.status == "complete" and run.purpose != "check"), None)
            if summary is None:
                raise InputError(f"{task!r} has no complete run to promote")
        else:
            summary = store.run_summary(run_id)
        if summary.task != task:
            raise InputError(f"run {summary.run_id} is a run of {summary.task!r}, not {task!r}")
        if summary.status != "complete":
            raise InputError(f"run {summary.run_id} is {summary.status}, not complete: resume"
                             f" run {summary.run_id} to finish it")
        if summary.champion is None:
            raise InputError(f"run {summary.run_id} has no champion: no model qualified")
        latest = store.latest_run(task)
        if latest is not None and latest.suite_fingerprint != summary.suite_fingerprint:
            raise InputError(
                f"run {summary.run_id} measured an older suite of {task!r} (fingerprint"
                f" {summary.suite_fingerprint[:12] or 'unknown'}) than its latest run"
                f" {latest.run_id} ({latest.suite_fingerprint[:12] or 'unknown'}): promote a"
                " run of the current suite")
        models = {m.model: m for m in store.models(summary.run_id)}
        return Promotable(summary, models[summary.champion],
                          models.get(summary.runner_up) if summary.runner_up else None)

    def rollback(self, task: str, stage: str = "prod") -> RegistryEntry:
        """Serve again what ``stage`` served before its current entry (refused while a
        canary is in progress there)."""
        check_stage(stage)
        self._no_canary(task, stage)
        return self._entry(self.store.roll_back_promotion(task, stage))

    def promotions(self, task: str, stage: str | None = None) -> list[PromotionRow]:
        """Every promotion and rollback of ``task``, and its canaries' events (start,
        steps, holds, bad intervals, rollback, abort), oldest first."""
        return self.store.promotion_history(task, stage)

    def canary_entry(self, state: CanaryRow) -> CanaryEntry:
        """A stored canary with the pair it serves."""
        return CanaryEntry(state, self._entry(PromotionRow(
            id=0, task=state.task, stage=state.stage, run_id=state.run_id,
            champion=state.champion, champion_key=state.champion_key,
            runner_up=state.runner_up, runner_up_key=state.runner_up_key,
            promoted_at=state.started_at, previous_id=None, action="canary",
            canary_id=state.id, share=state.share)))

    def _with_canary(self, entry: RegistryEntry, canary: CanaryRow | None) -> RegistryEntry:
        return entry if canary is None else replace(entry, canary=self.canary_entry(canary))

    def _no_canary(self, task: str, stage: str) -> None:
        running = self.store.running_canary(task, stage)
        if running is not None:
            raise InputError(
                f"a canary of run {running.run_id} is in progress for {task!r} on {stage} at"
                f" {running.share:g}%: let it finish, or abort it first")

    def _entry(self, row: PromotionRow) -> RegistryEntry:
        run = self.store.load_run(row.run_id)
        models = {m.model: m for m in run.models}
        lines = {line.model: line for line in run.ranking.models}

        def registered(model_id: str) -> RegisteredModel:
            model = models[model_id]
            return _registered(model, lines.get(model_id))

        return RegistryEntry(
            task=row.task, stage=row.stage, run_id=row.run_id, promoted_at=row.promoted_at,
            champion=registered(row.champion),
            runner_up=None if row.runner_up is None else registered(row.runner_up),
            suite=Suite.model_validate(run.suite_json))


def _key(model: ModelRun) -> str:
    if model.key:
        return model.key
    from champion._registry.routes import model_key

    return model_key(candidate_of(model))


def _registered(model: ModelRun, line: ModelRanking | None) -> RegisteredModel:
    latency = None if line is None else line.latency_ms
    return RegisteredModel(
        id=model.model, key=_key(model), candidate=candidate_of(model),
        median_ms=None if latency is None else latency.median,
        p90_ms=None if latency is None else latency.p90,
        pass_rate=0.0 if line is None else line.pass_rate)
