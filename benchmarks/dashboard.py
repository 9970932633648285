"""Dashboard page times over a large store.

Fills a SQLite store with synthetic runs (100,000 trials by default: 5 tasks ×
4 runs × 5 models × 50 cases × 20 repeats) through the store's bulk writes,
serves the dashboard with ``champion serve`` in its own process, then requests
every page and JSON endpoint under a bounded concurrent load on loopback and
prints p50 and p95 per page. Each page is requested once before timing (the
first view of a run reads its trials; later ones come from the cache): that
first-request time is printed too. Target: p95 under 100 ms for every page.

Usage: python benchmarks/dashboard.py [--trials-per-run N] [--requests N]
                                      [--concurrency N] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from champion._ranking import RankingRules, percentile, rank
from champion._records import ModelRun, Trial
from champion._results import RunResult
from champion._store import Store

TASKS = ["ticket-triage", "sentiment", "crm-extraction", "job-grading", "order-number"]
MODELS = [("qwen2.5-7b", 180.0, 1.0), ("llama3.1-8b", 240.0, 1.0), ("gemma3-4b", 150.0, 0.97),
          ("phi-4-mini", 120.0, 0.9), ("smollm2-1.7b", 60.0, 0.6)]
LABELS = ["billing", "technical", "account", "sales"]


def _trials(rng: random.Random, cases: list[str], repeats: int, gold: dict[str, str],
            run_index: int) -> tuple[list[ModelRun], list[Trial]]:
    models, trials = [], []
    for name, base_ms, accuracy in MODELS:
        models.append(ModelRun(model=name, provider="ollama", model_name=name,
                               base_url="http://127.0.0.1:11434", cold_start_ms=base_ms * 9,
                               key=f"ollama/{name}@http://127.0.0.1:11434"))
        drift = 1.0 + 0.08 * run_index * (1 if name == "qwen2.5-7b" else 0)
        position = 0
        for batch in range(repeats):
            for case in cases:
                correct = rng.random() < accuracy
                answer = gold[case] if correct else rng.choice(
                    [label for label in LABELS if label != gold[case]])
                latency = base_ms * drift * rng.lognormvariate(0, 0.25)
                trials.append(Trial(
                    model=name, case_id=case, batch=batch, position=position, correct=correct,
                    output=answer if rng.random() < 0.8 else f"The team is {answer}.",
                    got=answer, parsed_ok=True, latency_ms=latency, ttft_ms=latency * 0.3,
                    ttfot_ms=latency * 0.3, prompt_tokens=60, completion_tokens=3))
                position += 1
    return models, trials


def fill(url: str, trials_per_run: int) -> int:
    """Write the synthetic runs; returns the number of trials written."""
    rng = random.Random(7)
    per_case = len(MODELS) * 50
    repeats = max(1, trials_per_run // per_case)
    cases = [f"CASE_{i:03d}" for i in range(50)]
    written = 0
    start = datetime.now(UTC) - timedelta(days=30)
    with Store(url) as store:
        for t, task in enumerate(TASKS):
            gold = {case: LABELS[(i + t) % len(LABELS)] for i, case in enumerate(cases)}
            case_info = {case: {"expected": gold[case], "difficulty": "medium"}
                         for case in cases}
            for run_index in range(4):
                models, trials = _trials(rng, cases, repeats, gold, run_index)
                rules = RankingRules(min_pass_rate=1.0, output_kind="label",
                                     expected=dict(gold))
                began = start + timedelta(days=run_index * 7, hours=t)
                result = RunResult(
                    run_id=uuid.uuid4().hex[:12], task=task, suite_version="1",
                    strategy="full", repeats=repeats, cases=len(cases), seed=run_index,
                    started_at=began, finished_at=began + timedelta(minutes=20),
                    status="running", models=models, trials=[], ranking=rank(models, [], rules),
                    case_info=case_info, case_order=cases,
                    suite_json={"task": task}, suite_fingerprint="f" * 64)
                store.begin_run(result)
                for model in models:
                    store.add_model(result.run_id, model)
                store.add_trials(result.run_id, trials)
                result.ranking = rank(models, trials, rules)
                result.status = "complete"
                store.finish_run(result)
                written += len(trials)
    return written


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _load(base: str, paths: dict[str, str], requests: int,
                concurrency: int) -> tuple[dict[str, float], dict[str, list[float]]]:
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        first = {}
        for name, path in paths.items():
            began = time.perf_counter()
            response = await client.get(path)
            response.raise_for_status()
            first[name] = (time.perf_counter() - began) * 1000
        times: dict[str, list[float]] = {name: [] for name in paths}
        gate = asyncio.Semaphore(concurrency)

        async def one(name: str) -> None:
            async with gate:
                began = time.perf_counter()
                response = await client.get(paths[name])
                response.raise_for_status()
                times[name].append((time.perf_counter() - began) * 1000)

        jobs = [one(name) for _ in range(requests) for name in paths]
        random.Random(1).shuffle(jobs)
        await asyncio.gather(*jobs)
    return first, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials-per-run", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--db", help="use this store instead of filling a new one")
    args = parser.parse_args()

    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='champion-dashboard-'))}/champion.db"
    if not args.db:
        began = time.perf_counter()
        count = fill(url, args.trials_per_run)
        print(f"filled {count:,} trials in {time.perf_counter() - began:.1f} s ({url})")
    with Store(url) as store:
        task_name = store.load_run(store.run_ids()[-1]).task
        runs = store.run_ids(task_name)
        models = [m.model for m in store.load_run(runs[-1]).models]
    latest, previous = runs[-1], runs[-2] if len(runs) > 1 else runs[-1]
    paths = {
        "overview": "/",
        "task": f"/tasks/{task_name}",
        "model": f"/tasks/{task_name}/models/{models[0]}",
        "run": f"/runs/{latest}",
        "side-by-side": f"/runs/{latest}/side-by-side?a={models[0]}&b={models[-1]}",
        "compare": f"/compare?base={previous}&head={latest}",
        "api/tasks": "/api/tasks",
        "api/task": f"/api/tasks/{task_name}",
        "api/run": f"/api/runs/{latest}",
        "api/compare": f"/api/compare?base={previous}&head={latest}",
    }
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "champion", "serve", "--port", str(port),
                               "--db", url], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/static/dashboard.css", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        first, times = asyncio.run(_load(f"http://127.0.0.1:{port}", paths, args.requests,
                                         args.concurrency))
    finally:
        server.terminate()
        server.wait(10)
    print(f"{args.requests} requests per page, {args.concurrency} in flight, loopback")
    print(f"{'page':<14} {'first':>9} {'p50':>9} {'p95':>9}")
    worst = 0.0
    for name, values in times.items():
        values.sort()
        p95 = percentile(values, 95)
        worst = max(worst, p95)
        print(f"{name:<14} {first[name]:>7.1f}ms {percentile(values, 50):>7.1f}ms"
              f" {p95:>7.1f}ms")
    print(f"worst p95 {worst:.1f} ms: {'within' if worst < 100 else 'over'} the 100 ms target")


if __name__ == "__main__":
    main()
