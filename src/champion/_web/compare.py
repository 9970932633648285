"""Two runs of one task side by side: which cases changed verdict, which models got slower."""

from __future__ import annotations

from dataclasses import dataclass

from champion._ranking.compare import DEFAULT_MARGIN, slower_by_margin
from champion._report.view import RunView

__all__ = ["CaseChange", "ModelChange", "RunDiff", "diff_runs"]

#: p-value below which a model is called slower (by more than the margin).
ALPHA = 0.05


@dataclass(frozen=True, slots=True)
class CaseChange:
    """A case whose verdict changed for one model between two runs."""

    model: str
    case_id: str
    before: str
    after: str
    before_passes: str
    after_passes: str
    got: str | None

    @property
    def better(self) -> bool:
        """It went from wrong (or flaky) to right."""
        return self.after == "pass"


@dataclass(frozen=True, slots=True)
class ModelChange:
    """One model in both runs: status, correctness and latency then and now."""

    model: str
    before_status: str
    after_status: str
    before_pass_rate: float
    after_pass_rate: float
    before_median_ms: float | None
    after_median_ms: float | None
    #: Typical per-case latency now over then (>1: slower), paired over common cases.
    ratio: float | None
    p_value: float | None
    cases: int

    @property
    def slower(self) -> bool:
        """Significantly slower by more than the margin."""
        return self.p_value is not None and self.p_value < ALPHA

    @property
    def median_ratio(self) -> float | None:
        """Median latency now over then."""
        if self.before_median_ms and self.after_median_ms is not None:
            return self.after_median_ms / self.before_median_ms
        return None


@dataclass(frozen=True, slots=True)
class RunDiff:
    """What changed from ``base`` to ``head``."""

    base: RunView
    head: RunView
    models: list[ModelChange]
    cases: list[CaseChange]
    added: list[str]
    removed: list[str]
    margin: float

    @property
    def same_suite(self) -> bool:
        """Both runs used the same suite (when both recorded its fingerprint)."""
        a, b = self.base.summary.suite_fingerprint, self.head.summary.suite_fingerprint
        return not a or not b or a == b

    @property
    def champion_changed(self) -> bool:
        """The champion differs."""
        return self.base.result.champion != self.head.result.champion


def _per_case(view: RunView, model: str) -> dict[str, float]:
    return {case: cell.line.median_ms for (name, case), cell in view.cells.items()
            if name == model and cell.line.median_ms is not None}


def diff_runs(base: RunView, head: RunView, margin: float = DEFAULT_MARGIN) -> RunDiff:
    """Compare two runs model by model and case by case."""
    before = {m.line.model: m for m in base.models}
    after = {m.line.model: m for m in head.models}
    models = []
    cases = []
    for name, now in after.items():
        then = before.get(name)
        if then is None:
            continue
        test = slower_by_margin(_per_case(head, name), _per_case(base, name), margin)
        models.append(ModelChange(
            model=name, before_status=then.line.status, after_status=now.line.status,
            before_pass_rate=then.line.pass_rate, after_pass_rate=now.line.pass_rate,
            before_median_ms=then.line.latency_ms.median if then.line.latency_ms else None,
            after_median_ms=now.line.latency_ms.median if now.line.latency_ms else None,
            ratio=test.ratio if test else None, p_value=test.p_value if test else None,
            cases=test.cases if test else 0))
        for case_id in head.case_order:
            old, new = base.cells.get((name, case_id)), head.cells.get((name, case_id))
            if old is None or new is None or old.state == new.state:
                continue
            cases.append(CaseChange(
                model=name, case_id=case_id, before=old.state, after=new.state,
                before_passes=f"{old.line.passes}/{old.line.trials}",
                after_passes=f"{new.line.passes}/{new.line.trials}", got=new.line.got))
    return RunDiff(base=base, head=head, models=models, cases=cases,
                   added=[m for m in after if m not in before],
                   removed=[m for m in before if m not in after], margin=margin)
