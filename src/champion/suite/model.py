"""The suite data model: one task, its prompt, output, check and cases."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from champion.suite.images import CaseImage
from champion.suite.template import Template

__all__ = [
    "CHECK_TYPES",
    "Case",
    "CheckSpec",
    "FieldRule",
    "OutputSpec",
    "Params",
    "PromptSpec",
    "QualifySpec",
    "Suite",
]

TASK_ID = re.compile(r"[a-z0-9][a-z0-9_.-]*")
CHECK_TYPES = ("label", "exact", "contains", "regex", "json_fields", "json_schema", "python")
FIELD_MODES = ("exact", "ci", "contains")

#: How one field of a ``json_fields`` check is compared:
#: ``"exact"``, ``"ci"``, ``"contains"`` or ``{"numeric": tolerance}``.
FieldRule = str | dict[str, float]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              allow_inf_nan=False)


class PromptSpec(_Frozen):
    """The system and user templates."""

    system: str | None = None
    user: str

    def templates(self) -> tuple[Template | None, Template]:
        """Parsed (system, user) templates."""
        return (Template(self.system) if self.system else None, Template(self.user))


class OutputSpec(_Frozen):
    """What the model is asked to produce and how it is parsed."""

    kind: Literal["label", "json", "text"] = "text"
    labels: tuple[str, ...] = ()
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    constrain: bool = False

    @field_validator("labels", mode="before")
    @classmethod
    def _labels_as_text(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [str(v) if isinstance(v, int | float) else v for v in value]
        return value


class CheckSpec(_Frozen):
    """How a parsed output is compared with the gold answer."""

    type: str
    fields: dict[str, FieldRule] = {}
    function: str | None = None
    ignore_case: bool = False
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")

    @field_validator("fields")
    @classmethod
    def _known_field_modes(cls, value: dict[str, FieldRule]) -> dict[str, FieldRule]:
        for name, rule in value.items():
            if isinstance(rule, str) and rule not in FIELD_MODES:
                raise ValueError(f"field {name!r}: unknown comparison {rule!r}")
            if isinstance(rule, dict) and set(rule) != {"numeric"}:
                raise ValueError(f"field {name!r}: expected {{numeric: tolerance}}")
        return value


class QualifySpec(_Frozen):
    """The qualification rule, and optional service-level ceilings.

    A model over any ceiling is disqualified with that reason; None means no limit.
    """

    min_pass_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    max_p90_latency_ms: float | None = Field(default=None, gt=0)
    max_error_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    max_cost_per_case_usd: float | None = Field(default=None, ge=0.0)
    min_json_valid_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    max_memory_mb: float | None = Field(default=None, gt=0)

    @model_serializer(mode="wrap")
    def _without_unset_ceilings(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Ceilings left unset are omitted, so a suite without them dumps (and
        # fingerprints) exactly as before they existed.
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) \
            else data


class Params(_Frozen):
    """Generation parameters shared by every candidate."""

    model_config = ConfigDict(frozen=True, extra="allow")

    temperature: float = 0.0
    max_tokens: int = Field(default=256, gt=0)
    timeout_s: float = Field(default=120.0, gt=0)
    seed: int | None = 0
    top_p: float | None = None
    stop: tuple[str, ...] = ()


class Case(_Frozen):
    """One gold-labelled test case.

    ``images`` go with the user message: file paths relative to the suite file
    or ``data:`` URIs, checked and read when the suite loads.
    """

    id: str
    vars: dict[str, Any] = {}
    expected: Any = None
    type: str | None = None
    difficulty: str | None = None
    why: str | None = None
    images: tuple[CaseImage, ...] = ()

    @model_serializer(mode="wrap")
    def _without_no_images(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A case without images dumps (and fingerprints) exactly as before images existed.
        data = handler(self)
        if isinstance(data, dict) and not data.get("images"):
            data.pop("images", None)
        return data


class Suite(_Frozen):
    """One task with its test cases."""

    task: str
    version: str = "1"
    description: str = ""
    prompt: PromptSpec
    output: OutputSpec = OutputSpec()
    check: CheckSpec | None = None
    qualify: QualifySpec = QualifySpec()
    repeats: int = Field(default=5, ge=1, le=10_000)
    params: Params = Params()
    cases: tuple[Case, ...]
    source: str = Field(default="", exclude=True)

    @field_validator("task")
    @classmethod
    def _task_id(cls, value: str) -> str:
        if not TASK_ID.fullmatch(value):
            raise ValueError(f"task {value!r} must match [a-z0-9][a-z0-9_.-]*")
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @property
    def check_spec(self) -> CheckSpec:
        """The check, defaulted from the output kind when the file has none."""
        if self.check is not None:
            return self.check
        default = {"label": "label", "json": "exact", "text": "exact"}[self.output.kind]
        return CheckSpec(type=default)

    @property
    def is_pass_fail(self) -> bool:
        """Whether this is a grading suite with PASS/FAIL polarity."""
        return {label.upper() for label in self.output.labels} == {"PASS", "FAIL"}
