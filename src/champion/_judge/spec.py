"""What a suite says about its judge: the ``judge`` check's options.

::

    check:
      type: judge
      rubric: PASS when ... FAIL otherwise.
      judge: {task: job-posting-grading}      # or {model: SPEC} or {panel: [SPEC, ...]}
      min_judge_agreement: 0.9
      template: {system: ..., user: ...}      # optional; see champion._judge.prompt

Options are plain data, checked when the suite loads; the registry and the
models are consulted only when a run (or ``validate --db``) resolves the judge.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from champion._errors import CandidateError
from champion._scoring.kind import CheckOptions
from champion._suite.problems import problem_at

__all__ = ["STAGES", "JudgeOptions", "JudgeSpec", "JudgeTemplateSpec", "judge_candidate"]

#: Registry stages a ``{task: T}`` judge may be read from (the registry's own).
STAGES = ("dev", "preprod", "prod")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              allow_inf_nan=False)


def judge_candidate(spec: str) -> Any:
    """The candidate a ``PROVIDER/MODEL[@BASE_URL]`` spec names (no id assigned).

    Raises:
        CandidateError: the spec is malformed, or names several models.
    """
    from champion._providers.candidate import parse_spec

    if spec.strip() == "builtin" or "*" in spec:
        raise CandidateError(f"{spec!r} names several models; a judge is one model"
                             " (e.g. llamacpp/builtin:smollm2-135m)")
    return parse_spec(spec)


class JudgeSpec(_Frozen):
    """Who judges: exactly one of ``task``, ``model`` or ``panel``.

    Attributes:
        task: a grading task whose registered champion judges (its runner-up
            is the fallback judge); read at ``stage``.
        stage: the registry stage of ``task`` (default prod).
        model: one model spec, ``PROVIDER/MODEL[@BASE_URL]``.
        panel: several model specs; a verdict needs a strict majority of the
            valid verdicts (a tie leaves the answer unjudged).
    """

    task: str | None = None
    stage: str = "prod"
    model: str | None = None
    panel: tuple[str, ...] | None = None

    @field_validator("model")
    @classmethod
    def _one_model(cls, value: str | None) -> str | None:
        if value is not None:
            _checked_spec(value, ())
        return value

    @field_validator("panel")
    @classmethod
    def _panel_models(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return value
        if len(value) < 2:
            raise problem_at((), "a panel needs at least two models (one model is"
                             " judge: {model: SPEC})")
        for index, spec in enumerate(value):
            _checked_spec(spec, (index,))
        if len(set(value)) != len(value):
            raise problem_at((), "a panel names the same model twice")
        return value

    @field_validator("stage")
    @classmethod
    def _known_stage(cls, value: str) -> str:
        if value not in STAGES:
            raise problem_at((), f"unknown stage {value!r}: expected one of {', '.join(STAGES)}")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> JudgeSpec:
        given = [name for name in ("task", "model", "panel") if getattr(self, name) is not None]
        if len(given) != 1:
            said = ", ".join(given) if given else "none of them"
            raise problem_at((), "a judge is exactly one of task: T, model: SPEC or"
                             f" panel: [SPEC, ...] (given: {said})")
        if self.stage != "prod" and self.task is None:
            raise problem_at(("stage",), "stage applies to a judge named by task")
        return self

    @property
    def describe(self) -> str:
        """``task job-posting-grading (prod)``, ``model ollama/x``, ``panel of 3``."""
        if self.task is not None:
            return f"task {self.task} ({self.stage})"
        if self.model is not None:
            return f"model {self.model}"
        return f"panel of {len(self.panel or ())}"


def _checked_spec(spec: str, at: tuple[int, ...]) -> None:
    try:
        judge_candidate(spec)
    except CandidateError as exc:
        raise problem_at(at, str(exc)) from None
    except ValueError as exc:  # the Candidate model's own rules (unknown provider, ...)
        raise problem_at(at, f"{spec!r}: {exc}") from None


class JudgeTemplateSpec(_Frozen):
    """The judge's prompt: one user message under an optional system prompt.

    Placeholders: ``{rubric}``, ``{inputs}`` (the case's vars, one ``name: value``
    line each), ``{reference}`` (the case's reference answer under a heading, or
    nothing), ``{answer}`` (the answer graded) and any var of the cases.
    """

    system: str | None = None
    user: str


class JudgeOptions(CheckOptions):
    """Options of the ``judge`` check.

    Attributes:
        rubric: what PASS and FAIL mean for this task (required).
        judge: who judges (required).
        min_judge_agreement: a ``{task: T}`` judge whose measured agreement
            (the one-sided 95% lower bound on its pass rate in the run it was
            promoted from) is under this is refused.
        template: the judge's prompt (default: :data:`champion._judge.prompt.DEFAULT_TEMPLATE`).
        max_tokens: the judge's answer length (verdict and reason).
        timeout_s: each judge call's deadline.
        constrain: restrict the judge's decoding to PASS/FAIL (no reason then).
    """

    rubric: str = ""
    judge: JudgeSpec | None = None
    min_judge_agreement: float = Field(default=0.9, ge=0.0, le=1.0)
    template: JudgeTemplateSpec | None = None
    max_tokens: int = Field(default=96, gt=0, le=8192)
    timeout_s: float = Field(default=120.0, gt=0)
    constrain: bool = False
