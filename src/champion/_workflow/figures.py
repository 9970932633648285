"""What the plan is made of: per step, the qualified models of its task's
latest complete benchmark of the current suite; per model, its cold start and memory.

A step's task's *current suite* is the suite fingerprint of its latest run;
the plan reads the latest complete run of that fingerprint made to benchmark
(a ``check`` re-run of a registered pair is not one). Models are told apart
by key (``provider/model@endpoint``), so a model qualified on several steps
is the same model there. A model's cold start and memory are the largest
measured in those runs (a model's memory: ``memory_mb`` as measured, else its
candidate's ``size_gb``).
"""

from __future__ import annotations

from dataclasses import dataclass

from champion._errors import InputError
from champion._records import ModelRun
from champion._registry.entries import candidate_of
from champion._store import RunSummary, Store
from champion._suite.model import Suite
from champion._workflow.model import Step, Workflow

__all__ = ["ModelCost", "Option", "PlanInputs", "StepChoice", "gather"]


@dataclass(frozen=True, slots=True)
class Option:
    """A model qualified for one step: its id in the step's run and its median latency."""

    key: str
    id: str
    median_ms: float
    #: 0 for the step's champion, 1 for its runner-up, ...
    rank: int


@dataclass(frozen=True, slots=True)
class ModelCost:
    """What using a model costs besides its calls."""

    key: str
    id: str
    cold_start_ms: float | None
    memory_mb: float | None
    #: ``measured``, ``size_gb`` (the candidate's declared size) or ``unknown``.
    memory_source: str


@dataclass(frozen=True)
class StepChoice:
    """One step with the run it is planned from and its qualified models, by rank."""

    step: Step
    run_id: str
    suite: Suite
    options: tuple[Option, ...]
    #: Every model of the run, by id (how to call it).
    models: dict[str, ModelRun]

    @property
    def champion(self) -> Option | None:
        """The task's own champion in that run."""
        return self.options[0] if self.options else None

    def option(self, key: str) -> Option | None:
        """The qualified model with this key, if it is one."""
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True)
class PlanInputs:
    """Everything the plan is computed from."""

    workflow: Workflow
    steps: tuple[StepChoice, ...]
    models: dict[str, ModelCost]


def gather(store: Store, workflow: Workflow) -> PlanInputs:
    """Each step's latest complete benchmark of its task's current suite.

    Raises:
        InputError: a step's task has no such run.
    """
    steps = tuple(_step_choice(store, step) for step in workflow.steps)
    return PlanInputs(workflow, steps, _costs(steps))


def _benchmark(store: Store, step: Step) -> RunSummary:
    summaries = store.run_summaries(step.task)
    if not summaries:
        raise InputError(f"step {step.id!r}: no stored run of task {step.task!r}")
    current = summaries[-1].suite_fingerprint
    found = next((run for run in reversed(summaries) if run.status == "complete"
                  and run.purpose != "check" and run.suite_fingerprint == current), None)
    if found is None:
        raise InputError(
            f"step {step.id!r}: task {step.task!r} has no complete benchmark of its current"
            f" suite (latest run {summaries[-1].run_id} is {summaries[-1].status}): resume run"
            f" {summaries[-1].run_id} to finish it, or run the suite again")
    return found


def _step_choice(store: Store, step: Step) -> StepChoice:
    summary = _benchmark(store, step)
    run = store.load_run(summary.run_id)
    models = {m.model: m for m in run.models}
    options: list[Option] = []
    for line in run.ranking.models:
        model = models.get(line.model)
        if not line.qualified or model is None or line.latency_ms is None:
            continue
        options.append(Option(key=_key(model), id=line.model, median_ms=line.latency_ms.median,
                              rank=len(options)))
    return StepChoice(step=step, run_id=run.run_id, suite=Suite.model_validate(run.suite_json),
                      options=tuple(options), models=models)


def _key(model: ModelRun) -> str:
    if model.key:
        return model.key
    from champion._registry.routes import model_key

    return model_key(candidate_of(model))


def _costs(steps: tuple[StepChoice, ...]) -> dict[str, ModelCost]:
    seen: dict[str, list[ModelRun]] = {}
    names: dict[str, str] = {}
    for choice in steps:
        for option in choice.options:
            seen.setdefault(option.key, []).append(choice.models[option.id])
            names.setdefault(option.key, option.id)
    costs = {}
    for key, runs in seen.items():
        starts = [m.cold_start_ms for m in runs if m.cold_start_ms is not None]
        measured = [m.memory_mb for m in runs if m.memory_mb is not None]
        sizes = [size for m in runs if (size := candidate_of(m).size_gb) is not None]
        memory, source = ((max(measured), "measured") if measured else
                          (max(sizes) * 1000, "size_gb") if sizes else (None, "unknown"))
        costs[key] = ModelCost(key=key, id=names[key],
                               cold_start_ms=max(starts) if starts else None,
                               memory_mb=memory, memory_source=source)
    return costs
