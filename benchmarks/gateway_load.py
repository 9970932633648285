"""The gateway under load: direct vs task route vs pass-through, side by side in one run.

Two loopback OpenAI-compatible servers (one process each) answer in 0 ms and
in 50 ms. A label task is benchmarked and promoted on each, then the real
``champion gateway`` (its own process, ``--workers``) serves both. A load
generator (its own process; the official ``openai`` client by default, or
aiohttp) sends the same chat call

- straight to the server (``direct``),
- through the gateway's task route (``task``: ``model="task:<task>"``),
- through the gateway to the registered model (``pass``: pass-through),
- through a minimal aiohttp proxy (``ref``), the reference for what any proxy
  reaches on the same machine at the same time,

serially and with 64 and 256 calls in flight, each cell bounded in calls.
Prints requests/s (and the ratio to direct), p50 and p95 latency and what the
gateway adds to them, the gateway's CPU time per call (all its processes),
non-200 and 5xx counts; then time to first token, streamed, through each path
(50 ms server, serial). Targets: task route and pass-through ≥ 0.8× direct
at 64 in flight and ≥ 0.7× at 256 (50 ms server), serial added p50 ≤ 1 ms
(0 ms server), zero 5xx. Loopback only.

Usage: python benchmarks/gateway_load.py [--workers N] [--client openai|aiohttp]
                                         [--calls N] [--serial-calls N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent

_SERVER = """
import sys
from champion.testing import MockOpenAIServer
server = MockOpenAIServer("billing", model=sys.argv[2], delay_ms=float(sys.argv[1]))
print(server.start(), flush=True)
sys.stdin.read()
"""

#: The reference: a minimal aiohttp proxy (no routing, parsing, metrics or fallback).
_PROXY = """
import sys, aiohttp
from aiohttp import web
targets = dict(arg.split("=", 1) for arg in sys.argv[2:])
async def startup(app):
    app["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
async def chat(request):
    body = await request.json()
    async with request.app["session"].post(targets[body["model"]] + "/chat/completions",
                                           json=body) as upstream:
        return web.Response(body=await upstream.read(), status=upstream.status,
                            content_type="application/json")
async def cleanup(app):
    await app["session"].close()
app = web.Application()
app.on_startup.append(startup)
app.on_cleanup.append(cleanup)
app.router.add_post("/v1/chat/completions", chat)
app.router.add_get("/v1/models", lambda request: web.json_response({"data": []}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""

#: The load generator: reads one JSON job per line on stdin, answers one JSON line.
_LOADGEN = r'''
import asyncio, json, sys, time

async def run(job):
    url, body, in_flight, calls, client_name, stream = (job["url"], job["body"],
        job["in_flight"], job["calls"], job["client"], job["stream"])
    times, statuses, first = [], {}, []
    if client_name == "openai":
        import openai, httpx2
        client = openai.AsyncOpenAI(base_url=url, api_key="unused", max_retries=0,
                                    timeout=60, http_client=openai.DefaultAsyncHttpxClient(
                                        limits=httpx2.Limits(max_connections=in_flight,
                                                             max_keepalive_connections=in_flight)))
        async def one():
            start = time.perf_counter()
            try:
                if stream:
                    got = None
                    response = await client.chat.completions.create(stream=True, **body)
                    async for event in response:
                        if got is None and event.choices and event.choices[0].delta.content:
                            got = time.perf_counter() - start
                    first.append(got)
                else:
                    await client.chat.completions.create(**body)
                status = 200
            except openai.APIStatusError as exc:
                status = exc.status_code
            except openai.APIError:
                status = 0
            times.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
        close = client.close
    else:
        import aiohttp
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight))
        payload = json.dumps({**body, "stream": stream}).encode()
        headers = {"Content-Type": "application/json", "Authorization": "Bearer unused"}
        async def one():
            start = time.perf_counter()
            got = None
            try:
                async with session.post(url + "/chat/completions", data=payload,
                                        headers=headers) as response:
                    async for line in response.content:
                        if got is None and stream and b'"content": "' in line \
                                and b'"content": ""' not in line:
                            got = time.perf_counter() - start
                    status = response.status
            except aiohttp.ClientError:
                status = 0
            first.append(got)
            times.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
        close = session.close
    remaining = min(calls, 2 * in_flight)
    async def worker(counter):
        while counter[0] > 0:
            counter[0] -= 1
            await one()
    await asyncio.gather(*(worker([1]) for _ in range(min(in_flight, remaining))))  # warm-up
    times.clear(); statuses.clear(); first.clear()
    counter = [calls]
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(counter) for _ in range(in_flight)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await close()
    return {"times": times, "wall": wall, "cpu": cpu, "statuses": statuses,
            "first": [f for f in first if f is not None]}

for line in sys.stdin:
    print(json.dumps(asyncio.run(run(json.loads(line)))), flush=True)
'''

TASK_OF = {0: "bench-0ms", 50: "bench-50ms"}
VARS = {"ticket": "I was charged twice for my subscription this month."}
MESSAGES = [{"role": "system", "content": "You are a support triage assistant. Answer with"
             " the team."}, {"role": "user", "content": "Ticket: " + VARS["ticket"]
                             + "\nTeam (billing, technical, account, sales):"}]


def _promote(delay: int, base_url: str, db_url: str) -> None:
    """Benchmark the loopback model (and a runner-up on the same server) and promote."""
    from champion import Store, run_suite
    from champion._providers.candidate import Candidate
    from champion._registry.entries import Registry
    from champion._suite.model import Suite

    task = TASK_OF[delay]
    suite = Suite.model_validate({
        "task": task,
        "prompt": {"system": MESSAGES[0]["content"],
                   "user": "Ticket: {ticket}\nTeam (billing, technical, account, sales):"},
        "output": {"kind": "label", "labels": ["billing", "technical", "account", "sales"]},
        "params": {"max_tokens": 8, "timeout_s": 10},
        "cases": [{"id": "C1", "vars": VARS, "expected": "billing"}],
    })
    candidates = [Candidate(id=f"m{delay}", provider="openai", model=f"m{delay}",
                            base_url=base_url + "/v1"),
                  Candidate(id=f"m{delay}-second", provider="openai", model=f"m{delay}-second",
                            base_url=base_url + "/v1")]
    run_suite(suite, candidates, repeats=3, db=db_url)
    store = Store(db_url)
    Registry(store).promote(task)
    store.close()


def _start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, *args], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tree_cpu_s(pid: int) -> float:
    """User and system CPU seconds of a process and its descendants (Linux)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending += [int(child) for child in children]
        except OSError:
            continue
    return total


def _ms(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class _Loadgen:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", _LOADGEN],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, cwd=ROOT)

    def run(self, **job: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        result: dict[str, Any] = json.loads(self.process.stdout.readline())
        result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
        return result

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(10)


def _wait(url: str, limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while True:
        try:
            if httpx.get(url + "/v1/models", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the gateway at {url} did not start")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--client", choices=("openai", "aiohttp"), default="openai")
    parser.add_argument("--calls", type=int, default=3000, help="calls per loaded cell")
    parser.add_argument("--serial-calls", type=int, default=300)
    parser.add_argument("--in-flight", default="64,256")
    parser.add_argument("--quick", action="store_true", help="a tenth of the calls")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.serial_calls = args.calls // 10, args.serial_calls // 10
    folder = tempfile.TemporaryDirectory()
    db_url = f"sqlite:///{folder.name}/bench.db"
    servers = {delay: _start(["-c", _SERVER, str(delay), f"m{delay}"]) for delay in TASK_OF}
    gateway: subprocess.Popen[str] | None = None
    proxy: subprocess.Popen[str] | None = None
    loadgen = _Loadgen()
    rows: list[str] = []
    try:
        for delay, (_process, url) in servers.items():
            _promote(delay, url, db_url)
        port = _free_port()
        gateway = subprocess.Popen(
            [sys.executable, "-m", "champion", "gateway", "--port", str(port), "--db",
             db_url, "--workers", str(args.workers), "--log-format", "none"],
            cwd=ROOT, stderr=subprocess.DEVNULL, text=True)
        gateway_url = f"http://127.0.0.1:{port}"
        proxy_port = _free_port()
        proxy = subprocess.Popen(
            [sys.executable, "-c", _PROXY, str(proxy_port),
             *(f"m{delay}={url}/v1" for delay, (_p, url) in servers.items())], cwd=ROOT,
            text=True)
        proxy_url = f"http://127.0.0.1:{proxy_port}"
        _wait(gateway_url)
        _wait(proxy_url)
        print(f"{args.client} client, gateway with {args.workers} worker(s); load average"
              f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared machine: figures"
              " vary run to run)")
        print(f"  {'server':>6} {'in flight':>9} {'path':6} {'calls':>6} {'req/s':>7}"
              f" {'×direct':>7} {'p50 ms':>7} {'p95 ms':>7} {'+p50':>7} {'+p95':>7}"
              f" {'gw CPU ms':>9} {'non-200':>7} {'5xx':>4}")
        levels = [1, *(int(n) for n in args.in_flight.split(",") if n)]
        five_xx = 0
        for delay, (_process, url) in servers.items():
            for in_flight in levels:
                calls = args.serial_calls if in_flight == 1 else args.calls
                base: dict[str, Any] = {}
                for path in ("direct", "ref", "task", "pass"):
                    target = {"direct": url, "ref": proxy_url}.get(path, gateway_url) + "/v1"
                    model = {"task": f"task:{TASK_OF[delay]}"}.get(path, f"m{delay}")
                    body = {"model": model, "messages": MESSAGES, "max_tokens": 8,
                            "temperature": 0}
                    cpu = _tree_cpu_s(gateway.pid)
                    result = loadgen.run(url=target, body=body, in_flight=in_flight,
                                         calls=calls, client=args.client, stream=False)
                    gateway_cpu = (_tree_cpu_s(gateway.pid) - cpu) / calls * 1000
                    times = result["times"]
                    rate = len(times) / result["wall"]
                    p50, p95 = _ms(times, 0.5), _ms(times, 0.95)
                    if path == "direct":
                        base = {"rate": rate, "p50": p50, "p95": p95}
                    statuses = result["statuses"]
                    errors = sum(v for k, v in statuses.items() if k != 200)
                    server_errors = sum(v for k, v in statuses.items() if k >= 500 or k == 0)
                    five_xx += server_errors if path in ("task", "pass") else 0
                    rows.append(
                        f"  {delay:4d}ms {in_flight:9d} {path:6} {len(times):6d} {rate:7.0f}"
                        f" {rate / base['rate']:7.2f} {p50:7.2f} {p95:7.2f}"
                        + (f" {p50 - base['p50']:7.2f} {p95 - base['p95']:7.2f}"
                           if path != "direct" else f" {'':7} {'':7}")
                        + f" {gateway_cpu if path in ('task', 'pass') else 0:9.3f} {errors:7d}"
                          f" {server_errors:4d}")
                    print(rows[-1], flush=True)
                    if errors:
                        print(f"      statuses other than 200: "
                              f"{ {k: v for k, v in statuses.items() if k != 200} }", flush=True)
        print("  ref: a minimal aiohttp proxy (one process), the reference for what a proxy"
              " can reach here; +p50/+p95: added to the direct call's; gw CPU: CPU time of"
              " every gateway process per call")
        print("Time to first token, streamed, 50 ms server, serial:")
        url = servers[50][1]
        for path, target, model, in (("direct", url + "/v1", "m50"),
                                     ("task live", gateway_url + "/v1", "task:bench-50ms"),
                                     ("pass", gateway_url + "/v1", "m50")):
            body = {"model": model, "messages": MESSAGES, "max_tokens": 8, "temperature": 0,
                    "champion": {"stream": "live"}} if path == "task live" else {
                "model": model, "messages": MESSAGES, "max_tokens": 8, "temperature": 0}
            if path == "direct":
                body.pop("champion", None)
            result = loadgen.run(url=target, body=body, in_flight=1,
                                 calls=args.serial_calls // 3 or 10, client="aiohttp",
                                 stream=True)
            print(f"  {path:10} TTFT p50 {_ms(result['first'], 0.5):7.2f} ms,"
                  f" whole answer p50 {_ms(result['times'], 0.5):7.2f} ms")
        print(f"5xx through the gateway: {five_xx}")
    finally:
        loadgen.close()
        if proxy is not None:
            proxy.terminate()
            proxy.wait(10)
        if gateway is not None:
            gateway.terminate()
            gateway.wait(20)
        for process, _url in servers.values():
            process.terminate()
            process.wait(10)
        folder.cleanup()


if __name__ == "__main__":
    main()
