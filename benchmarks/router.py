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

Prints p50 and p99 per call, what each adds beyond the bare call, the ratio to
it, and the CPU time per call (steadier than wall time on a busy machine).
Targets: the Router adds under 1 ms at p50, the gateway under 2 ms.

Usage: python benchmarks/router.py [--calls N] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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
    from champion._providers.candidate import Candidate
    from champion._registry.entries import Registry
    from champion._suite.model import Suite

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


def _process_cpu_s(pid: int) -> float:
    """User and system CPU seconds of another process (Linux), 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Samples:
    """Per-call wall times and CPU seconds per path."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {name: [] for name in PATHS}
        self.cpu: dict[str, float] = dict.fromkeys(PATHS, 0.0)
        self.gateway_cpu = 0.0
        self.calls = 0


def _measure(model_url: str, gateway_url: str, gateway_pid: int, db_url: str,
             calls: int, rounds: int) -> _Samples:
    """Every path the same way: the main thread waits while an event loop on a
    worker thread does the I/O (the Router's own loop for ``complete``)."""
    from champion import Store
    from champion._providers.openai import OpenAIProvider
    from champion._registry.portal import Portal
    from champion._registry.router import Router
    from champion._runner.requests import render_request

    router = Router(Store(db_url))
    route = router.route(TASK)
    provider = OpenAIProvider(route.champion.candidate)
    body = provider.body(render_request(route.suite, VARS), stream=True)
    samples = _Samples()
    worker = Portal("bench")

    async def make_client() -> httpx.AsyncClient:
        return httpx.AsyncClient()

    client = worker.call(make_client())
    direct = f"{model_url}/v1/chat/completions"
    through = f"{gateway_url}/v1/chat/completions"
    paths: dict[str, Callable[[int], list[float]]] = {
        "bare": lambda n: worker.call(_bare(client, direct, body, n)),
        "router": lambda n: worker.call(_router_async(router, n)),
        "router_sync": lambda n: _router_sync(router, n),
        "gateway": lambda n: worker.call(_gateway(client, through, n)),
    }
    try:
        for run in paths.values():  # warm every path: connections, first imports
            run(50)
        for _ in range(rounds):
            for name, run in paths.items():
                cpu = time.process_time()
                gateway_cpu = _process_cpu_s(gateway_pid)
                samples.wall[name] += run(calls)
                samples.cpu[name] += time.process_time() - cpu
                if name == "gateway":
                    samples.gateway_cpu += _process_cpu_s(gateway_pid) - gateway_cpu
        samples.calls = calls * rounds
    finally:
        worker.call(client.aclose())
        worker.call(router.aclose())
        worker.stop()
        router.close()
    return samples


PATHS = {"bare": "bare httpx call", "router": "Router.acomplete",
         "router_sync": "Router.complete (sync)", "gateway": "gateway (httpx client)"}
TARGETS = {"router": 1.0, "gateway": 2.0}


def _report(samples: _Samples, calls: int, rounds: int) -> None:
    wall, n = samples.wall, samples.calls
    bare50, bare99 = _ms(wall["bare"], 0.5), _ms(wall["bare"], 0.99)
    bare_cpu = samples.cpu["bare"] / n * 1000
    print(f"Zero-delay loopback server, {calls} calls × {rounds} rounds per path"
          f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs):")
    print(f"  {'path':26} {'p50 ms':>7} {'p99 ms':>7} {'+p50 ms':>8} {'+p99 ms':>8}"
          f" {'ratio':>6} {'CPU ms':>7} {'+CPU ms':>8}")
    for name, label in PATHS.items():
        p50, p99 = _ms(wall[name], 0.5), _ms(wall[name], 0.99)
        cpu = samples.cpu[name] / n * 1000
        if name == "gateway":
            cpu += samples.gateway_cpu / n * 1000  # the gateway process's work counts too
        line = (f"  {label:26} {p50:7.3f} {p99:7.3f} {p50 - bare50:8.3f} {p99 - bare99:8.3f}"
                f" {p50 / bare50:6.2f} {cpu:7.3f} {cpu - bare_cpu:8.3f}")
        target = TARGETS.get(name)
        if target is not None:
            line += f"  target +p50 < {target:g} ms: {'OK' if p50 - bare50 < target else 'MISSED'}"
        print(line)
    print("  +: beyond the bare call; ratio: p50 / bare p50; CPU: CPU time per call of the"
          " client process (and, for the gateway, of the gateway process)")


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
        gateway = subprocess.Popen([sys.executable, "-m", "champion", "gateway", "--port",
                                    str(port), "--db", db_url], cwd=ROOT,
                                   stderr=subprocess.DEVNULL)
        gateway_url = f"http://127.0.0.1:{port}"
        _wait(gateway_url)
        samples = _measure(model_url, gateway_url, gateway.pid, db_url, args.calls,
                           args.rounds)
    finally:
        if gateway is not None:
            gateway.terminate()
            gateway.wait(10)
        model.terminate()
        folder.cleanup()
    _report(samples, args.calls, args.rounds)


if __name__ == "__main__":
    main()
