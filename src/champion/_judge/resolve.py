"""Who judges a run, settled before any candidate is called.

- ``{task: T}``: the champion registered for T at the stage (prod by default)
  judges, its runner-up is the fallback judge. Each brings its measured
  agreement: the one-sided 95% Clopper–Pearson lower bound on its pass rate in
  the grading run it was promoted from. A champion under
  ``min_judge_agreement`` is refused; a runner-up under it is no fallback.
- ``{model: SPEC}``: that model judges; its agreement is unmeasured (add
  calibration cases to measure it).
- ``{panel: [SPEC, ...]}``: every model judges; a strict majority of the valid
  verdicts decides.

Every refusal is an :class:`~champion._errors.InputError` naming the task.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from champion._errors import CandidateError, InputError
from champion._judge.spec import JudgeOptions, JudgeSpec, judge_candidate
from champion._providers.candidate import Candidate, assign_ids

if TYPE_CHECKING:
    from champion._registry.entries import RegisteredModel
    from champion._store import Store

__all__ = ["JudgeMember", "ResolvedJudge", "Role", "resolve_judge"]

Role = Literal["judge", "fallback", "panel"]


@dataclass(frozen=True, slots=True)
class JudgeMember:
    """One model that judges.

    Attributes:
        candidate: how to call it (with its id).
        role: ``judge``, ``fallback`` (asked when the judge gives no verdict) or ``panel``.
        key: ``provider/model@endpoint``: the same model has the same key everywhere.
        identity: sha256 of what makes its verdicts what they are (key, the
            recorded model digest when known, its settings); part of every cache key.
        agreement_lower95: its measured agreement with gold verdicts, when measured.
    """

    candidate: Candidate
    role: Role
    key: str
    identity: str
    agreement_lower95: float | None = None

    @property
    def id(self) -> str:
        """The model's id."""
        return self.candidate.id or self.candidate.model


@dataclass(frozen=True, slots=True)
class ResolvedJudge:
    """The judge of a run: its members and where their reliability comes from.

    Attributes:
        spec: what the suite asked for.
        members: the judge and its fallback, the one model, or the panel.
        run_id: the grading run a task's judge was promoted from.
        min_agreement: the suite's ``min_judge_agreement``.
        notes: what the resolution decided beyond the obvious (a runner-up
            left out as fallback, an unmeasured agreement).
    """

    spec: JudgeSpec
    members: tuple[JudgeMember, ...]
    min_agreement: float
    run_id: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def panel(self) -> bool:
        """Whether a majority of members decides."""
        return self.spec.panel is not None

    @property
    def primary(self) -> JudgeMember:
        """The first judge asked."""
        return self.members[0]

    @property
    def fallback(self) -> JudgeMember | None:
        """The judge asked when the first gives no verdict, if any."""
        return next((m for m in self.members if m.role == "fallback"), None)


def resolve_judge(options: JudgeOptions, task: str, store: Store | None) -> ResolvedJudge:
    """The judge ``options`` name, for a suite of ``task``.

    Args:
        store: where a ``{task: T}`` judge is looked up (None: nowhere).

    Raises:
        InputError: no such task is registered, its champion is under the
            agreement floor, a task judges itself, or a model spec is unusable.
    """
    spec = options.judge
    if spec is None:
        raise InputError(f"{task}: check type judge needs judge: {{task: T}}, {{model: SPEC}}"
                         " or {panel: [SPEC, ...]}")
    if spec.task is not None:
        return _task_judge(spec, spec.task, options.min_judge_agreement, task, store)
    specs = [spec.model] if spec.model is not None else list(spec.panel or ())
    try:
        candidates = assign_ids([judge_candidate(text) for text in specs])
    except (CandidateError, ValueError) as exc:
        raise InputError(f"{task}: check.judge: {exc}") from None
    role: Role = "panel" if spec.panel is not None else "judge"
    members = tuple(JudgeMember(c, role, _key(c), identity(_key(c), None, c)) for c in candidates)
    note = ("the judge's agreement with gold verdicts is unmeasured (a judge named by"
            " model); calibration cases measure it")
    return ResolvedJudge(spec, members, options.min_judge_agreement, notes=(note,))


def _task_judge(spec: JudgeSpec, judge_task: str, floor: float, task: str,
                store: Store | None) -> ResolvedJudge:
    where = f"{task}: judge task {judge_task!r}"
    if judge_task == task:
        raise InputError(f"{where} is this task itself: a task cannot judge its own answers")
    if store is None:
        raise InputError(f"{where}: a judge named by task is read from the registry, and this"
                         " run has no database")
    from champion._registry.entries import Registry

    entry = Registry(store).entry(judge_task, spec.stage)
    if entry is None:
        raise InputError(f"{where} has no champion promoted at stage {spec.stage}: "
                         + why_unregistered(store, judge_task, spec.stage))
    if not entry.suite.is_pass_fail:
        raise InputError(f"{where} is not a PASS/FAIL grading task (its output labels:"
                         f" {', '.join(entry.suite.output.labels) or 'none'}); a judge is the"
                         " champion of a grading task")
    run = store.load_run(entry.run_id)
    bounds = {line.model: line.pass_rate_lower95 for line in run.ranking.models}
    digests = {model.model: model.digest for model in run.models}
    champion = entry.champion
    bound = bounds.get(champion.id)
    if bound is None or bound < floor:
        measured = "unknown" if bound is None else f"{bound:.1%}"
        raise InputError(f"{where}: its champion {champion.id} agrees with the gold verdicts of"
                         f" its grading suite at ≥ {measured} (one-sided 95% lower bound, run"
                         f" {entry.run_id}), under min_judge_agreement {floor:.0%}; measure it"
                         " with more repeats or cases, or lower the floor")
    members = [_member(champion, "judge", bound, digests.get(champion.id))]
    notes: list[str] = []
    runner_up = entry.runner_up
    if runner_up is not None:
        second = bounds.get(runner_up.id)
        if second is not None and second >= floor:
            members.append(_member(runner_up, "fallback", second, digests.get(runner_up.id)))
        else:
            shown = "unknown" if second is None else f"{second:.1%}"
            notes.append(f"runner-up {runner_up.id} is no fallback judge: its agreement"
                         f" ≥ {shown} is under {floor:.0%}")
    return ResolvedJudge(spec, tuple(members), floor, entry.run_id, tuple(notes))


def _member(model: RegisteredModel, role: Role, bound: float,
            digest: str | None) -> JudgeMember:
    return JudgeMember(model.candidate, role, model.key,
                       identity(model.key, digest, model.candidate), bound)


def why_unregistered(store: Store, task: str, stage: str) -> str:
    """Why nothing serves ``task`` at ``stage``, and what to do, in one sentence."""
    runs = store.run_summaries(task)
    if not runs:
        from champion._plugins import did_you_mean

        return (f"{task} was never benchmarked in this database"
                f"{did_you_mean(task, store.tasks())}; run its grading suite first")
    complete = [run for run in runs if run.status == "complete" and run.purpose != "check"]
    if not complete:
        return (f"its {len(runs)} run(s) did not complete (latest: {runs[-1].run_id},"
                f" {runs[-1].status}); finish one with champion run --resume")
    latest = complete[-1]
    if latest.champion is None:
        lines = store.load_run(latest.run_id).ranking.models
        shown = "; ".join(f"{line.model}: {line.passes}/{line.trials} correct"
                          + (f", {line.leaning}" if line.leaning else "")
                          for line in lines) or "no model ran"
        return (f"no model qualified in its latest run {latest.run_id} ({shown}), so no"
                " judge is available")
    return (f"its latest run {latest.run_id} crowned {latest.champion}, which was never"
            f" promoted to {stage}: champion promote {task} --run {latest.run_id}"
            f" --stage {stage}")


def identity(key: str, digest: str | None, candidate: Candidate) -> str:
    """sha256 of a judge model's key, recorded digest and settings (its id aside)."""
    settings = candidate.model_dump(mode="json", exclude={"id"}, exclude_defaults=True)
    canonical = json.dumps({"key": key, "digest": digest, "settings": settings},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _key(candidate: Candidate) -> str:
    from champion._registry.routes import model_key

    return model_key(candidate)


def describe(judge: ResolvedJudge) -> dict[str, Any]:
    """What the run JSON says of who judged (before the run's figures are added)."""
    spec = judge.spec
    return {
        "kind": "task" if spec.task else "panel" if spec.panel else "model",
        "task": spec.task, "stage": spec.stage if spec.task else None,
        "promoted_run": judge.run_id,
        "model": judge.primary.id if not judge.panel else None,
        "fallback": judge.fallback.id if judge.fallback else None,
        "members": [{"model": m.id, "key": m.key, "role": m.role,
                     "agreement_lower95": m.agreement_lower95} for m in judge.members],
        "agreement_lower95": judge.primary.agreement_lower95 if not judge.panel else None,
        "min_judge_agreement": judge.min_agreement,
        "notes": list(judge.notes),
    }
