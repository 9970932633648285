"""The runner: model-major, batched, warm-up separated, every failure recorded.

For each candidate: create its provider, load it and make one warm-up call
(``cold_start_ms``), then run ``repeats`` batches; each batch is one pass over
all cases in an order shuffled with the run's seed. A batch's trials go to the
sink as soon as the batch ends, so an interrupted run keeps what it measured.
"""

from __future__ import annotations

import asyncio
import gc
import random
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from champion.errors import ChampionError, ProviderError
from champion.providers.base import Completion, GenerateRequest, Provider
from champion.providers.candidate import Candidate, public_url
from champion.providers.registry import create_provider
from champion.ranking import RankingRules, rank
from champion.records import ModelRun, Trial
from champion.results import RunResult
from champion.runner.config import RunConfig, RunListener, TrialSink
from champion.runner.requests import build_requests, warmup_request
from champion.scoring import Scorer
from champion.suite.model import Case, Suite

__all__ = ["SuiteRunner", "batch_order", "ranking_rules"]

# The per-call deadline of an in-process model is enforced inside llama.cpp;
# this grace lets it report the timeout itself.
_LOCAL_GRACE_S = 5.0


def batch_order(cases: Sequence[Case], seed: int, batch: int) -> list[Case]:
    """The case order of one batch: a shuffle fixed by (seed, batch)."""
    order = list(cases)
    random.Random(seed * 1_000_003 + batch).shuffle(order)
    return order


def ranking_rules(suite: Suite) -> RankingRules:
    """The ranking rules a suite implies."""
    polarity = {}
    if suite.is_pass_fail:
        for case in suite.cases:
            value = (case.type or str(case.expected)).upper()
            if value in ("PASS", "FAIL"):
                polarity[case.id] = value
    return RankingRules(
        min_pass_rate=suite.qualify.min_pass_rate, output_kind=suite.output.kind,
        polarity=polarity, expected={case.id: case.expected for case in suite.cases},
    )


@dataclass(slots=True)
class _ModelState:
    """Bookkeeping of one model's measured trials."""

    allowed_failures: int
    skip_reason: str | None
    max_errors: int
    failures: int = 0
    consecutive_errors: int = 0
    stopped: bool = False


class _NullListener:
    def model_started(self, model: str, total: int) -> None: ...
    def model_loaded(self, model: str, cold_start_ms: float | None, error: str | None) -> None: ...
    def trial_done(self, model: str, trial: Trial) -> None: ...
    def model_finished(self, model: str) -> None: ...


class SuiteRunner:
    """Runs one suite against candidates; see the module docstring."""

    def __init__(self, suite: Suite, candidates: Sequence[Candidate], config: RunConfig,
                 sink: TrialSink | None = None, listener: RunListener | None = None,
                 previous: RunResult | None = None) -> None:
        self.suite = suite
        self.candidates = list(candidates)
        self.config = config
        self.sink = sink
        self.listener: RunListener = listener or _NullListener()
        self.scorer = Scorer(suite)
        self.requests = build_requests(suite)
        self.models: list[ModelRun] = []
        self.previous = previous
        if previous is None:
            self.run_id = uuid.uuid4().hex[:12]
            self.repeats = config.repeats or suite.repeats
            self.seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
            self.started_at = datetime.now(UTC)
            self.trials: list[Trial] = []
        else:  # resuming: same id, seed and plan; measured trials are kept
            self.run_id, self.repeats = previous.run_id, previous.repeats
            self.seed, self.started_at = previous.seed, previous.started_at
            self.trials = list(previous.trials)
        self._done = {(t.model, t.case_id, t.batch) for t in self.trials}

    async def run(self) -> RunResult:
        """Run every candidate; returns the ranked result."""
        status = "complete"
        if self.sink is not None and self.previous is None:
            self.sink.begin_run(self._result("running"))
        try:
            for candidate in self.candidates:
                await self._run_model(candidate)
        except (asyncio.CancelledError, KeyboardInterrupt):
            status = "interrupted"
            raise
        except BaseException:
            status = "failed"  # whatever was measured is kept; --resume finishes the plan
            raise
        finally:
            result = self._result(status)
            if self.sink is not None:
                self.sink.finish_run(result)
        return result

    def _result(self, status: str) -> RunResult:
        ranking = rank(self.models, self.trials, ranking_rules(self.suite))
        return RunResult(
            run_id=self.run_id, task=self.suite.task, suite_version=self.suite.version,
            strategy=self.config.strategy, repeats=self.repeats, cases=len(self.suite.cases),
            seed=self.seed, started_at=self.started_at, finished_at=datetime.now(UTC),
            status=status, models=self.models, trials=self.trials, ranking=ranking,
            case_order=[case.id for case in self.suite.cases],
            case_info={case.id: {"expected": case.expected, "type": case.type,
                                 "difficulty": case.difficulty} for case in self.suite.cases},
            suite_json=self.suite.model_dump(mode="json", by_alias=True),
        )

    async def _run_model(self, candidate: Candidate) -> None:
        planned = [(batch, case) for batch in range(self.repeats)
                   for case in batch_order(self.suite.cases, self.seed, batch)
                   if (candidate.id, case.id, batch) not in self._done]
        earlier = {m.model: m for m in self.previous.models} if self.previous else {}
        if not planned and candidate.id in earlier:
            self.models.append(earlier[candidate.id])
            return
        model = ModelRun(model=candidate.id, provider=candidate.provider,
                         model_name=candidate.model,
                         base_url=public_url(candidate.resolved_base_url()))
        if candidate.price is not None:
            model.price_in_per_mtok = candidate.price.input_per_mtok
            model.price_out_per_mtok = candidate.price.output_per_mtok
            model.price_source = "models file"
        self.models.append(model)
        self.listener.model_started(candidate.id, len(planned))
        if not planned:
            self.listener.model_finished(candidate.id)
            return
        provider: Provider | None = None
        try:
            provider = create_provider(candidate)
            await self._warm_up(provider, model)
        except ChampionError as exc:
            model.error = str(exc)
        self._describe(provider, model)
        if self.sink is not None:
            self.sink.add_model(self.run_id, model)
        # Objects alive now (model, requests, clients) are never garbage: keep
        # the collector from rescanning them during the measured phase. This is
        # per-model setup (tens of ms), so it happens before the measured phase begins.
        gc.collect()
        gc.freeze()
        self.listener.model_loaded(candidate.id, model.cold_start_ms, model.error)
        try:
            await self._run_batches(provider, model, planned)
            self.listener.model_finished(candidate.id)  # every trial measured and stored
        finally:
            gc.unfreeze()
            if provider is not None:
                await provider.aclose()

    def _describe(self, provider: Provider | None, model: ModelRun) -> None:
        if provider is None:
            return
        try:
            identity = provider.identity()
        except (OSError, ChampionError):
            return
        model.digest = identity.digest
        model.base_url = identity.base_url or model.base_url
        model.identity = {"provider": identity.provider, "model": identity.model,
                          "base_url": identity.base_url, "digest": identity.digest,
                          **identity.details}
        price = provider.list_price()
        if model.price_in_per_mtok is None and price is not None:
            model.price_in_per_mtok, model.price_out_per_mtok, model.price_source = price

    async def _warm_up(self, provider: Provider, model: ModelRun) -> None:
        """Load and one untimed call; together they are the cold start."""
        start = time.perf_counter_ns()
        await provider.load()
        if self.config.warmup:
            request = warmup_request(self.suite, self.suite.cases[0])
            # A failing warm-up is not fatal: the measured trials record what is wrong.
            try:
                await self._call(provider, request)
            except ProviderError as exc:
                model.warmup_error = str(exc)
        model.cold_start_ms = (time.perf_counter_ns() - start) / 1e6

    async def _run_batches(self, provider: Provider | None, model: ModelRun,
                           planned: list[tuple[int, Case]]) -> None:
        state = _ModelState(
            allowed_failures=int((1 - self.suite.qualify.min_pass_rate)
                                 * len(self.suite.cases) * self.repeats + 1e-9),
            skip_reason=model.error if provider is None or model.error else None,
            # After a failed warm-up, two more failures in a row are enough evidence.
            max_errors=min(2, self.config.max_consecutive_errors) if model.warmup_error
            else self.config.max_consecutive_errors,
        )
        concurrency = 1 if provider is None or provider.local else max(1, self.config.concurrency)
        # A steady pipeline: up to `concurrency` calls in flight, never lock-step groups.
        gate = asyncio.Semaphore(concurrency)
        position = 0
        unflushed: list[Trial] = []
        last_flush = time.monotonic()
        try:
            for batch in sorted({batch for batch, _case in planned}):
                cases = [case for b, case in planned if b == batch]

                async def one(case: Case, slot: int, batch: int = batch) -> None:
                    if state.stopped:
                        return
                    if state.skip_reason is not None or provider is None:
                        trial = self._error_trial(model, case, batch, slot,
                                                  state.skip_reason or "not loaded")
                    else:
                        trial = await self._trial(provider, model, case, batch, slot)
                    self._record(model, trial, state, unflushed)

                async def gated(case: Case, slot: int) -> None:
                    async with gate:
                        await one(case, slot)

                if concurrency == 1:  # no task per trial on the common path
                    for i, case in enumerate(cases):
                        await one(case, position + i)
                else:
                    await asyncio.gather(*(gated(case, position + i)
                                           for i, case in enumerate(cases)))
                position += len(cases)
                if state.stopped:
                    return
                # Write at batch ends, at most once per flush interval.
                if time.monotonic() - last_flush >= self.config.flush_interval_s:
                    self._flush(unflushed)
                    last_flush = time.monotonic()
        finally:  # end of the model, an error or an interruption
            self._flush(unflushed)

    def _flush(self, trials: list[Trial]) -> None:
        """Hand measured trials to the sink in one transaction (never mid-call)."""
        if self.sink is not None and trials:
            self.sink.add_trials(self.run_id, trials)
        trials.clear()

    def _record(self, model: ModelRun, trial: Trial, state: _ModelState,
                pending: list[Trial]) -> None:
        pending.append(trial)
        self.trials.append(trial)
        self.listener.trial_done(model.model, trial)
        state.failures += 0 if trial.correct else 1
        state.consecutive_errors = state.consecutive_errors + 1 if trial.is_error else 0
        if state.skip_reason is None and state.consecutive_errors >= state.max_errors:
            state.skip_reason = (f"skipped: {state.consecutive_errors} calls in a row failed"
                                 f" (last: {trial.error})")
        if self.config.strategy == "race" and state.failures > state.allowed_failures:
            state.stopped = True

    def _error_trial(self, model: ModelRun, case: Case, batch: int, position: int,
                     error: str) -> Trial:
        return Trial(model=model.model, case_id=case.id, batch=batch, position=position,
                     correct=False, error=error, started_at=datetime.now(UTC))

    async def _call(self, provider: Provider, request: GenerateRequest) -> Completion:
        """One call with its total timeout and retries on transient errors."""
        limit = request.timeout_s + (_LOCAL_GRACE_S if provider.local else 0)
        retries = 0 if provider.local else self.config.retries
        attempt = 0
        while True:
            try:
                async with asyncio.timeout(limit):
                    return await provider.generate(request)
            except TimeoutError:
                error: ProviderError = _timeout(request.timeout_s)
            except ProviderError as exc:
                error = exc
            if not error.retryable or attempt >= retries:
                raise error
            attempt += 1
            await asyncio.sleep(self.config.retry_backoff_s * 2 ** (attempt - 1))

    async def _trial(self, provider: Provider, model: ModelRun, case: Case, batch: int,
                     position: int) -> Trial:
        started = datetime.now(UTC)
        try:
            completion = await self._call(provider, self.requests[case.id])
        except ProviderError as exc:
            return Trial(model=model.model, case_id=case.id, batch=batch, position=position,
                         correct=False, error=_error_text(exc), started_at=started)
        except Exception as exc:  # a provider bug must not end the run
            return Trial(model=model.model, case_id=case.id, batch=batch, position=position,
                         correct=False, error=f"internal: {type(exc).__name__}: {exc}",
                         started_at=started)
        verdict = self.scorer.score(completion.text, case)
        return Trial(
            model=model.model, case_id=case.id, batch=batch, position=position,
            correct=verdict.correct, output=completion.text, got=verdict.got,
            parsed_ok=verdict.parsed_ok, reason=verdict.reason, fields=verdict.fields,
            latency_ms=completion.latency_ns / 1e6,
            ttft_ms=None if completion.ttft_ns is None else completion.ttft_ns / 1e6,
            ttfot_ms=None if completion.ttfot_ns is None else completion.ttfot_ns / 1e6,
            reasoning=completion.reasoning, prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            reasoning_tokens=completion.reasoning_tokens,
            tokens_estimated=completion.tokens_estimated,
            finish_reason=completion.finish_reason, server_timings=completion.server_timings,
            server_tokens_per_s=completion.server_tokens_per_s, started_at=started,
        )


def _timeout(seconds: float) -> ProviderError:
    from champion.errors import ProviderTimeout

    return ProviderTimeout(f"no answer within {seconds:g} s")


def _error_text(exc: ProviderError) -> str:
    kinds = {"ProviderTimeout": "timeout", "ProviderUnavailable": "unavailable",
             "RateLimited": "rate_limited", "ProviderRejected": "rejected",
             "ProviderProtocolError": "protocol"}
    kind = kinds.get(type(exc).__name__, "error")
    message = str(exc)
    return message if message.startswith(f"{kind}:") else f"{kind}: {message}"
