"""Per-model tallies built in one pass over a run's trials.

Trials may come streaming from the store; a tally keeps only what the ranking
needs (counts, latencies as compact arrays, the most common wrong answers per
case), so ranking a run of any size takes memory in the number of models and
cases, not in the number of stored trial records.
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field

from champion._records import Trial

__all__ = ["CaseTally", "ModelTally"]

#: Distinct wrong answers remembered per case (the most common is reported).
_MAX_ANSWERS = 16


@dataclass(slots=True)
class CaseTally:
    """One model on one case over all its repeats."""

    trials: int = 0
    passes: int = 0
    errors: int = 0
    #: Trials a judge gave no verdict on (not in ``trials``).
    unjudged: int = 0
    latencies: array[float] = field(default_factory=lambda: array("d"))
    answers: Counter[str] = field(default_factory=Counter)
    #: The model's answers on failed trials that were not errors (for confusion matrices).
    wrong_answers: Counter[str] = field(default_factory=Counter)
    #: Why answers were wrong (a judge's reasons), a few distinct ones.
    reasons: Counter[str] = field(default_factory=Counter)

    def add_wrong(self, answer: str, error: bool, reason: str | None = None) -> None:
        """Remember a wrong answer, keeping at most a few distinct ones."""
        if answer in self.answers or len(self.answers) < _MAX_ANSWERS:
            self.answers[answer] += 1
        if not error and (answer in self.wrong_answers
                          or len(self.wrong_answers) < _MAX_ANSWERS):
            self.wrong_answers[answer] += 1
        if reason and (reason in self.reasons or len(self.reasons) < _MAX_ANSWERS):
            self.reasons[reason] += 1


@dataclass(slots=True)
class ModelTally:
    """Everything the ranking needs of one model's trials."""

    trials: int = 0
    passes: int = 0
    errors: int = 0
    #: Trials a judge gave no verdict on: answered, but in no pass rate (not in ``trials``).
    unjudged: int = 0
    answered: int = 0
    parsed_ok: int = 0
    latencies: array[float] = field(default_factory=lambda: array("d"))
    ttfts: array[float] = field(default_factory=lambda: array("d"))
    ttfots: array[float] = field(default_factory=lambda: array("d"))
    error_kinds: Counter[str] = field(default_factory=Counter)
    first_error: str | None = None
    first_error_kind: str | None = None
    too_lenient: int = 0
    too_strict: int = 0
    fields_seen: bool = False
    field_passes: Counter[str] = field(default_factory=Counter)
    # Decode speed: the server's figure when every answered trial has one.
    server_speed_everywhere: bool = True
    server_speed_sum: float = 0.0
    server_speed_weight: int = 0
    client_tokens: int = 0
    client_seconds: float = 0.0
    # Tokens for cost; None once a trial without counts was seen.
    prompt_tokens: int | None = 0
    output_tokens: int | None = 0
    cases: dict[str, CaseTally] = field(default_factory=dict)

    def add(self, trial: Trial, polarity: str | None) -> None:
        """Count one trial (an unjudged one as answered, timed, but neither right nor wrong)."""
        case = self.cases.get(trial.case_id)
        if case is None:
            case = self.cases[trial.case_id] = CaseTally()
        if trial.unjudged:
            self.unjudged += 1
            case.unjudged += 1
        else:
            self.trials += 1
            case.trials += 1
        if trial.correct:
            self.passes += 1
            case.passes += 1
        if trial.is_error:
            self.errors += 1
            case.errors += 1
            self.error_kinds[trial.error_kind or "internal"] += 1
            if self.first_error is None:
                self.first_error = trial.error
                self.first_error_kind = trial.error_kind
            if not trial.correct:
                case.add_wrong(f"error: {trial.error}", error=True)
            return
        self.answered += 1
        self.parsed_ok += int(trial.parsed_ok)
        if not trial.correct and not trial.unjudged:
            case.add_wrong(trial.got, error=False, reason=trial.reason)
            answer = trial.got.upper()
            if polarity == "FAIL" and answer == "PASS":
                self.too_lenient += 1
            elif polarity == "PASS" and answer == "FAIL":
                self.too_strict += 1
        if trial.latency_ms is not None:
            self.latencies.append(trial.latency_ms)
            case.latencies.append(trial.latency_ms)
        if trial.ttft_ms is not None:
            self.ttfts.append(trial.ttft_ms)
        if trial.ttfot_ms is not None:
            self.ttfots.append(trial.ttfot_ms)
        if trial.fields is not None:
            self.fields_seen = True
            for name, ok in trial.fields.items():
                self.field_passes[name] += int(ok)
        self._speed(trial)
        self._tokens(trial)

    def _speed(self, trial: Trial) -> None:
        tokens = trial.completion_tokens or 0
        if trial.server_tokens_per_s is None:
            self.server_speed_everywhere = False
        else:
            self.server_speed_sum += trial.server_tokens_per_s * tokens
            self.server_speed_weight += tokens
        if tokens > 1 and trial.latency_ms and trial.ttft_ms is not None:
            self.client_tokens += tokens - 1
            self.client_seconds += (trial.latency_ms - trial.ttft_ms) / 1000

    def _tokens(self, trial: Trial) -> None:
        if trial.prompt_tokens is None or trial.completion_tokens is None:
            self.prompt_tokens = self.output_tokens = None
        elif self.prompt_tokens is not None and self.output_tokens is not None:
            self.prompt_tokens += trial.prompt_tokens
            self.output_tokens += trial.completion_tokens + (trial.reasoning_tokens or 0)

    def tokens_per_s(self) -> float | None:
        """Server-measured decode speed when every answered trial has it, else a client figure.

        The client figure is output tokens after the first over the time after
        the first token, summed over trials (token-weighted, TTFT excluded).
        """
        if self.answered and self.server_speed_everywhere and self.server_speed_weight:
            return self.server_speed_sum / self.server_speed_weight
        if self.client_tokens and self.client_seconds > 0:
            return self.client_tokens / self.client_seconds
        return None

