"""The suite data model: one task, its prompt, output, check and cases."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializeAsAny,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from champion._suite.document import did_you_mean, shown
from champion._suite.images import CaseImage
from champion._suite.problems import plain_error, problem_at
from champion._suite.template import Template

if TYPE_CHECKING:
    from champion._scoring.registry import UnknownKind

__all__ = [
    "LEGACY_CHECK_KEYS",
    "CalibrationCase",
    "Case",
    "CheckSpec",
    "OutputSpec",
    "Params",
    "PromptSpec",
    "QualifySpec",
    "Suite",
]

TASK_ID = re.compile(r"[a-z0-9][a-z0-9_.-]*")

#: The keys every check dumped before options were typed per check kind, with
#: their defaults. A check dumps them still, so a suite dumps (and fingerprints)
#: exactly as before, and a stored suite that holds them at these values loads.
LEGACY_CHECK_KEYS: dict[str, Any] = {"fields": {}, "function": None, "ignore_case": False,
                                     "schema": None}
_LEGACY_NAMES = {**LEGACY_CHECK_KEYS, "json_schema": None}


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
    """What the model is asked to produce and how it is parsed.

    ``kind`` names a registered output kind: ``label``, ``json``, ``text``
    or one a package adds (see :mod:`champion._scoring.registry`).
    """

    kind: str = "text"
    labels: tuple[str, ...] = ()
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    constrain: bool = False

    @field_validator("kind", mode="before")
    @classmethod
    def _registered_kind(cls, value: Any) -> Any:
        # Imported here: the registry's built-in kinds import this module.
        from champion._scoring.registry import UnknownKind, output_kind

        try:
            output_kind(value)
        except UnknownKind as exc:
            raise problem_at((), _unknown(exc)) from None
        return value

    @field_validator("labels", mode="before")
    @classmethod
    def _labels_as_text(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [str(v) if isinstance(v, int | float) else v for v in value]
        return value


class CheckSpec(_Frozen):
    """How a parsed output is compared with the gold answer.

    ``type`` names a registered check kind; ``options`` are that kind's own
    options model. In a suite file both sit flat in one mapping
    (``check: {type: json_fields, fields: {...}}``), and a check dumps so.
    """

    type: str
    options: SerializeAsAny[BaseModel]

    @model_validator(mode="before")
    @classmethod
    def _typed_options(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        from champion._scoring.registry import UnknownKind, check_kind  # see _registered_kind

        if "type" not in data:
            raise problem_at((), "missing type (a check type such as exact or json_fields)")
        name = data["type"]
        try:
            kind = check_kind(name)
        except UnknownKind as exc:
            raise problem_at(("type",), _unknown(exc)) from None
        given = data.get("options")
        if isinstance(given, BaseModel):
            if not isinstance(given, kind.Options):
                raise problem_at(("options",), f"check type {name} takes"
                                 f" {kind.Options.__name__}, not {type(given).__name__}")
            return data
        accepted = {key for field_name, field in kind.Options.model_fields.items()
                    for key in (field_name, field.alias) if key}
        flat = {key: value for key, value in data.items() if key != "type" and not (
            key in _LEGACY_NAMES and key not in accepted and value == _LEGACY_NAMES[key])}
        try:
            options = kind.Options.model_validate(flat)
        except ValidationError as exc:
            error = exc.errors()[0]
            at, about, message = plain_error(error, kind.Options)
            if error["type"] == "extra_forbidden":
                message = f"unknown key {shown(at[-1])} for check type {name}" + (
                    did_you_mean(at[-1], accepted) if accepted else " (it takes no options)")
            raise problem_at(at, message, in_parent=about != at) from None
        return {"type": name, "options": options}

    @model_serializer(mode="plain")
    def _flat(self, info: SerializationInfo) -> dict[str, Any]:
        legacy = {("json_schema" if key == "schema" and not info.by_alias else key): value
                  for key, value in LEGACY_CHECK_KEYS.items()}
        options = self.options.model_dump(mode=info.mode, by_alias=info.by_alias,
                                          exclude_defaults=True)
        return {"type": self.type, **legacy, **options}


def _unknown(exc: UnknownKind) -> str:
    """An unknown check type or output kind in plain words, with a did-you-mean."""
    if exc.problem:
        return f"{exc.what} {shown(exc.name)}: {exc.problem}"
    return (f"unknown {exc.what} {shown(exc.name)}" + did_you_mean(exc.name, exc.known)
            + " (known: " + ", ".join(exc.known) + ")")


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
    or ``data:`` URIs, checked and read when the suite loads. ``reference`` is a
    gold answer shown to a judge (``check: {type: judge}``), never compared.
    """

    id: str
    vars: dict[str, Any] = {}
    expected: Any = None
    type: str | None = None
    difficulty: str | None = None
    why: str | None = None
    images: tuple[CaseImage, ...] = ()
    reference: str | None = None

    @model_serializer(mode="wrap")
    def _without_no_images(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A case without images (or a reference) dumps and fingerprints exactly as
        # before they existed.
        data = handler(self)
        if isinstance(data, dict):
            if not data.get("images"):
                data.pop("images", None)
            if data.get("reference") is None:
                data.pop("reference", None)
        return data


class CalibrationCase(_Frozen):
    """An answer with a human verdict, which the judge grades at the start of every run.

    How often the judge agrees with these is its measured agreement for the run.
    """

    id: str
    vars: dict[str, Any] = {}
    reference: str | None = None
    answer: str
    verdict: Literal["PASS", "FAIL"]

    @field_validator("verdict", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


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
    #: Answers with human verdicts the judge grades first (``judge`` checks only).
    calibration: tuple[CalibrationCase, ...] = ()
    source: str = Field(default="", exclude=True)

    @model_serializer(mode="wrap")
    def _without_no_calibration(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A suite without calibration cases dumps exactly as before they existed.
        data = handler(self)
        if isinstance(data, dict) and not data.get("calibration"):
            data.pop("calibration", None)
        return data

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
        from champion._scoring.registry import output_kind

        return CheckSpec.model_validate({"type": output_kind(self.output.kind).default_check})

    @property
    def is_pass_fail(self) -> bool:
        """Whether this is a grading suite with PASS/FAIL polarity."""
        return {label.upper() for label in self.output.labels} == {"PASS", "FAIL"}
