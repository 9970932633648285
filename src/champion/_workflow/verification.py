"""What a verify run measured: per call, per step and in total, beside the projection."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CallRecord", "StepMeasure", "Verification", "deviation"]


def deviation(measured: float, projected: float) -> float | None:
    """(measured − projected) / projected; None when nothing was projected."""
    return None if projected <= 0 else measured / projected - 1


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass
class CallRecord:
    """One item through one step."""

    item: str
    step: str
    model: str
    latency_ms: float | None = None
    #: The model's output (secrets masked, cut to a few thousand characters).
    output: str = ""
    parsed_ok: bool = False
    #: The parsed value (label, JSON object or text).
    got: Any = None
    #: Against the gold answer of the case the item names for this step, if it names one.
    correct: bool | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as stored."""
        return {"item": self.item, "step": self.step, "model": self.model,
                "latency_ms": _round(self.latency_ms), "output": self.output,
                "parsed_ok": self.parsed_ok, "got": self.got, "correct": self.correct,
                "error": self.error}


@dataclass
class StepMeasure:
    """One step: its loads and calls as measured, and as projected."""

    step: str
    model: str
    #: Items that reach the step (as the items file says).
    reached: int = 0
    calls: int = 0
    errors: int = 0
    #: Items that reach the step but failed before it.
    skipped: int = 0
    loads: int = 0
    load_ms: float = 0.0
    call_ms: float = 0.0
    graded: int = 0
    correct: int = 0
    projected_ms: float = 0.0

    @property
    def measured_ms(self) -> float:
        """Loads plus calls."""
        return self.load_ms + self.call_ms

    def add(self, record: CallRecord) -> None:
        """Count one call."""
        self.calls += 1
        if record.latency_ms is not None:
            self.call_ms += record.latency_ms
        if record.error is not None:
            self.errors += 1
        if record.correct is not None:
            self.graded += 1
            self.correct += record.correct

    def to_json(self) -> dict[str, Any]:
        """The step's figures as stored."""
        return {"step": self.step, "model": self.model, "reached": self.reached,
                "calls": self.calls, "errors": self.errors, "skipped": self.skipped,
                "loads": self.loads, "load_ms": _round(self.load_ms),
                "call_ms": _round(self.call_ms), "measured_ms": _round(self.measured_ms),
                "projected_ms": _round(self.projected_ms),
                "deviation": _round(deviation(self.measured_ms, self.projected_ms)),
                "graded": self.graded, "correct": self.correct if self.graded else None}


@dataclass
class Verification:
    """A verify run."""

    id: str
    workflow: str
    flow: str
    items: int
    steps: list[StepMeasure]
    projected_total_ms: float
    status: str = "running"
    calls: list[CallRecord] = field(default_factory=list)
    #: Wall time of the whole run, releases and bookkeeping included.
    wall_ms: float = 0.0

    @property
    def measured_total_ms(self) -> float:
        """Every step's loads and calls."""
        return sum(step.measured_ms for step in self.steps)

    def to_json(self) -> dict[str, Any]:
        """The run as stored and as ``plan --verify --format json`` prints it."""
        graded = sum(step.graded for step in self.steps)
        return {
            "id": self.id, "workflow": self.workflow, "flow": self.flow, "status": self.status,
            "items": self.items, "steps": [step.to_json() for step in self.steps],
            "measured_total_ms": _round(self.measured_total_ms),
            "projected_total_ms": _round(self.projected_total_ms),
            "deviation": _round(deviation(self.measured_total_ms, self.projected_total_ms)),
            "wall_ms": _round(self.wall_ms),
            "graded": graded,
            "correct": sum(step.correct for step in self.steps) if graded else None,
            "calls": [record.to_json() for record in self.calls],
        }
