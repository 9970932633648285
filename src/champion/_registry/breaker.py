"""A circuit breaker per model: stop calling a model that keeps failing, for a while.

The breaker counts the outcomes of a model's recent calls in a sliding time
window. When more than ``failure_rate`` of them failed (and there were at
least ``min_calls``, so one unlucky call never opens it), the breaker opens:
the model is skipped for ``cooldown_s``. After the cool-down one probe call is
let through; its success closes the breaker, its failure opens it again.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["BreakerConfig", "BreakerState", "CircuitBreaker"]

BreakerState = Literal["closed", "open", "half-open"]


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    """When a model's breaker opens and for how long.

    Attributes:
        window_s: how far back calls are counted.
        min_calls: the breaker never opens on fewer calls than this in the window.
        failure_rate: the breaker opens when the failed share exceeds this.
        cooldown_s: how long an open breaker skips the model before one probe.
    """

    window_s: float = 60.0
    min_calls: int = 2
    failure_rate: float = 0.5
    cooldown_s: float = 30.0


class CircuitBreaker:
    """The breaker of one model; safe to share between threads."""

    __slots__ = ("_calls", "_clock", "_failures", "_lock", "_open_until", "_probe_started",
                 "config", "state")

    def __init__(self, config: BreakerConfig | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.config = config or BreakerConfig()
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._calls: deque[tuple[float, bool]] = deque()
        self._failures = 0
        self._open_until = 0.0
        self._probe_started = 0.0
        self.state: BreakerState = "closed"

    def allow(self) -> bool:
        """Whether a call may go to the model now (an open breaker lets one probe
        through once its cool-down is over)."""
        if self.state == "closed":
            return True
        with self._lock:
            now = self._clock()
            if self.state == "open" and now >= self._open_until:
                self.state = "half-open"
                self._probe_started = now
                return True
            # A probe that never reported (its caller was cancelled) must not
            # keep the model out for good.
            if self.state == "half-open" and now - self._probe_started >= self.config.cooldown_s:
                self._probe_started = now
                return True
            return False

    def record(self, ok: bool) -> None:
        """Count the outcome of a call that :meth:`allow` let through."""
        now = self._clock()
        with self._lock:
            if self.state == "half-open":
                if ok:
                    self._reset("closed")
                else:
                    self._open(now)
                return
            if self.state == "open":
                return  # a call that started before the breaker opened
            calls = self._calls
            calls.append((now, ok))
            if not ok:
                self._failures += 1
            horizon = now - self.config.window_s
            while calls and calls[0][0] < horizon:
                if not calls.popleft()[1]:
                    self._failures -= 1
            if (not ok and len(calls) >= self.config.min_calls
                    and self._failures > self.config.failure_rate * len(calls)):
                self._open(now)

    def retry_in_s(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when closed)."""
        if self.state != "open":
            return 0.0
        return max(0.0, self._open_until - self._clock())

    def _open(self, now: float) -> None:
        self._reset("open")
        self._open_until = now + self.config.cooldown_s

    def _reset(self, state: BreakerState) -> None:
        self.state = state
        self._calls.clear()
        self._failures = 0
