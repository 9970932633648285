"""What the router hands back: an :class:`Answer`, or an error that says why not.

::

    ChampionError
     ├── InputError
     │    └── UnknownTask       no registered champion (and no override) for the task
     ├── OverCapacity          a model's calls in flight and its queue are full: refused at once
     └── RoutingError           a task could not be answered
          ├── AllModelsFailed   every model failed; ``failures`` names each
          ├── DisagreementError verify=True and the models did not agree
          └── JudgeRejected     verify="judge" and the judge passed no answer
                                (champion._judge.production)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from champion._errors import ChampionError, InputError

__all__ = [
    "AllModelsFailed",
    "Answer",
    "DisagreementError",
    "FailureKind",
    "ModelFailure",
    "OverCapacity",
    "RoutingError",
    "UnknownTask",
]

#: Why one model did not serve: a provider error kind, output the task's parser
#: rejects, a breaker that is open, no room in its queue, or (``verify="judge"``)
#: an answer the task's judge did not pass.
FailureKind = Literal["timeout", "unavailable", "rate_limited", "rejected", "protocol",
                      "internal", "unparseable", "circuit_open", "over_capacity",
                      "judge_fail"]


@dataclass(frozen=True, slots=True)
class Answer:
    """One served answer.

    Attributes:
        task: the task that was asked.
        value: the parsed value (a label, a JSON object or the stripped text).
        text: the model's raw answer text (untrusted).
        served_by: the id of the model that answered.
        model: the name the backend knows that model by.
        fallback_reason: why the champion did not serve; None when it did.
        timings: ``prompt_build_ms``, ``queue_ms`` (waiting for a turn on a busy
            model), ``inference_ms``, ``parse_ms``, ``total_ms``.
        verified: both models answered and agreed (``verify=True``), or the
            task's judge passed the answer (``verify="judge"``).
        prompt_tokens: as the backend counted them, when it did.
        completion_tokens: as the backend counted them, when it did.
        finish_reason: why the model stopped, as the backend said (``stop``;
            ``length`` when ``max_tokens`` cut the answer), when it said.
    """

    task: str
    value: Any
    text: str
    served_by: str
    model: str
    fallback_reason: str | None
    timings: Mapping[str, float]
    verified: bool = False
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ModelFailure:
    """Why one model did not serve a call.

    Attributes:
        model: the model's id.
        role: ``champion`` or ``runner-up``.
        kind: what went wrong.
        message: the detail, secrets masked; model output in it is quoted and cut.
        attempts: calls made to the model (0 when its breaker was open).
    """

    model: str
    role: str
    kind: FailureKind
    message: str
    attempts: int = 1

    def __str__(self) -> str:
        return f"{self.role} {self.model}: {self.message}"


class UnknownTask(InputError):
    """The registry has no champion for the task at this stage, and no override names one."""

    def __init__(self, task: str, stage: str) -> None:
        super().__init__(f"no champion registered for task {task!r} at stage {stage!r};"
                         " promote a run of it first")
        self.task = task
        self.stage = stage


class OverCapacity(ChampionError):
    """A model has ``limit`` calls in flight and ``queue`` more waiting (``queue_full``),
    or a waiting call's turn did not come before its deadline (``queue_timeout``).

    Attributes:
        model: the model's id.
        reason: ``queue_full`` or ``queue_timeout``.
        retry_after_s: when trying again may find room (whole seconds).
    """

    def __init__(self, model: str, reason: str, limit: int, queue: int,
                 retry_after_s: float = 1.0) -> None:
        what = (f"{limit} calls in flight and {queue} waiting" if reason == "queue_full"
                else "no turn came before the call's deadline")
        super().__init__(f"{model} is over capacity: {what}")
        self.model = model
        self.reason = reason
        self.retry_after_s = retry_after_s


class RoutingError(ChampionError):
    """A task could not be answered."""

    def __init__(self, message: str, task: str, failures: tuple[ModelFailure, ...]) -> None:
        super().__init__(message)
        self.task = task
        self.failures = failures


class AllModelsFailed(RoutingError):
    """Every model of the task failed; ``failures`` holds one entry per model."""

    def __init__(self, task: str, failures: tuple[ModelFailure, ...]) -> None:
        super().__init__(f"{task}: every model failed: " + "; ".join(map(str, failures)),
                         task, failures)

    @property
    def timed_out(self) -> bool:
        """Whether every model that was called ran out of time."""
        called = [f for f in self.failures if f.kind != "circuit_open"]
        return bool(called) and all(f.kind == "timeout" for f in called)


class DisagreementError(RoutingError):
    """``verify=True`` and the two models did not give the same answer.

    Attributes:
        champion: the champion's answer, None when it failed (see ``failures``).
        runner_up: the runner-up's answer, None when it failed.
    """

    def __init__(self, task: str, champion: Answer | None, runner_up: Answer | None,
                 failures: tuple[ModelFailure, ...] = ()) -> None:
        if champion is not None and runner_up is not None:
            message = (f"{task}: the models disagree: {champion.served_by} answered"
                       f" {_show(champion.value)}, {runner_up.served_by} answered"
                       f" {_show(runner_up.value)}")
        else:
            message = f"{task}: cannot verify, only one model answered: " + "; ".join(
                map(str, failures))
        super().__init__(message, task, failures)
        self.champion = champion
        self.runner_up = runner_up


def _show(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
