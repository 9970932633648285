"""Models on different servers run side by side; models on one server one after another.

Sixteen scripted models with a fixed 50 ms answer, spread over four loopback
servers (each in its own process), against the same sixteen on one server.
Prints both wall times and their ratio (target ≤ 0.35), and each model's
median latency beside what one model measures alone (target: within 10%).

Usage: python benchmarks/side_by_side.py [--models 16] [--servers 4] [--delay-ms 50]
                                        [--cases 5] [--repeats 2]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

from champion import Candidate, RunConfig, run_suite
from champion.testing.scripted import ScriptedModel, ScriptedServerProcess

SUITE = """\
task: side-by-side
prompt: {user: "Question {n}: answer ok."}
output: {kind: label, labels: [ok, no]}
check: {type: label}
params: {max_tokens: 4, timeout_s: 30}
cases:
"""


def write_suite(folder: Path, cases: int) -> Path:
    """A label suite every scripted model answers correctly."""
    path = folder / "suite.yaml"
    path.write_text(SUITE + "".join(
        f"  - {{id: c{i}, vars: {{n: {i}}}, expected: ok}}\n" for i in range(cases)))
    return path


def timed_run(suite: Path, candidates: list[Candidate], repeats: int,
              db: str) -> tuple[float, dict[str, float]]:
    """Wall time of a run and each model's median latency."""
    start = time.perf_counter()
    # Every scripted server is on this machine: side by side only by endpoint.
    config = RunConfig(repeats=repeats, seed=1, lanes="endpoint")
    result = run_suite(str(suite), candidates, config=config, db=db)
    wall = time.perf_counter() - start
    medians = {m.model: m.latency_ms.median for m in result.ranking.models if m.latency_ms}
    return wall, medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=16)
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--cases", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    names = [f"m{i:02d}" for i in range(args.models)]
    model = ScriptedModel(reply="ok", delay_ms=args.delay_ms)
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        suite = write_suite(Path(folder), args.cases)
        servers = [stack.enter_context(ScriptedServerProcess(
            {name: model for name in names[i::args.servers]})) for i in range(args.servers)]
        single = stack.enter_context(ScriptedServerProcess({name: model for name in names}))

        def on(server: ScriptedServerProcess, name: str) -> Candidate:
            return Candidate(id=name, provider="openai", model=name, base_url=server.openai_url)

        alone_wall, alone = timed_run(suite, [on(single, names[0])], args.repeats,
                                      f"sqlite:///{folder}/alone.db")
        one_wall, one = timed_run(suite, [on(single, n) for n in names], args.repeats,
                                  f"sqlite:///{folder}/one.db")
        spread = [on(servers[i % args.servers], n) for i, n in enumerate(names)]
        four_wall, four = timed_run(suite, spread, args.repeats, f"sqlite:///{folder}/four.db")
    reference = alone[names[0]]
    ratio = four_wall / one_wall
    worst = max(abs(m / reference - 1) for m in four.values())
    print(f"{args.models} models × {args.cases} cases × {args.repeats} repeats,"
          f" {args.delay_ms:g} ms per answer")
    print(f"  one model alone                  {alone_wall:8.2f} s   median"
          f" {reference:7.2f} ms")
    print(f"  all on one server                {one_wall:8.2f} s   median of medians"
          f" {statistics.median(one.values()):7.2f} ms")
    print(f"  spread over {args.servers} servers             {four_wall:8.2f} s   median of"
          f" medians {statistics.median(four.values()):7.2f} ms")
    print(f"  wall ratio (spread / one server) {ratio:8.2f}     target ≤ 0.35:"
          f" {'OK' if ratio <= 0.35 else 'MISSED'}")
    print(f"  worst model median vs alone      {worst:8.1%}     target ≤ 10%:"
          f" {'OK' if worst <= 0.10 else 'MISSED'}")


if __name__ == "__main__":
    main()
