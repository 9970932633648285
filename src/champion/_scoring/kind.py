"""What a check kind and an output kind are: the contracts the registry holds.

A **check kind** (``check: {type: NAME, ...}`` in a suite) declares

- its options: a frozen pydantic model (:class:`CheckOptions`); an unknown key
  is an error with a did-you-mean;
- whether it compares answers with a gold answer (``needs_expected``): then
  every case must have ``expected``;
- its own load-time rules (:meth:`CheckKind.validate`, raising
  :class:`~champion._errors.SuiteError` at ``path:line``);
- how it scores (:meth:`CheckKind.build` returns a :data:`CaseCheck`, made once
  per suite and called once per trial); a kind that asks a model to grade
  (``asks_model``, the ``judge`` check) scores asynchronously instead, through
  a :class:`Grader` the run provides (:meth:`CheckKind.build_async`).

An **output kind** (``output: {kind: NAME}``) gives the parser that turns a
model's raw text into the value checks compare, and the check used when a suite
names none.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from champion._scoring.parsers import Parsed

if TYPE_CHECKING:
    from champion._records import JudgeCall, TrialKey
    from champion._suite.document import SourceDocument
    from champion._suite.model import Case, OutputSpec, Suite

__all__ = [
    "AsyncCaseCheck",
    "CaseCheck",
    "CheckKind",
    "CheckOptions",
    "CheckResult",
    "Grader",
    "OutputKind",
    "ParsedAnswer",
    "Parser",
]


class CheckOptions(BaseModel):
    """Base of a check kind's options: frozen, unknown keys refused.

    Subclass it and declare fields with defaults; ``check: {type: NAME, key: value}``
    in a suite fills them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              allow_inf_nan=False)


@dataclass(frozen=True, slots=True)
class ParsedAnswer:
    """One model answer as a check sees it.

    Attributes:
        value: the parsed answer (a label, a JSON object, the stripped text, ...).
        text: the raw text the model produced.
    """

    value: Any
    text: str


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A check's verdict on one answer.

    Attributes:
        correct: whether the answer matches the case's gold answer.
        reason: why it is wrong (ignored when correct); for a judged answer,
            the judge's reason either way.
        fields: per-field correctness, for checks that compare fields.
        unjudged: no usable verdict (a judge failed or gave none): neither
            right nor wrong.
        calls: the judge calls made (or read from the cache) to decide.
    """

    correct: bool
    reason: str | None = None
    fields: Mapping[str, bool] | None = None
    unjudged: bool = False
    calls: tuple[JudgeCall, ...] = ()



#: Scores one answer for one case.
CaseCheck = Callable[[ParsedAnswer, "Case"], CheckResult]
#: Scores one answer for one case by asking a model; the trial key links its calls.
AsyncCaseCheck = Callable[[ParsedAnswer, "Case", "TrialKey"], Awaitable[CheckResult]]


class Grader(Protocol):
    """What grades answers by asking a model, prepared for one run (a judge).

    Built before any candidate runs (see :mod:`champion._judge`); a check kind
    with ``asks_model`` scores through it.
    """

    async def grade(self, answer: ParsedAnswer, case: Case, trial: TrialKey) -> CheckResult:
        """The verdict on ``answer`` to ``case``, never raising on model output."""
        ...

OptionsT = TypeVar("OptionsT", bound=CheckOptions)


class CheckKind(abc.ABC, Generic[OptionsT]):
    """One kind of check, registered under :attr:`name`.

    Set ``Options`` to the options model (the default takes no options) and
    ``needs_expected`` to False when the check does not compare answers with a
    gold answer. Override :meth:`validate` for rules the option types cannot
    say, and implement :meth:`build`.
    """

    #: The ``check.type`` that selects this kind.
    name: ClassVar[str]
    #: The options ``check`` may carry besides ``type``.
    Options: ClassVar[type[CheckOptions]] = CheckOptions
    #: Whether every case needs ``expected`` (the gold answer this check compares with).
    needs_expected: ClassVar[bool] = True
    #: Whether the check asks a model (a judge): then it scores with
    #: :meth:`build_async` and a :class:`Grader`, and calibration cases apply.
    asks_model: ClassVar[bool] = False

    def validate(self, suite: Suite, options: OptionsT, source: SourceDocument) -> None:
        """Load-time rules beyond the option types.

        Raise ``source.error(key_path, message)`` (a :class:`SuiteError` at the
        line of ``key_path``, e.g. ``("cases", 3, "expected")``). The default
        has no further rules.
        """
        return

    @abc.abstractmethod
    def build(self, suite: Suite, options: OptionsT) -> CaseCheck:
        """A scorer for this suite: prepared once (patterns compiled, functions
        resolved), then called once per trial. Never raises on model output."""

    def build_async(self, suite: Suite, options: OptionsT, grader: Grader) -> AsyncCaseCheck:
        """The scorer of a kind that ``asks_model``, grading through ``grader``."""
        raise NotImplementedError(f"check type {self.name} scores without a model")


class Parser(Protocol):
    """Turns raw model text into a value; never raises on model output."""

    def parse(self, text: str) -> Parsed:
        """The parsed value, or ``Parsed(None, False, why)``."""
        ...


class OutputKind(abc.ABC):
    """One kind of output, registered under :attr:`name`."""

    #: The ``output.kind`` that selects this kind.
    name: ClassVar[str]
    #: The check a suite with this output gets when it names none.
    default_check: ClassVar[str] = "exact"

    def validate(self, output: OutputSpec, source: SourceDocument) -> None:
        """Load-time rules for ``output`` (raise ``source.error(...)``); default none."""
        return

    def gold_problem(self, output: OutputSpec, expected: Any) -> str | None:
        """Why no answer of this kind can ever equal ``expected``, or None.

        Checks that compare the parsed answer with the gold answer (``label``,
        ``exact``) refuse such a case when the suite loads.
        """
        return None

    @abc.abstractmethod
    def parser(self, output: OutputSpec) -> Parser:
        """The parser for answers to a suite with this output."""

