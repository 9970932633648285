"""Driving a strategy without an executor: simulations and strategy tests.

:func:`drive` is the executor's loop with the calls replaced by a function
that says what a trial would give, so a strategy can be tried on thousands
of simulated worlds in seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from champion.runner.strategy import Outcome, Strategy

__all__ = ["OutcomeFn", "drive"]

#: (model, case, batch) → what that trial gives.
OutcomeFn = Callable[[str, str, int], Outcome]


def drive(strategy: Strategy, outcome: OutcomeFn, *, stored: Iterable[Outcome] = (),
          budget: int | None = None) -> list[Outcome]:
    """Replay ``stored`` outcomes, then run waves one model at a time until none is left.

    Stops after ``budget`` new trials (an interrupted run). Returns the new outcomes.
    """
    done: set[tuple[str, str, int]] = set()
    for old in stored:
        done.add((old.model, old.case_id, old.batch))
        strategy.observe(old)
    ran: list[Outcome] = []
    while wave := strategy.next_wave():
        for model in wave:
            for case, batch in strategy.trials_for(model):
                if (model, case, batch) in done:
                    continue
                if not strategy.keep_running(model):
                    break
                if budget is not None and len(ran) >= budget:
                    return ran
                result = outcome(model, case, batch)
                done.add((model, case, batch))
                ran.append(result)
                strategy.observe(result)
    return ran
