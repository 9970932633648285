"""One candidate where it runs: its provider, preflight, loading and warm-up, its trials.

A slot turns calls into :class:`Trial` records (the one place that builds
them), keeps the cold start apart from measured trials, and applies the skip
policy: after too many failed calls in a row the rest of the model's trials
are recorded without calling it. Executors hold slots (a local executor in
this process, a remote one inside its workers).

Preflight: a model whose provider package is missing, whose API key variable
is unset, that its server does not know (the warm-up answers 404 or "model not
found"), or whose server refuses the constrained-output mode (the warm-up,
which has exactly the shape of a trial, is refused and the same request
without the constraint is not) is *excluded*: it runs no trial and the run
says why. Any other failure keeps the model in the run, and its trials record
their error kind.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime
from typing import Any

from champion._errors import (
    ChampionError,
    ConstraintRejected,
    MissingDependency,
    MissingKey,
    ProviderError,
    UnknownModel,
)
from champion._providers.base import Completion, GenerateRequest, Provider
from champion._providers.candidate import Candidate, public_url
from champion._providers.registry import create_provider
from champion._records import JudgeCall, ModelRun, Trial
from champion._runner.calls import RetryPolicy, call
from champion._runner.config import RunConfig
from champion._runner.executors.base import ModelReady
from champion._runner.lanes import IN_PROCESS, Placement, host_of
from champion._scoring import Scorer, Verdict
from champion._secrets import MASK, redact
from champion._suite.model import Case

__all__ = ["ModelSlot"]

_TEMPLATE = re.compile(r"^\$\{\w+\}$")
#: Failures that exclude a model (preflight); every other failure is recorded on its trials.
_EXCLUDING = (MissingDependency, MissingKey, UnknownModel, ConstraintRejected)


class ModelSlot:
    """A candidate's provider and everything the run records about it."""

    def __init__(self, candidate: Candidate, config: RunConfig, scorer: Scorer,
                 requests: dict[str, GenerateRequest], warmup: GenerateRequest) -> None:
        self.candidate = candidate
        self.config = config
        self.scorer = scorer
        self.requests = requests
        self.warmup_request = warmup
        self.policy = RetryPolicy(config.retries, config.retry_backoff_s)
        self.provider: Provider | None = None
        self.loaded = False
        self.opened_once = False
        self.excluded: str | None = None
        self.skip_reason: str | None = None
        self.skip_kind: str | None = None
        self.consecutive_errors = 0
        self.max_errors = config.max_consecutive_errors
        #: Judge calls of the trials run since the executor last took them.
        self.judge_calls: list[JudgeCall] = []
        try:
            self.provider = create_provider(candidate)
            self.provider.preflight()
        except _EXCLUDING as exc:
            self.excluded = redact(str(exc))
        except ChampionError as exc:
            self.skip_reason, self.skip_kind = redact(str(exc)), getattr(exc, "kind",
                                                                         "rejected")
        endpoint = self._endpoint()
        self.placement = Placement(host_of(None if endpoint == IN_PROCESS else endpoint),
                                   endpoint)
        self.run = ModelRun(
            model=candidate.id, provider=candidate.provider, model_name=candidate.model,
            base_url=None if endpoint == IN_PROCESS else endpoint, key=f"{candidate.provider}/"
            f"{candidate.model}@{endpoint}{self._key_suffix()}", candidate=_public_spec(candidate),
            error=self.skip_reason if self.excluded is None else _excluded(self.excluded),
        )
        if candidate.price is not None:
            self.run.price_in_per_mtok = candidate.price.input_per_mtok
            self.run.price_out_per_mtok = candidate.price.output_per_mtok
            self.run.price_source = "models file"
        elif self.provider is not None:
            # Looked up now: a price map read later would stall calls timed on other lanes.
            price = self.provider.list_price()
            if price is not None:
                (self.run.price_in_per_mtok, self.run.price_out_per_mtok,
                 self.run.price_source) = price

    @property
    def local(self) -> bool:
        """An in-process model (one at a time, concurrency 1)."""
        return self.provider is None or self.provider.local

    def _key_suffix(self) -> str:
        """What sets the configuration apart from its plain model (an adapter's hash)."""
        if self.provider is None:
            return ""
        try:
            return self.provider.key_suffix()
        except (OSError, ChampionError) as exc:
            self.skip_reason, self.skip_kind = redact(str(exc)), "rejected"
            return ""

    def _endpoint(self) -> str:
        if self.candidate.provider == "llamacpp" or (self.provider is not None
                                                     and self.provider.local):
            return IN_PROCESS
        base = getattr(self.provider, "base_url", None) or self.candidate.resolved_base_url()
        return public_url(base) or self.candidate.provider

    async def open(self) -> ModelReady:
        """Load the model and warm it up (unless loaded already).

        The first load is the cold start (load plus one untimed call with
        exactly the shape of a trial). A later load (another wave of the same
        run) warms up again but is no new cold start.
        """
        if self.excluded is not None:
            return ModelReady(self.run, excluded=self.excluded)
        first = not self.opened_once
        self.opened_once = True
        if self.provider is None or self.loaded or self.skip_reason is not None:
            return ModelReady(self.run, first_load=first)
        rss_before = _rss_mb()
        start = time.perf_counter_ns()
        try:
            await self.provider.load()
            if first:
                self.run.memory_mb = self.provider.memory_mb()
            if self.local and rss_before is not None and first and self.run.memory_mb is None:
                after = _rss_mb()
                self.run.memory_mb = None if after is None else max(0.0, after - rss_before)
            if self.config.warmup:
                try:
                    await call(self.provider, self.warmup_request, self.policy)
                except _EXCLUDING:
                    raise
                except ProviderError as exc:
                    # Not fatal: the measured trials record what is wrong.
                    self.run.warmup_error = redact(str(exc))
                    self.max_errors = min(2, self.config.max_consecutive_errors)
        except _EXCLUDING as exc:
            self.excluded = redact(str(exc))
            self.run.error = _excluded(self.excluded)
            return ModelReady(self.run, first_load=first, excluded=self.excluded)
        except ChampionError as exc:
            self.run.error = self.skip_reason = redact(str(exc))
            self.skip_kind = getattr(exc, "kind", "internal")
            return ModelReady(self.run, first_load=first)
        self.loaded = True
        if first:
            self.run.cold_start_ms = (time.perf_counter_ns() - start) / 1e6
            self._describe()
            self.run.notes = [redact(n)
                              for n in self.provider.unapplied_settings(self.warmup_request)]
            settled = self.provider.settled_options()
            if settled:  # what was measured is what production will call
                options = dict(self.run.candidate.get("options") or {})
                self.run.candidate = {**self.run.candidate, "options": {**options, **settled}}
        return ModelReady(self.run, first_load=first)

    async def release(self) -> None:
        """Free the model after its wave (model-major), keeping connections."""
        if self.provider is not None and self.loaded:
            self.loaded = False
            await self.provider.release()

    async def close(self) -> None:
        """Free the model and close its connections (the run is over)."""
        if self.provider is not None:
            self.loaded = False
            await self.provider.aclose()

    def _describe(self) -> None:
        assert self.provider is not None
        try:
            identity = self.provider.identity()
        except (OSError, ChampionError):
            return
        model = self.run
        model.digest = identity.digest
        model.base_url = identity.base_url or model.base_url
        model.identity = {"provider": identity.provider, "model": identity.model,
                          "base_url": identity.base_url, "digest": identity.digest,
                          **identity.details}

    async def trial(self, case: Case, batch: int) -> Trial:
        """Run (or, under the skip policy, record without running) one trial."""
        started = datetime.now(UTC)
        if self.skip_reason is not None or self.provider is None:
            return self._error_trial(case, batch, started, self.skip_reason or "not loaded",
                                     self.skip_kind)
        try:
            completion = await call(self.provider, self.requests[case.id], self.policy)
        except ProviderError as exc:
            trial = self._error_trial(case, batch, started, str(exc), exc.kind,
                                      getattr(exc, "partial", ""))
        except Exception as exc:  # a provider bug must not end the run
            trial = self._error_trial(case, batch, started, f"{type(exc).__name__}: {exc}",
                                      "internal")
        else:
            self.consecutive_errors = 0
            text = redact(completion.text)
            if self.scorer.asks_model:  # judged after the call, outside its timing
                verdict = await self.scorer.ascore(text, case, (self.candidate.id, case.id,
                                                                batch))
                self.judge_calls.extend(verdict.calls)
            else:
                verdict = self.scorer.score(text, case)
            return self._scored(completion, text, verdict, case, batch, started)
        self.consecutive_errors += 1
        if self.consecutive_errors >= self.max_errors:
            self.skip_reason = (f"skipped: {self.consecutive_errors} calls in a row failed"
                                f" (last: {trial.error})")
            self.skip_kind = "skipped"
        return trial

    def _error_trial(self, case: Case, batch: int, started: datetime, error: str,
                     kind: str | None, output: str = "") -> Trial:
        return Trial(model=self.candidate.id, case_id=case.id, batch=batch, position=0,
                     correct=False, output=redact(output), error=redact(error),
                     error_kind=kind or "internal", started_at=started)

    def take_judge_calls(self) -> list[JudgeCall]:
        """The judge calls made since last asked (the executor yields them)."""
        calls, self.judge_calls = self.judge_calls, []
        return calls

    def _scored(self, completion: Completion, text: str, verdict: Verdict, case: Case,
                batch: int, started: datetime) -> Trial:
        return Trial(
            model=self.candidate.id, case_id=case.id, batch=batch, position=0,
            correct=verdict.correct, output=text, got=verdict.got,
            parsed_ok=verdict.parsed_ok, reason=verdict.reason, fields=verdict.fields,
            latency_ms=completion.latency_ns / 1e6,
            ttft_ms=None if completion.ttft_ns is None else completion.ttft_ns / 1e6,
            ttfot_ms=None if completion.ttfot_ns is None else completion.ttfot_ns / 1e6,
            reasoning=None if completion.reasoning is None else redact(completion.reasoning),
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            reasoning_tokens=completion.reasoning_tokens,
            tokens_estimated=completion.tokens_estimated,
            finish_reason=completion.finish_reason, server_timings=completion.server_timings,
            server_tokens_per_s=completion.server_tokens_per_s, started_at=started,
            unjudged=verdict.unjudged,
        )


def _excluded(reason: str) -> str:
    return f"excluded before any call: {reason}"


def _public_spec(candidate: Candidate) -> dict[str, Any]:
    """The candidate's configuration without secrets: enough to call it again.

    Credentials written into a base URL are dropped (``${VAR}`` templates are
    kept: they are read from the environment when used); header values other
    than ``${VAR}`` templates are masked.
    """
    spec = candidate.model_dump(mode="json", exclude_defaults=True)
    base = candidate.base_url
    if base and "@" in base and not _TEMPLATE.search(base):
        spec["base_url"] = public_url(base)
    if candidate.headers:
        spec["headers"] = {name: value if _TEMPLATE.match(value) else MASK
                           for name, value in candidate.headers.items()}
    return spec


def _rss_mb() -> float | None:
    """Resident memory of this process in MB (Linux), None elsewhere."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
