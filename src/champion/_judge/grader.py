"""The judge at work: cached verdicts first, a model call on a miss.

A :class:`Judge` grades one answer to one case: it renders the judge's prompt,
looks each member's verdict up in the cache, and asks the model only on a
miss. A member is created, loaded and warmed up on its first miss, never
before: a run whose verdicts are all cached makes no judge call at all, and
the warm-up is timed as the judge's own cold start, in no candidate's figures.

A ``{task: T}`` judge asks its champion, then its runner-up when the champion
gives no verdict; a panel asks every member and takes a strict majority of the
valid verdicts (a tie, or no valid verdict, leaves the answer unjudged).
In-process judge models answer one call at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from champion._errors import (
    ChampionError,
    ConstraintRejected,
    MissingKey,
    ProviderError,
    UnknownModel,
)
from champion._judge.prompt import JudgePrompt, case_digest, parse_verdict
from champion._judge.resolve import JudgeMember, ResolvedJudge
from champion._judge.spec import JudgeOptions
from champion._providers.base import Constraint, GenerateRequest, Message, Provider
from champion._records import JudgeCall, TrialKey
from champion._runner.calls import RetryPolicy, call
from champion._scoring.kind import CheckResult, ParsedAnswer
from champion._secrets import redact
from champion._suite.model import Case

__all__ = ["Judge", "Judgement", "VerdictCache"]

#: cache key → (verdict, reason).
VerdictCache = MutableMapping[str, tuple[str, str | None]]
_LABELS = ("PASS", "FAIL")


@dataclass(frozen=True, slots=True)
class Judgement:
    """The decision on one answer and the calls behind it."""

    verdict: str | None
    reason: str | None
    calls: tuple[JudgeCall, ...]


@dataclass(slots=True)
class _Seat:
    """One member and its provider, created on its first cache miss."""

    member: JudgeMember
    provider: Provider | None = None
    loaded: bool = False
    failure: str | None = None
    failure_kind: str = "internal"
    cold_start_ms: float | None = None
    price: tuple[float, float] | None = None
    load_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    call_lock: asyncio.Lock | None = None


class Judge:
    """Grades answers for one run (see the module docstring); a scoring Grader.

    Args:
        judge: who judges.
        options: the check's options (rubric, template, decoding settings).
        cache: verdicts known already (cache key → verdict, reason); new ones are added.
        policy: retries of a judge call on transient errors.
        warmup: warm a member up before its first call (as a run does candidates).
    """

    def __init__(self, judge: ResolvedJudge, options: JudgeOptions, cache: VerdictCache,
                 policy: RetryPolicy | None = None, *, warmup: bool = True) -> None:
        self.resolved = judge
        self.options = options
        self.prompt = JudgePrompt(options)
        self.cache = cache
        self.policy = policy or RetryPolicy()
        self.warmup = warmup
        self._seats = {member.id: _Seat(member) for member in judge.members}

    @property
    def cold_starts(self) -> dict[str, float]:
        """Member id → its load and warm-up time (ms), for members that were loaded."""
        return {name: seat.cold_start_ms for name, seat in self._seats.items()
                if seat.cold_start_ms is not None}

    # -- grading ---------------------------------------------------------------

    async def grade(self, answer: ParsedAnswer, case: Case, trial: TrialKey) -> CheckResult:
        """The scoring contract: PASS is correct, FAIL wrong, no verdict unjudged."""
        judged = await self.judge(case.vars, case.reference, answer.text.strip(), case.id,
                                  trial, "trial")
        if judged.verdict is None:
            return CheckResult(False, f"unjudged: {judged.reason}", unjudged=True,
                               calls=judged.calls)
        return CheckResult(judged.verdict == "PASS", judged.reason, calls=judged.calls)

    async def judge(self, variables: Mapping[str, Any], reference: str | None, answer: str,
                    case_id: str, link: TrialKey, purpose: str) -> Judgement:
        """Every verdict needed on ``answer`` to the case ``case_id``, and the decision."""
        system, user = self.prompt.render(variables, reference, answer)
        messages = (Message("user", user),) if system is None else (
            Message("system", system), Message("user", user))
        about = _digest(self.prompt.fingerprint, case_id, case_digest(variables, reference),
                        answer)
        if self.resolved.panel:
            calls = [await self._ask(seat, messages, about, link, purpose)
                     for seat in self._seats.values()]
            verdict, reason = _majority(calls)
            return Judgement(verdict, reason, tuple(calls))
        calls = []
        for seat in self._seats.values():
            found = await self._ask(seat, messages, about, link, purpose)
            calls.append(found)
            if found.verdict is not None:
                return Judgement(found.verdict, found.reason, tuple(calls))
        reason = "; ".join(f"{c.judge}: {c.error or c.reason}" for c in calls)
        return Judgement(None, reason, tuple(calls))

    async def _ask(self, seat: _Seat, messages: tuple[Message, ...], about: str,
                   link: TrialKey, purpose: str) -> JudgeCall:
        member = seat.member
        key = _digest(member.identity, about)
        model, case_id, batch = link
        record = JudgeCall(model=model, case_id=case_id, batch=batch, judge=member.id,
                           judge_key=member.key, role=member.role, cache_key=key, verdict=None,
                           purpose=purpose, started_at=datetime.now(UTC))
        known = self.cache.get(key)
        if known is not None:
            record.verdict, record.reason, record.cached = known[0], known[1], True
            return record
        request = self._request(messages)
        provider = await self._open(seat, request)
        if provider is None:
            record.error, record.error_kind = seat.failure, seat.failure_kind
            return record
        try:
            if seat.call_lock is None:
                completion = await call(provider, request, self.policy)
            else:
                async with seat.call_lock:
                    completion = await call(provider, request, self.policy)
        except ProviderError as exc:
            record.error, record.error_kind = redact(str(exc)), exc.kind
            record.output = redact(getattr(exc, "partial", ""))
            return record
        except Exception as exc:  # a provider bug leaves the answer unjudged, no more
            record.error, record.error_kind = f"{type(exc).__name__}: {exc}", "internal"
            return record
        text = redact(completion.text)
        parsed = parse_verdict(text)
        record.output, record.verdict, record.reason = text, parsed.verdict, parsed.reason
        record.latency_ms = completion.latency_ns / 1e6
        record.prompt_tokens = completion.prompt_tokens
        record.completion_tokens = completion.completion_tokens
        if seat.price is not None and completion.prompt_tokens is not None \
                and completion.completion_tokens is not None:
            record.cost_usd = (completion.prompt_tokens * seat.price[0]
                               + completion.completion_tokens * seat.price[1]) / 1e6
        if parsed.verdict is not None:
            self.cache[key] = (parsed.verdict, parsed.reason)
        return record

    def _request(self, messages: tuple[Message, ...]) -> GenerateRequest:
        options = self.options
        return GenerateRequest(
            messages=messages, max_tokens=options.max_tokens, temperature=0.0,
            timeout_s=options.timeout_s, seed=0,
            constraint=Constraint(labels=_LABELS) if options.constrain else None)

    # -- members -------------------------------------------------------------

    async def _open(self, seat: _Seat, request: GenerateRequest) -> Provider | None:
        """The member's provider, created, loaded and warmed up on first use."""
        if seat.loaded or seat.failure is not None:
            return seat.provider if seat.failure is None else None
        async with seat.load_lock:
            if seat.loaded or seat.failure is not None:
                return seat.provider if seat.failure is None else None
            from champion._providers.registry import create_provider

            start = time.perf_counter_ns()
            try:
                provider = seat.provider = create_provider(seat.member.candidate)
                provider.preflight()
                seat.price = _price(seat.member, provider)
                await provider.load()
                if self.warmup:
                    try:
                        await call(provider, request, self.policy)
                    except (MissingKey, UnknownModel, ConstraintRejected):
                        raise
                    except ProviderError:
                        pass  # not fatal, as for a candidate: the calls record what is wrong
            except ChampionError as exc:
                seat.failure = f"judge {seat.member.id} unusable: {redact(str(exc))}"
                seat.failure_kind = getattr(exc, "kind", "rejected")
                return None
            seat.cold_start_ms = (time.perf_counter_ns() - start) / 1e6
            seat.call_lock = asyncio.Lock() if provider.local else None
            seat.loaded = True
            return provider

    async def aclose(self) -> None:
        """Release every member's model and connections."""
        for seat in self._seats.values():
            if seat.provider is not None:
                provider, seat.provider, seat.loaded = seat.provider, None, False
                await provider.aclose()


def _majority(calls: list[JudgeCall]) -> tuple[str | None, str | None]:
    """A strict majority of the valid verdicts; None on a tie or without any."""
    valid = [c for c in calls if c.verdict is not None]
    for verdict in _LABELS:
        agreeing = [c for c in valid if c.verdict == verdict]
        if len(agreeing) * 2 > len(valid):
            reasons = "; ".join(f"{c.judge}: {c.reason}" for c in agreeing if c.reason)
            return verdict, f"{len(agreeing)} of {len(calls)} judges: {verdict}" + (
                f" ({reasons})" if reasons else "")
    said = ", ".join(f"{c.judge}: {c.verdict or 'no verdict'}" for c in calls)
    return None, f"no strict majority of the panel ({said})"


def _price(member: JudgeMember, provider: Provider) -> tuple[float, float] | None:
    price = member.candidate.price
    if price is not None:
        return price.input_per_mtok, price.output_per_mtok
    listed = provider.list_price()
    return None if listed is None else (listed[0], listed[1])


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
