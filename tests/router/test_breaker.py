"""The circuit breaker on a fake clock."""

from __future__ import annotations

from champion._registry.breaker import BreakerConfig, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, **kwargs: float) -> CircuitBreaker:
    config = BreakerConfig(**{"window_s": 60, "min_calls": 4, "failure_rate": 0.5,
                              "cooldown_s": 30, **kwargs})  # type: ignore[arg-type]
    return CircuitBreaker(config, clock)


def test_one_failure_never_opens_it() -> None:
    b = breaker(Clock())
    b.record(False)
    assert b.state == "closed" and b.allow()


def test_opens_when_most_recent_calls_failed() -> None:
    b = breaker(Clock())
    for ok in (True, False, True, False):
        b.record(ok)
    assert b.state == "closed"  # 2 of 4 is not more than half
    b.record(False)
    assert b.state == "open" and not b.allow()


def test_old_calls_leave_the_window() -> None:
    clock = Clock()
    b = breaker(clock)
    for _ in range(3):
        b.record(False)
    clock.now += 61
    b.record(False)
    assert b.state == "closed"  # only one call left in the window


def test_one_probe_after_the_cool_down_then_closed_or_open_again() -> None:
    clock = Clock()
    b = breaker(clock, min_calls=2)
    b.record(False)
    b.record(False)
    assert not b.allow()
    assert 29 < b.retry_in_s() <= 30
    clock.now += 30
    assert b.allow()          # the probe
    assert not b.allow()      # only one at a time
    b.record(False)
    assert b.state == "open" and not b.allow()
    clock.now += 30
    assert b.allow()
    b.record(True)
    assert b.state == "closed" and b.allow()


def test_a_probe_that_never_reports_does_not_keep_the_model_out() -> None:
    clock = Clock()
    b = breaker(clock, min_calls=2)
    b.record(False)
    b.record(False)
    clock.now += 30
    assert b.allow()
    assert not b.allow()
    clock.now += 30
    assert b.allow()
