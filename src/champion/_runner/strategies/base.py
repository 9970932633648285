"""The strategy contract: decide *what* runs next from the trials so far.

A strategy sees the run's plan (models, cases, K batches, seed, the pass-rate
rule), its own typed options, and every finished trial as an :class:`Outcome`.
The session asks it for waves: a wave is a list of models to run now (models
on different lanes run at the same time, models on one lane one after
another). When a lane reaches a model, the session asks
:meth:`Strategy.trials_for` which (case, batch) pairs to run, so the order can
use what other models measured meanwhile; before every trial it asks
:meth:`Strategy.keep_running`.

A strategy's state is a function of the outcomes it observed: on resume the
stored trials are replayed through :meth:`Strategy.observe`, so the run goes
on where it stopped, and a model the strategy stopped is not run again.

A strategy declares the batches it may ever plan (:attr:`Strategy.max_batches`);
the session sizes what it tracks from that, and planning a batch beyond it is
an error, never a silently dropped trial.
"""

from __future__ import annotations

import abc
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from champion._errors import InputError

__all__ = [
    "Outcome",
    "RunPlan",
    "Strategy",
    "StrategyOptions",
    "batch_order",
    "parse_options",
]


def batch_order(cases: Sequence[str], seed: int, batch: int) -> list[str]:
    """The case order of one batch: a shuffle fixed by (seed, batch)."""
    order = list(cases)
    random.Random(seed * 1_000_003 + batch).shuffle(order)
    return order


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What a strategy plans over.

    Attributes:
        models: candidate ids, in the order given.
        cases: case ids, in suite order.
        repeats: K, the batches every qualifying model runs.
        seed: fixes the case order of each batch.
        min_pass_rate: the qualification rule.
    """

    models: tuple[str, ...]
    cases: tuple[str, ...]
    repeats: int
    seed: int
    min_pass_rate: float = 1.0

    def batch_order(self, batch: int) -> list[str]:
        """The shuffled case order of ``batch``."""
        return batch_order(self.cases, self.seed, batch)

    @property
    def allowed_failures(self) -> int:
        """Failures a model may have over K batches and still qualify."""
        return int((1 - self.min_pass_rate) * len(self.cases) * self.repeats + 1e-9)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a strategy sees of one finished trial.

    ``unjudged``: a judge gave no usable verdict on the answer; the trial is
    neither a pass nor a failure (``correct`` is False but means nothing), and
    a strategy counts it as neither. A resumed run judges it again first.
    """

    model: str
    case_id: str
    batch: int
    correct: bool
    error: bool
    latency_ms: float | None
    unjudged: bool = False


class StrategyOptions(BaseModel):
    """Base of a strategy's typed options (``--strategy-option KEY=VALUE``).

    Stored with the run and restored on resume. A subclass declares its fields
    with defaults; unknown keys and values of the wrong type are input errors.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")


def parse_options(strategy: type[Strategy], raw: Mapping[str, Any]) -> StrategyOptions:
    """``raw`` (values may be text, as given on a command line) as ``strategy``'s options.

    Raises:
        InputError: an unknown option (with the known ones) or a bad value.
    """
    from champion._plugins import did_you_mean

    model = strategy.Options
    known = sorted(model.model_fields)
    for key in raw:
        if key not in model.model_fields:
            hint = did_you_mean(key, known)
            listed = ", ".join(known) if known else "none"
            raise InputError(f"strategy {strategy.name!r} has no option {key!r}{hint}"
                             f" (its options: {listed})")
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise InputError(f"strategy {strategy.name!r} option {where}: {error['msg']}"
                         f" (got {error.get('input')!r})") from None


class Strategy(abc.ABC):
    """Plans trials, observes outcomes, stops models and the run.

    Args:
        plan: the run's models, cases, batches, seed and pass-rate rule.
        options: this strategy's options (``Options`` defaults when None).
    """

    name: ClassVar[str]
    #: The typed options this strategy takes.
    Options: ClassVar[type[StrategyOptions]] = StrategyOptions

    def __init__(self, plan: RunPlan, options: StrategyOptions | None = None) -> None:
        self.plan = plan
        self.options = options if options is not None else self.Options()
        self._stopped: dict[str, str] = {}

    @property
    def max_batches(self) -> int:
        """The most batches any model may run (default: K); the session tracks that many."""
        return self.plan.repeats

    @abc.abstractmethod
    def next_wave(self) -> list[str]:
        """Models to run now; empty when the run is done. Asked again after every wave."""

    @abc.abstractmethod
    def trials_for(self, model: str) -> Iterable[tuple[str, int]]:
        """(case, batch) pairs ``model`` runs in this wave, in order.

        Pairs already stored are skipped by the session. A generator is fine
        (and keeps memory flat for big suites); it may be iterated twice,
        once to count and once to run, with no outcome observed in between.
        """

    @abc.abstractmethod
    def observe(self, outcome: Outcome) -> None:
        """A trial finished, or was replayed from the store on resume."""

    def keep_running(self, model: str) -> bool:
        """Whether ``model`` should run its next planned trial."""
        return model not in self._stopped

    def stop(self, model: str, why: str) -> None:
        """Stop ``model`` early; the first reason given is kept."""
        self._stopped.setdefault(model, why)

    @property
    def stopped(self) -> dict[str, str]:
        """Model → why the strategy stopped it early."""
        return dict(self._stopped)
