"""What a shadow costs the caller: the same calls through a gateway without a shadow and
through gateways whose shadow answers, hangs or fails, side by side in one run.

A label task is benchmarked and promoted on two loopback models (the champion
answers in ``--delay`` ms); every model runs in a process of its own. Four real
``champion gateway`` processes serve it: ``none`` (no shadow), ``ok`` (a shadow
that answers at once), ``hang`` (a shadow that never answers) and ``fail`` (a
shadow that answers 500), with ``--shadow-sample`` 1 (or ``--sample``). The load
generator sends the same calls to each in turn (interleaved, so all four see the
same machine): serially, then with ``--in-flight`` calls at once per gateway. It
prints p50 and p95 latency per gateway and what the shadow adds to the no-shadow
gateway's, the shadow outcomes written, and the calls skipped by the in-flight
bound. Target: a shadow adds nothing beyond noise. A shadow call is real work for
the gateway's worker (an HTTP call and a parse), so with every call shadowed on a
saturated machine it competes for the CPU: that is what ``--shadow-sample``
(default 0.05) and ``--shadow-in-flight`` bound. Loopback only.

Usage: python benchmarks/shadow_overhead.py [--delay MS] [--calls N] [--in-flight N]
                                            [--sample FRACTION]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.router.fakes import TASK  # noqa: E402
from tests.router.test_registry_end_to_end import suite  # noqa: E402

from champion import Store, run_suite  # noqa: E402
from champion._providers.candidate import Candidate  # noqa: E402
from champion._registry.entries import Registry  # noqa: E402

BODY = {"model": f"task:{TASK}", "messages": [{"role": "user", "content": "-"}],
        "champion": {"vars": {"ticket": "charged twice"}}}

#: A loopback model in a process of its own (so no model slows another): delay, mode, name.
_SERVER = """
import sys
from champion.testing import MockOpenAIServer
def triage(prompt):
    return "billing" if "charged" in prompt or "refund" in prompt else "technical"
server = MockOpenAIServer(triage, delay_ms=float(sys.argv[1]), mode=sys.argv[2],
                          model=sys.argv[3])
print(server.start(), flush=True)
sys.stdin.read()
"""


class _Server:
    """A loopback model in its own process; ``delay_ms`` is set when started."""

    def __init__(self, name: str, delay_ms: float = 0.0, mode: str = "ok") -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(delay_ms), mode, name], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.terminate()
        self.process.wait(10)


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _gateway(db: str, name: str, shadow: str | None,
             sample: float) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    args = [sys.executable, "-m", "champion", "gateway", "--port", str(port), "--db", db,
            "--workers", "1", "--log-format", "none", "--shadow-sample", str(sample)]
    if shadow:
        args += ["--shadow", f"{TASK}=openai/{name}@{shadow}/v1"]
    env = {k: v for k, v in os.environ.items() if k != "CHAMPION_TOKEN"}
    env["PYTHONPATH"] = str(ROOT / "src")
    process = subprocess.Popen(args, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url + "/v1/models", timeout=1)
            return process, url
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise SystemExit("a gateway did not start") from None
            time.sleep(0.2)


async def _round(session: aiohttp.ClientSession, urls: dict[str, str], calls: int,
                 in_flight: int) -> dict[str, list[float]]:
    took: dict[str, list[float]] = {name: [] for name in urls}
    gate = asyncio.Semaphore(in_flight)

    async def one(name: str) -> None:
        async with gate:
            start = time.perf_counter()
            async with session.post(urls[name] + "/v1/chat/completions", json=BODY) as answer:
                await answer.read()
                assert answer.status == 200, answer.status
            took[name].append((time.perf_counter() - start) * 1000)

    await asyncio.gather(*(one(name) for _ in range(calls) for name in urls))
    return took


def _report(title: str, took: dict[str, list[float]]) -> None:
    print(title)
    base = statistics.median(took["none"])
    base95 = statistics.quantiles(took["none"], n=20)[-1]
    print(f"  {'shadow':8} {'calls':>6} {'p50 ms':>8} {'p95 ms':>8} {'+p50':>7} {'+p95':>7}")
    for name, values in took.items():
        p50, p95 = statistics.median(values), statistics.quantiles(values, n=20)[-1]
        print(f"  {name:8} {len(values):6} {p50:8.2f} {p95:8.2f} {p50 - base:7.2f}"
              f" {p95 - base95:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=10.0, help="the champion's delay (ms)")
    parser.add_argument("--calls", type=int, default=400, help="calls per gateway and round")
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--sample", type=float, default=1.0, help="--shadow-sample")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="champion-shadow-bench-"))
    db = f"sqlite:///{folder / 'bench.db'}"
    servers = {"fast": _Server("fast", options.delay),
               "slow": _Server("slow", options.delay + 20),
               "ok": _Server("ok"), "hang": _Server("hang", mode="hang"),
               "fail": _Server("fail", mode="error500")}
    try:
        run_suite(suite(), [Candidate(id=name, provider="openai", model=name,
                                      base_url=servers[name].base_url + "/v1")
                            for name in ("fast", "slow")], repeats=1, db=db)
        with Store(db) as store:
            Registry(store).promote(TASK)
        shadows = {"none": None, "ok": servers["ok"].base_url,
                   "hang": servers["hang"].base_url, "fail": servers["fail"].base_url}
        started = {name: _gateway(db, name, url, options.sample)
                   for name, url in shadows.items()}
        urls = {name: url for name, (_process, url) in started.items()}
        try:
            async def rounds() -> None:
                connector = aiohttp.TCPConnector(limit=0)
                async with aiohttp.ClientSession(connector=connector) as session:
                    await _round(session, urls, 20, 1)  # warm-up
                    _report(f"serial, champion {options.delay:g} ms, shadow sample"
                            f" {options.sample:g}, {options.calls} calls per gateway"
                            " (interleaved):",
                            await _round(session, urls, options.calls, 1))
                    _report(f"{options.in_flight} in flight per gateway:",
                            await _round(session, urls, options.calls * 4,
                                         options.in_flight * len(urls)))

            asyncio.run(rounds())
        finally:
            for process, _url in started.values():
                process.terminate()
            for process, _url in started.values():
                process.wait(30)
    finally:
        for server in servers.values():
            server.stop()
    with Store(db) as store:
        written = store.shadow_counts(TASK)
    print("shadow outcomes written (calls skipped by the in-flight bound are counted):")
    for name, counts in sorted(written.items()):
        print(f"  {name}: " + ", ".join(f"{result} {kind or ''} {n}".replace("  ", " ")
                                        for (result, kind), n in sorted(counts.items(),
                                                                        key=str)))
    print(f"load average now: {os.getloadavg()[0]:.1f} (a busy machine adds noise)")


if __name__ == "__main__":
    main()
