"""The executor contract: turn (model, case, batch) work into :class:`Trial` records.

The session decides what runs and when (the strategy's waves, lanes, what is
stored already, when a model is stopped); an executor only executes: it loads
a model where it runs, warms it up, runs the trials it is handed one after
another (or a few in flight) and hands each finished trial back as it
finishes. It never writes to the store, never filters by what is stored and
never talks to the listener: the session does all of that with what the
executor yields.

An executor is registered by name (``executors.register("name")`` or the
``champion.executors`` entry-point group) and built with the run's
:class:`RunSetup` and its own typed options.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from champion._errors import InputError
from champion._providers.candidate import Candidate
from champion._records import JudgeCall, ModelRun, Trial
from champion._runner.config import RunConfig
from champion._runner.lanes import Placement
from champion._scoring.kind import Grader
from champion._suite.model import Case, Suite

__all__ = [
    "Executor",
    "ExecutorEvent",
    "ExecutorOptions",
    "ModelReady",
    "RunSetup",
    "TrialLost",
    "Work",
    "parse_executor_options",
]


class ExecutorOptions(BaseModel):
    """Base of an executor's typed options (``executor_options``); none by default."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True, slots=True)
class RunSetup:
    """What every executor is built from.

    Attributes:
        suite: the task (prompt, output, check, cases, params).
        candidates: the models of the run, with ids.
        config: the run's settings (retries, warm-up, concurrency, ...).
        grader: the run's judge, when the suite's check asks a model to grade.
    """

    suite: Suite
    candidates: tuple[Candidate, ...]
    config: RunConfig
    grader: Grader | None = None


@dataclass(frozen=True, slots=True)
class ModelReady:
    """A model is loaded and warmed up (or could not be), before its trials.

    Attributes:
        run: what is known of the model now: cold start, memory, identity,
            load or warm-up errors, notes.
        first_load: this is the model's first load in this process (a later
            wave may load it again; that is no new cold start).
        excluded: why the model failed preflight (a missing package or key,
            an unknown model, a constrained-output mode the server rejects);
            it then runs no trial. An executor whose workers can be lost also
            says so when a model can run no further (no node can hold it any
            more); the session then stops the model with that reason.
    """

    run: ModelRun
    first_load: bool = True
    excluded: str | None = None


@dataclass(frozen=True, slots=True)
class TrialLost:
    """A trial that was in flight when the worker running it was lost (its node died,
    its process crashed): an infrastructure loss, never a wrong answer.

    It is not a trial: nothing is stored under its (model, case, batch), the
    strategy never sees it, and the executor runs it again where the model can
    still run. The session counts losses into the model's notes and the run.

    Attributes:
        model: the candidate's id.
        case_id: the case that was asked.
        batch: its batch.
        reason: what was lost (the node, the error), for the notes.
    """

    #: The error kind of a lost trial, beside those of error trials.
    kind: ClassVar[str] = "lost"

    model: str
    case_id: str
    batch: int
    reason: str


@dataclass(frozen=True, slots=True)
class Work:
    """One model's share of a wave, handed to the executor.

    Attributes:
        model: the candidate's id.
        lane: the lane it runs in (models of one lane run one after another;
            a local executor keeps at most one model of a lane loaded).
        trials: (case, batch) pairs still to run, in order, produced lazily.
        keep_running: asked before each trial; False when the strategy stopped
            the model (trials already in flight may still finish).
    """

    model: str
    lane: str
    trials: Iterator[tuple[Case, int]]
    keep_running: Callable[[], bool]


#: What an executor yields: a model ready (or not), a finished trial, a trial lost
#: with its worker, a judge's call on a trial's answer.
ExecutorEvent = ModelReady | Trial | TrialLost | JudgeCall


class Executor(abc.ABC):
    """Runs models' trials somewhere and yields what happened, as it happens."""

    name: ClassVar[str]
    #: The typed options this executor takes.
    Options: ClassVar[type[ExecutorOptions]] = ExecutorOptions

    def __init__(self, setup: RunSetup, options: ExecutorOptions | None = None) -> None:
        self.setup = setup
        self.options = options if options is not None else self.Options()

    @abc.abstractmethod
    def models(self) -> Mapping[str, ModelRun]:
        """What is known of every model before any loads (key, candidate, price)."""

    @abc.abstractmethod
    def placement(self, model: str) -> Placement:
        """Where ``model`` runs: its host (machine) and endpoint."""

    @abc.abstractmethod
    def preflight(self) -> Mapping[str, str]:
        """Models that cannot run at all, known before any call: id → why."""

    @abc.abstractmethod
    def execute(self, work: Work) -> AsyncGenerator[ExecutorEvent, None]:
        """Load (or reuse) the model, then yield :class:`ModelReady` once and each
        :class:`Trial` as it finishes, until the work is done or stopped; a judged
        trial's :class:`JudgeCall` records come just before it.

        An executor whose workers can be lost yields a :class:`TrialLost` for each
        trial in flight on a lost worker, then (when the model could be placed
        again) another :class:`ModelReady` and the lost trials run anew."""

    @asynccontextmanager
    async def wave(self, models: Sequence[str]) -> AsyncIterator[None]:
        """Around one wave (a local executor keeps the garbage collector quiet)."""
        yield

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release every model still loaded and close connections."""


def parse_executor_options(executor: type[Executor], raw: Mapping[str, Any]
                           ) -> ExecutorOptions:
    """``raw`` as ``executor``'s options.

    Raises:
        InputError: an unknown option or a bad value.
    """
    from champion._plugins import did_you_mean

    model = executor.Options
    known = sorted(model.model_fields)
    for key in raw:
        if key not in model.model_fields:
            raise InputError(f"executor {executor.name!r} has no option {key!r}"
                             f"{did_you_mean(key, known)} (its options:"
                             f" {', '.join(known) or 'none'})")
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise InputError(f"executor {executor.name!r} option {where}: {error['msg']}") from None
