"""Did a model's latency change while another lane was running?

Lanes that share hardware make each other slower and noisier. The default lane
policy keeps this machine's models in one lane, but servers named as different
hosts may still share a machine (or a GPU). The session tells this tracker when
lanes start and end and what each trial measured; a model whose latency spread
(p90 / median) differs by more than a factor of two between trials that
overlapped another lane and trials that ran alone gets a warning.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from champion._ranking.stats import percentile

__all__ = ["ContentionTracker"]

#: Trials needed on each side before spreads are compared.
MIN_TRIALS = 5
#: A spread this many times larger (or smaller) with other lanes running is a warning.
FACTOR = 2.0


@dataclass(slots=True)
class _Samples:
    alone: list[float] = field(default_factory=list)
    shared: list[float] = field(default_factory=list)


class ContentionTracker:
    """Splits each model's latencies into 'alone' and 'with other lanes running'."""

    def __init__(self) -> None:
        self.active = 0
        self._lane_ended_at = -1.0
        self._samples: dict[str, _Samples] = {}

    def lane_started(self) -> None:
        """A lane began running (loading its model counts)."""
        self.active += 1

    def lane_finished(self) -> None:
        """A lane is done."""
        self.active -= 1
        self._lane_ended_at = time.monotonic()

    def trial(self, model: str, latency_ms: float | None) -> None:
        """A trial of ``model`` just finished after ``latency_ms``."""
        if latency_ms is None:
            return
        started = time.monotonic() - latency_ms / 1000
        shared = self.active > 1 or self._lane_ended_at >= started
        samples = self._samples.setdefault(model, _Samples())
        (samples.shared if shared else samples.alone).append(latency_ms)

    def warnings(self) -> dict[str, str]:
        """Model → a warning, for models whose spread changed more than :data:`FACTOR`×."""
        found: dict[str, str] = {}
        for model, samples in self._samples.items():
            if len(samples.alone) < MIN_TRIALS or len(samples.shared) < MIN_TRIALS:
                continue
            alone, shared = _spread(samples.alone), _spread(samples.shared)
            if shared > alone * FACTOR or alone > shared * FACTOR:
                found[model] = (
                    f"latency spread (p90/median) was {shared:.2f} while other lanes ran and"
                    f" {alone:.2f} alone (median {percentile(sorted(samples.shared), 50):.0f}"
                    f" vs {percentile(sorted(samples.alone), 50):.0f} ms): its figures may"
                    " reflect contention for shared hardware; run again with serial lanes"
                    " (lanes='serial') to measure it alone")
        return found


def _spread(values: list[float]) -> float:
    ordered = sorted(values)
    middle = percentile(ordered, 50)
    return percentile(ordered, 90) / middle if middle > 0 else 1.0
