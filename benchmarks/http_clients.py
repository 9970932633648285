"""Which HTTP client the providers (and so the gateway and the runner) should use.

Every candidate makes the same streamed chat completion request (the openai
provider's: ``POST /v1/chat/completions`` with ``stream: true``, the answer
read line by line as server-sent events) against one loopback
OpenAI-compatible server in its own process, with N requests in flight, for a
fixed number of calls:

- ``httpx``: httpx with httpcore's pool, limits raised to N connections;
- ``httpx2``: pydantic's fork of httpx and httpcore, the same way (installed
  with the ``openai`` client);
- ``aiohttp``: an ``aiohttp.ClientSession`` over a ``TCPConnector`` limited to N.

Prints requests/s, p50 and p95 latency, and the CPU time the client process
spent per call (steadier than wall time on a busy machine). Loopback only,
bounded in calls.

Usage: python benchmarks/http_clients.py [--calls N] [--in-flight 64,256] [--delay-ms 0,50]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

_SERVER = """
import sys
from champion.testing import MockOpenAIServer
server = MockOpenAIServer("billing", model="bench", delay_ms=float(sys.argv[1]))
print(server.start(), flush=True)
sys.stdin.read()
"""

BODY = json.dumps({
    "model": "bench", "stream": True, "stream_options": {"include_usage": True},
    "max_tokens": 8, "temperature": 0,
    "messages": [{"role": "system", "content": "Answer with the team."},
                 {"role": "user", "content": "Ticket: I was charged twice this month."}],
}).encode()
HEADERS = {"Content-Type": "application/json"}

#: A client: made for N in flight, it returns a call (one whole streamed answer) and a closer.
Client = Callable[[str, int], Awaitable[tuple[Callable[[], Awaitable[int]],
                                              Callable[[], Awaitable[None]]]]]


async def _httpx_like(module_name: str, url: str, in_flight: int
                      ) -> tuple[Callable[[], Awaitable[int]], Callable[[], Awaitable[None]]]:
    module: Any = __import__(module_name)
    client = module.AsyncClient(
        timeout=module.Timeout(connect=10.0, read=None, write=30.0, pool=None),
        limits=module.Limits(max_connections=in_flight, max_keepalive_connections=in_flight))

    async def call() -> int:
        async with client.stream("POST", url, content=BODY, headers=HEADERS) as response:
            async for _line in response.aiter_lines():
                pass
            return int(response.status_code)

    return call, client.aclose


async def _httpx(url: str, in_flight: int) -> tuple[Callable[[], Awaitable[int]],
                                                     Callable[[], Awaitable[None]]]:
    return await _httpx_like("httpx", url, in_flight)


async def _httpx2(url: str, in_flight: int) -> tuple[Callable[[], Awaitable[int]],
                                                      Callable[[], Awaitable[None]]]:
    return await _httpx_like("httpx2", url, in_flight)


async def _aiohttp(url: str, in_flight: int) -> tuple[Callable[[], Awaitable[int]],
                                                       Callable[[], Awaitable[None]]]:
    import aiohttp

    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=in_flight, limit_per_host=in_flight),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=10), auto_decompress=False)

    async def call() -> int:
        request: AbstractAsyncContextManager[Any] = session.post(url, data=BODY,
                                                                 headers=HEADERS)
        async with request as response:
            async for _line in response.content:
                pass
            return int(response.status)

    return call, session.close


CLIENTS: dict[str, Client] = {"httpx": _httpx, "httpx2": _httpx2, "aiohttp": _aiohttp}


async def _load(client: Client, url: str, in_flight: int, calls: int
                ) -> tuple[list[float], float, float, int]:
    call, close = await client(url, in_flight)
    try:
        for _ in range(2):  # open the connections first: warm-up apart
            await asyncio.gather(*(call() for _ in range(in_flight)))
        times: list[float] = []
        failed = 0
        remaining = calls

        async def worker() -> None:
            nonlocal remaining, failed
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                status = await call()
                times.append(time.perf_counter() - start)
                failed += status != 200

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return times, time.perf_counter() - wall, time.process_time() - cpu, failed
    finally:
        await close()


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _run(loop_name: str, coroutine: Awaitable[Any]) -> Any:
    if loop_name == "uvloop":
        import uvloop

        return uvloop.run(coroutine)  # type: ignore[arg-type]
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--in-flight", default="64,256")
    parser.add_argument("--delay-ms", default="0,50")
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--loop", choices=("uvloop", "asyncio"),
                        default="uvloop" if importlib.util.find_spec("uvloop") else "asyncio")
    args = parser.parse_args()
    clients = [c for c in args.clients.split(",") if importlib.util.find_spec(c)]
    print(f"{args.calls} streamed calls per cell, {args.loop} loop, load average"
          f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (server in its own process)")
    print(f"  {'client':8} {'server':>7} {'in flight':>9} {'req/s':>7} {'p50 ms':>7}"
          f" {'p95 ms':>7} {'CPU ms/call':>11} {'non-200':>7}")
    for delay in (float(d) for d in args.delay_ms.split(",")):
        server = subprocess.Popen([sys.executable, "-c", _SERVER, str(delay)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  cwd=ROOT)
        assert server.stdout is not None
        url = server.stdout.readline().strip() + "/v1/chat/completions"
        try:
            for in_flight in (int(n) for n in args.in_flight.split(",")):
                for name in clients:
                    times, wall, cpu, failed = _run(
                        args.loop, _load(CLIENTS[name], url, in_flight, args.calls))
                    print(f"  {name:8} {delay:5g}ms {in_flight:9d} {len(times) / wall:7.0f}"
                          f" {_ms(times, 0.5):7.2f} {_ms(times, 0.95):7.2f}"
                          f" {cpu / len(times) * 1000:11.3f} {failed:7d}", flush=True)
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
