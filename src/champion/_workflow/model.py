"""The workflow data model: steps that each run one task, in an order, under a budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from champion._suite.model import TASK_ID

__all__ = ["ITEM", "Budget", "InputRef", "Step", "Workflow"]

#: The name ``inputs`` use for the item's own vars (``{text: item.message}``).
ITEM = "item"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Budget(_Frozen):
    """What the pipeline may use: memory of the models resident at once, and time per item.

    Attributes:
        memory_gb: the models resident at the same moment must fit in this
            (1 GB = 1000 MB); None: no limit.
        max_item_ms: ceiling on one item's time through every step (the steps'
            median latencies, plus in ``item`` flow the loads an item waits for).
    """

    memory_gb: float | None = Field(default=None, gt=0)
    max_item_ms: float | None = Field(default=None, gt=0)

    @property
    def memory_mb(self) -> float | None:
        """The memory budget in MB."""
        return None if self.memory_gb is None else self.memory_gb * 1000


@dataclass(frozen=True, slots=True)
class InputRef:
    """Where a template var of a step comes from: a step's parsed output (or a field
    of it), or the item's own var (source :data:`ITEM`)."""

    source: str
    field: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> InputRef:
        """``step``, ``step.field``, ``step.field.sub`` or ``item.var``."""
        source, *path = text.split(".")
        return cls(source, tuple(path))

    def __str__(self) -> str:
        return ".".join((self.source, *self.field))


class Step(_Frozen):
    """One step: a task run on every item that reaches it.

    Attributes:
        id: the step's name in the workflow.
        task: the task (suite) whose stored rankings say which models qualify.
        after: steps that run before this one.
        share: the share of items that reach this step, in (0, 1].
        inputs: template var → ``step.field`` (a field of an earlier step's
            parsed JSON output), ``step`` (its whole label or text output) or
            ``item.var`` (the item's own var). Vars not named here come from
            the item's var of the same name.
    """

    id: str
    task: str
    after: tuple[str, ...] = ()
    share: float = 1.0
    inputs: dict[str, str] = {}

    @field_validator("id", "task")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not TASK_ID.fullmatch(value):
            raise ValueError(f"{value!r} must match [a-z0-9][a-z0-9_.-]*")
        return value

    @field_validator("after", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("share")
    @classmethod
    def _share(cls, value: float) -> float:
        if not 0 < value <= 1:
            raise ValueError(f"share {value:g} must be in (0, 1]: the share of items that"
                             " reach the step")
        return value

    def input_refs(self) -> dict[str, InputRef]:
        """The parsed ``inputs``."""
        return {var: InputRef.parse(ref) for var, ref in self.inputs.items()}


class Workflow(_Frozen):
    """A pipeline of steps, planned jointly (one model per step).

    ``steps`` are kept in the order they run: the file's order, with every
    step after the steps it names in ``after``.
    """

    workflow: str
    description: str = ""
    budget: Budget = Budget()
    flow: Literal["wave", "item"] = "wave"
    steps: tuple[Step, ...]
    source: str = Field(default="", exclude=True)

    @field_validator("workflow")
    @classmethod
    def _name(cls, value: str) -> str:
        if not TASK_ID.fullmatch(value):
            raise ValueError(f"workflow {value!r} must match [a-z0-9][a-z0-9_.-]*")
        return value

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError when there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def upstream(self, step_id: str) -> set[str]:
        """Every step that runs before ``step_id`` through ``after``, transitively."""
        seen: set[str] = set()
        pending = list(self.step(step_id).after)
        while pending:
            name = pending.pop()
            if name not in seen:
                seen.add(name)
                pending.extend(self.step(name).after)
        return seen
