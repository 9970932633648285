"""Harness overhead per trial: time spent outside the model call.

Embedded provider: runs a real bundled model through the real runner (render,
call, parse, check, store to SQLite) and splits each trial's wall time into
the model's timed region, the provider's own untimed work (chat template,
tokenizing, thread hop) and the harness around it. Target: harness < 1 ms.

HTTP provider: the same calls against a zero-delay loopback OpenAI-compatible
server (in its own process), once through champion's runner (openai provider,
scoring, SQLite) and once as a bare httpx loop; prints the ratio. Target ≤ 1.2.

Usage: python benchmarks/overhead.py [--repeats K] [--model builtin:smollm2-135m]
                                     [--calls N] [--skip-embedded]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from champion import Candidate, RunConfig, Store, load_suite
from champion._records import Trial
from champion._runner import NullListener, RunSession
from champion._runner.requests import build_requests
from champion._scoring import Scorer

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "examples" / "ticket-triage.yaml"


class _Clock(NullListener):
    """Listener that brackets the measured phase of a model: from the end of its
    warm-up to the end of its last write to the store."""

    def __init__(self) -> None:
        self.start = 0.0
        self.end = 0.0
        self.trials = 0

    def model_loaded(self, model: str, cold_start_ms: float | None, error: str | None) -> None:
        self.start = time.perf_counter()

    def trial_done(self, model: str, trial: Trial) -> None:
        self.trials += 1

    def model_finished(self, model: str, stopped: str | None) -> None:
        # After the model's last trials were written to the store: storage counts.
        self.end = time.perf_counter()


def _micro(function: Any, repeat: int = 2000) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - start) / repeat * 1e6


def embedded(model: str, repeats: int) -> None:
    from champion._providers.llamacpp import LlamaCppProvider

    suite = load_suite(SUITE)
    provider_wall: list[float] = []
    original = LlamaCppProvider.generate

    async def timed_generate(self: LlamaCppProvider, request: Any) -> Any:
        start = time.perf_counter()
        try:
            return await original(self, request)
        finally:
            provider_wall.append(time.perf_counter() - start)

    LlamaCppProvider.generate = timed_generate  # type: ignore[method-assign]
    clock = _Clock()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{folder}/bench.db")
        runner = RunSession(suite, [Candidate(id="m", provider="llamacpp", model=model)],
                            RunConfig(repeats=repeats, seed=1), store, listener=clock)
        result = asyncio.run(runner.run())
        stored = list(result.trials)
        LlamaCppProvider.generate = original  # type: ignore[method-assign]
        measured = provider_wall[1:]  # the first call is the warm-up
        n = len(stored)
        wall = clock.end - clock.start
        model_s = sum((t.latency_ms or 0) for t in stored) / 1000
        provider_s = sum(measured)
        harness_ms = (wall - provider_s) / n * 1000
        # Component micro-benchmarks of the same work the runner does per trial.
        scorer = Scorer(suite)
        case = suite.cases[0]
        output = stored[0].output
        system, user = suite.prompt.templates()
        trials = stored[: len(suite.cases)]
        store_us = _micro(lambda: store.add_trials("bench", trials), 200) / len(trials)
        store.close()
    print(f"embedded provider: {model}, {n} measured trials ({len(suite.cases)} cases ×"
          f" {repeats} repeats)")
    print(f"  model call, timed region         {model_s / n * 1000:9.3f} ms/trial")
    print(f"  provider work outside the timing {(provider_s - model_s) / n * 1000:9.3f}"
          " ms/trial (chat template, tokenize, thread hop)")
    print(f"  harness outside the model call   {harness_ms:9.3f} ms/trial   target < 1 ms:"
          f" {'OK' if harness_ms < 1 else 'MISSED'}")
    print("  components (micro-benchmarks, per trial):")
    print(f"    prompt render (once per case)  {_micro(lambda: user.render(case.vars)):9.2f} µs"
          + (f" + system {_micro(lambda: system.render(case.vars)):.2f} µs" if system else ""))
    print(f"    request build (once per run)   {_micro(lambda: build_requests(suite), 200):9.2f}"
          " µs for all cases")
    print(f"    parse + check                  {_micro(lambda: scorer.score(output, case)):9.2f}"
          " µs")
    print(f"    store (batched insert)         {store_us:9.2f} µs")


_SERVER = """
import sys, time
from champion.testing import MockOpenAIServer
server = MockOpenAIServer("billing", model="bench")
print(server.start(), flush=True)
sys.stdin.read()
"""


async def _bare_loop(base_url: str, body: dict[str, Any], calls: int) -> float:
    import httpx

    async with httpx.AsyncClient() as client:
        start = time.perf_counter()
        for _ in range(calls):
            async with client.stream("POST", f"{base_url}/v1/chat/completions",
                                     json=body) as response:
                async for _line in response.aiter_lines():
                    pass
        return time.perf_counter() - start


def _champion_loop(base_url: str, calls: int) -> float:
    suite = load_suite(SUITE)
    repeats = max(1, calls // len(suite.cases))
    clock = _Clock()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{folder}/bench.db")
        candidate = Candidate(id="bench", provider="openai", model="bench",
                              base_url=f"{base_url}/v1")
        runner = RunSession(suite, [candidate], RunConfig(repeats=repeats, seed=1), store,
                            listener=clock)
        asyncio.run(runner.run())
        store.close()
    return (clock.end - clock.start) / clock.trials


def http(calls: int, rounds: int = 3) -> None:
    import statistics
    import subprocess
    import sys

    from champion._providers.base import GenerateRequest, Message
    from champion._providers.openai import OpenAIProvider
    from champion._runner.requests import build_requests

    server = subprocess.Popen([sys.executable, "-c", _SERVER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        suite = load_suite(SUITE)
        request: GenerateRequest = next(iter(build_requests(suite).values()))
        provider = OpenAIProvider(Candidate(id="bench", provider="openai", model="bench",
                                            base_url=f"{base_url}/v1"))
        body = provider.body(GenerateRequest(messages=tuple(
            Message(m.role, m.content) for m in request.messages),
            max_tokens=request.max_tokens), stream=True)
        bare, ours = [], []
        asyncio.run(_bare_loop(base_url, body, 20))  # warm both paths once
        for _ in range(rounds):
            bare.append(asyncio.run(_bare_loop(base_url, body, calls)) / calls)
            ours.append(_champion_loop(base_url, calls))
    finally:
        server.terminate()
    bare_ms, ours_ms = statistics.median(bare) * 1000, statistics.median(ours) * 1000
    ratio = ours_ms / bare_ms
    print(f"HTTP provider (openai, streaming) against a zero-delay loopback server,"
          f" {calls} calls × {rounds} rounds, medians:")
    print(f"  bare httpx loop                  {bare_ms:9.3f} ms/call")
    print(f"  champion (runner+score+store)    {ours_ms:9.3f} ms/call")
    print(f"  harness overhead per call        {ours_ms - bare_ms:9.3f} ms")
    print(f"  ratio                            {ratio:9.2f}     target ≤ 1.2:"
          f" {'OK' if ratio <= 1.2 else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin:smollm2-135m")
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--skip-embedded", action="store_true")
    args = parser.parse_args()
    if not args.skip_embedded:
        embedded(args.model, args.repeats)
        print()
    http(args.calls)


if __name__ == "__main__":
    main()
