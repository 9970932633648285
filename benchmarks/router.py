"""What production routing adds to a model call: the Router and the gateway.

Against a zero-delay loopback OpenAI-compatible server (its own process), in
one run, interleaved round by round:

- a bare httpx call to the server (the model's own latency, streamed like the
  openai provider's request);
- ``Router.acomplete`` and ``Router.complete`` on a registered task (render the
  task's prompt, call the champion through the openai provider, parse and
  validate the output, timings, breaker, registry version check);
- the same task through ``champion gateway`` (the real command, in its own
  process), with an httpx client.

The task is benchmarked on the loopback server and promoted first, so the
Router and the gateway read a real registry.

Prints p50 and p99 per call, what each adds beyond the bare call, and the
ratio to it. Targets: the Router adds under 1 ms at p50, the gateway under 2 ms.

Usage: python benchmarks/router.py [--calls N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent

_MODEL_SERVER = """
import sys
from champion.testing import MockOpenAIServer
server = MockOpenAIServer("billing", model="bench")
print(server.start(), flush=True)
sys.stdin.read()
"""

TASK = "bench-triage"
VARS = {"ticket": "I was charged twice for my subscription this month."}


def promote(base_url: str, db_url: str) -> None:
    """Benchmark the loopback model on one label task and promote it."""
    from champion import Store, run_suite
    from champion.providers.candidate import Candidate
    from champion.registry.entries import Registry
    from champion.suite.model import Suite

    suite = Suite.model_validate({
        "task": TASK,
        "prompt": {"system": "You are a support triage assistant. Answer with the team.",
                   "user": "Ticket: {ticket}\nTeam (billing, technical, account, sales):"},
        "output": {"kind": "label", "labels": ["billing", "technical", "account", "sales"]},
        "params": {"max_tokens": 8, "timeout_s": 10},
        "cases": [{"id": "C1", "vars": VARS, "expected": "billing"}],
    })
    candidate = Candidate(id="bench", provider="openai", model="bench",
                          base_url=base_url + "/v1")
    run_suite(suite, [candidate], repeats=3, db=db_url)
    store = Store(db_url)
    Registry(store).promote(TASK)
    store.close()


def _start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, *args], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


async def _bare(client: httpx.AsyncClient, url: str, body: dict[str, Any],
                calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        async with client.stream("POST", url, json=body) as response:
            async for _line in response.aiter_lines():
                pass
        times.append(time.perf_counter() - start)
    return times


async def _router_async(router: Any, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        answer = await router.acomplete(TASK, VARS)
        times.append(time.perf_counter() - start)
        assert answer.value == "billing"
    return times


def _router_sync(router: Any, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        router.complete(TASK, VARS)
        times.append(time.perf_counter() - start)
    return times


async def _gateway(client: httpx.AsyncClient, url: str, calls: int) -> list[float]:
    body = {"model": f"task:{TASK}", "messages": [{"role": "user", "content": "x"}],
            "champion": {"vars": VARS}}
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        response = await client.post(url, json=body)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.text
    return times


def _wait(url: str, limit_s: float = 30.0) -> None:
    deadline = time.monotonic() + limit_s
    while True:
        try:
            httpx.get(url + "/v1/models", timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _measure(model_url: str, gateway_url: str, db_url: str, calls: int, rounds: int
                   ) -> dict[str, list[float]]:
    from champion import Store
    from champion.providers.openai import OpenAIProvider
    from champion.registry.router import Router
    from champion.runner.requests import render_request

    router = Router(Store(db_url))
    route = router.route(TASK)
    provider = OpenAIProvider(route.champion.candidate)
    body = provider.body(render_request(route.suite, VARS), stream=True)
    samples: dict[str, list[float]] = {"bare": [], "router": [], "router_sync": [],
                                       "gateway": []}
    async with httpx.AsyncClient() as client:
        direct = f"{model_url}/v1/chat/completions"
        through = f"{gateway_url}/v1/chat/completions"
        # Warm every path (connections, first imports) before measuring.
        await _bare(client, direct, body, 50)
        await _router_async(router, 50)
        await _gateway(client, through, 50)
        await asyncio.to_thread(_router_sync, router, 50)
        for _ in range(rounds):
            samples["bare"] += await _bare(client, direct, body, calls)
            samples["router"] += await _router_async(router, calls)
            samples["router_sync"] += await asyncio.to_thread(_router_sync, router, calls)
            samples["gateway"] += await _gateway(client, through, calls)
    await router.aclose()
    router.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    db_url = f"sqlite:///{folder.name}/bench.db"
    model, model_url = _start(["-c", _MODEL_SERVER])
    gateway: subprocess.Popen[str] | None = None
    try:
        promote(model_url, db_url)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        gateway = subprocess.Popen([sys.executable, "-m", "champion.cli", "gateway", "--port",
                                    str(port), "--db", db_url], cwd=ROOT)
        gateway_url = f"http://127.0.0.1:{port}"
        _wait(gateway_url)
        samples = asyncio.run(_measure(model_url, gateway_url, db_url, args.calls,
                                       args.rounds))
    finally:
        if gateway is not None:
            gateway.terminate()
            gateway.wait(10)
        model.terminate()
        folder.cleanup()
    bare50, bare99 = _ms(samples["bare"], 0.5), _ms(samples["bare"], 0.99)
    print(f"Zero-delay loopback server, {args.calls} calls × {args.rounds} rounds per path:")
    print(f"  {'path':28} {'p50 ms':>8} {'p99 ms':>8} {'+p50 ms':>8} {'+p99 ms':>8}"
          f" {'ratio':>6}")
    targets = {"router": 1.0, "router_sync": None, "gateway": 2.0}
    labels = {"bare": "bare httpx call", "router": "Router.acomplete",
              "router_sync": "Router.complete (sync)", "gateway": "gateway (httpx client)"}
    for name, label in labels.items():
        p50, p99 = _ms(samples[name], 0.5), _ms(samples[name], 0.99)
        line = (f"  {label:28} {p50:8.3f} {p99:8.3f} {p50 - bare50:8.3f} {p99 - bare99:8.3f}"
                f" {p50 / bare50:6.2f}")
        target = targets.get(name)
        if target is not None:
            line += f"   adds < {target:g} ms at p50: {'OK' if p50 - bare50 < target else 'MISSED'}"
        print(line)


if __name__ == "__main__":
    main()
