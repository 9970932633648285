"""Store query times over one million trials.

Fills a SQLite store through the store's own bulk writes with 1,000,000 trial
rows (5 tasks × 20 runs × 10 models × 50 cases × 20 repeats by default; the
suite changes once per task half-way, one model's digest changes once), then
times the queries the history, trend and leaderboard views make:

- history: ``task_history`` for one task (every run, champion and runner-up,
  changes);
- trend: ``model_trend`` for one model of that task;
- leaderboard: ``Store.leaderboard`` of the task's latest run (ranking lines
  beside counts aggregated from the run's 10,000 trials);
- count / stream: ``count_trials`` and a full ``iter_trials`` of one run.

Each is run ``--repeat`` times; the median and the best are printed. Target:
history and leaderboard under 200 ms each.

Usage: python benchmarks/store.py [--runs-per-task N] [--repeat N] [--db URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from champion._ranking import Ranking, percentile
from champion._ranking.serialize import model_from_json
from champion._records import ModelRun, Trial
from champion._registry.history import model_trend, task_history
from champion._results import RunResult
from champion._store import Store

TASKS = ["ticket-triage", "sentiment", "crm-extraction", "job-grading", "order-number"]
MODELS = [(f"model-{i}", 60.0 + 25 * i, 1.0 if i < 6 else 0.9) for i in range(10)]
CASES = 50
REPEATS = 20


def _fill(store: Store, runs_per_task: int, rng: random.Random) -> int:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = 0
    for t, task in enumerate(TASKS):
        for r in range(runs_per_task):
            run_id = f"{t:02d}{r:04d}"
            fingerprint = "a" * 64 if r < runs_per_task // 2 else "b" * 64
            models = [ModelRun(
                model=name, provider="openai", model_name=name,
                base_url="http://gpu:8000/v1", key=f"openai/{name}@http://gpu:8000/v1",
                digest=f"sha256:{name}:{1 if name == 'model-0' and r > 5 else 0}",
                candidate={"id": name, "provider": "openai", "model": name})
                for name, _, _ in MODELS]
            trials = [
                Trial(model=name, case_id=f"C{c:03d}", batch=b, position=c,
                      correct=rng.random() < pass_rate, output="billing", got="billing",
                      parsed_ok=True, latency_ms=rng.gauss(median, median / 10),
                      started_at=start)
                for name, median, pass_rate in MODELS for b in range(REPEATS)
                for c in range(CASES)]
            result = RunResult(
                run_id=run_id, task=task, suite_version="1", strategy="full", repeats=REPEATS,
                cases=CASES, seed=r, started_at=start + timedelta(hours=t * 100 + r),
                finished_at=start + timedelta(hours=t * 100 + r, minutes=30),
                status="complete", models=models, trials=trials,
                ranking=_ranking(trials),
                suite_json={"task": task}, suite_fingerprint=fingerprint)
            store.begin_run(result)
            for model in models:
                store.add_model(run_id, model)
            store.add_trials(run_id, trials)
            store.finish_run(result)
            rows += len(trials)
        print(f"  {task}: {runs_per_task} runs, {rows:,} trials so far", flush=True)
    return rows


def _ranking(trials: list[Trial]) -> Ranking:
    """Ranking lines from plain counts and percentiles (the real ranking's resampling
    is the runner's cost, not the store's)."""
    by_model: dict[str, list[Trial]] = {}
    for trial in trials:
        by_model.setdefault(trial.model, []).append(trial)
    lines = []
    for name, own in by_model.items():
        latencies = sorted(t.latency_ms or 0.0 for t in own)
        passes = sum(t.correct for t in own)
        lines.append({
            "model": name, "provider": "openai", "rank": 0, "status": "qualified",
            "trials": len(own), "passes": passes, "errors": 0,
            "pass_rate": passes / len(own), "pass_rate_lower95": 0.0,
            "latency_ms": {"median": percentile(latencies, 50),
                           "p90": percentile(latencies, 90),
                           "mean": sum(latencies) / len(latencies), "min": latencies[0],
                           "max": latencies[-1]},
            "ttft_ms": None, "output_tokens_per_s": None, "cold_start_ms": None,
            "cost_usd": None, "failed_cases": []})
    lines.sort(key=lambda line: (line["pass_rate"] < 1.0, line["latency_ms"]["median"]))
    for position, line in enumerate(lines, start=1):
        line["rank"] = position
        qualified = line["pass_rate"] == 1.0
        line["status"] = ("champion" if position == 1 and qualified else
                          "runner-up" if position == 2 and qualified else
                          "qualified" if qualified else "disqualified")
    return Ranking(tuple(model_from_json(line) for line in lines))


def _time(label: str, work: Callable[[], object], repeat: int) -> None:
    work()  # once before timing: connections and the page cache warm
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        work()
        times.append((time.perf_counter() - begin) * 1000)
    print(f"{label:<34} median {statistics.median(times):8.1f} ms   best {min(times):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-per-task", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", help="SQLAlchemy URL [default: a new SQLite file]")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="champion-store-bench-")
    url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
    store = Store(url)
    print(f"filling {url}")
    begin = time.perf_counter()
    rows = _fill(store, args.runs_per_task, random.Random(7))
    seconds = time.perf_counter() - begin
    print(f"{rows:,} trials written in {seconds:.1f} s ({rows / seconds:,.0f} trials/s)")
    if url.startswith("sqlite:///"):
        size = Path(url.removeprefix("sqlite:///")).stat().st_size
        print(f"database file: {size / 1e6:.0f} MB")
    task = TASKS[2]
    latest = store.latest_run(task, status="complete")
    assert latest is not None
    history = task_history(store, task)
    print(f"history of {task}: {len(history.runs)} runs,"
          f" {sum(r.champion_changed for r in history.runs)} champion changes,"
          f" {sum(r.suite_changed for r in history.runs)} suite change,"
          f" {sum(len(r.identity_changes) for r in history.runs)} digest change")
    _time("history (task_history)", lambda: task_history(store, task), args.repeat)
    _time("trend (model_trend)", lambda: model_trend(store, task, "model-3"), args.repeat)
    _time("leaderboard (latest run)", lambda: store.leaderboard(latest.run_id), args.repeat)
    _time("count_trials (one run)", lambda: store.count_trials(latest.run_id), args.repeat)
    _time("iter_trials (one run, 10,000)", lambda: sum(1 for _ in store.iter_trials(
        latest.run_id)), args.repeat)
    store.close()


if __name__ == "__main__":
    main()
