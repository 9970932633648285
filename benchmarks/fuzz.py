"""Fuzzing the suite and models file loaders at volume.

Drives the generators of ``tests/fuzz/strategies.py`` (valid documents, wrong
types at random key paths, damaged bytes, random bytes, deep nesting, YAML
tags and aliases; YAML and JSON) through ``load_suite`` and
``load_models_file`` in-process, and counts for each kind of file: inputs,
accepted, rejected with the loader's own error, rejections that name a line,
valid documents refused, and tracebacks (any other exception, or an error
that does not name the file). Exits 1 if there was any traceback or any valid
document was refused.

Usage: python benchmarks/fuzz.py [--count N] [--show K]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fuzz.checks import Outcome, try_models_file, try_suite_file  # noqa: E402
from tests.fuzz.strategies import FuzzFile, models_files, suite_files  # noqa: E402


@dataclass
class Tally:
    """Counts for one kind of file."""

    inputs: int = 0
    accepted: int = 0
    rejected: int = 0
    with_line: int = 0
    valid_refused: int = 0
    tracebacks: int = 0
    seconds: float = 0.0
    by_family: Counter[str] = field(default_factory=Counter)
    by_format: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    def add(self, file: FuzzFile, outcome: Outcome, show: int) -> None:
        self.inputs += 1
        self.by_family[file.family] += 1
        self.by_format["json" if file.name.endswith(".json") else "yaml"] += 1
        if outcome.crash:
            self.tracebacks += 1
            if len(self.samples) < show:
                self.samples.append(f"{file.family} {file.name} {file.content[:300]!r}\n"
                                    f"{outcome.crash}")
        elif outcome.accepted:
            self.accepted += 1
        else:
            self.rejected += 1
            self.with_line += outcome.named_line
            if file.valid:
                self.valid_refused += 1
                if len(self.samples) < show:
                    self.samples.append(f"valid document refused: {outcome.message}")


def drive(strategy: st.SearchStrategy[FuzzFile], load: Callable[[Path], Outcome],
          count: int, folder: Path, show: int) -> Tally:
    """Load ``count`` generated files; hypothesis only generates (no shrinking)."""
    tally = Tally()
    started = time.perf_counter()
    while tally.inputs < count:
        before = tally.inputs

        @settings(max_examples=count - tally.inputs, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(strategy)
        def one(file: FuzzFile) -> None:
            path = folder / file.name
            path.write_bytes(file.content)
            tally.add(file, load(path), show)

        one()
        if tally.inputs == before:
            break
    tally.seconds = time.perf_counter() - started
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000,
                        help="generated inputs in all, half suite files, half models files")
    parser.add_argument("--show", type=int, default=3, help="tracebacks to print at most")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        half = args.count // 2
        tallies = {
            "suite files": drive(suite_files(), try_suite_file, args.count - half, folder,
                                 args.show),
            "models files": drive(models_files(), try_models_file, half, folder, args.show),
        }
    header = (f"{'':<13}{'inputs':>8}{'accepted':>10}{'rejected':>10}{'with line':>11}"
              f"{'valid refused':>15}{'tracebacks':>12}{'seconds':>9}")
    print(header)
    total = Tally()
    for name, tally in tallies.items():
        _row(name, tally)
        for attribute in ("inputs", "accepted", "rejected", "with_line", "valid_refused",
                          "tracebacks", "seconds"):
            setattr(total, attribute, getattr(total, attribute) + getattr(tally, attribute))
        total.by_family.update(tally.by_family)
        total.by_format.update(tally.by_format)
    _row("total", total)
    print("by family: " + ", ".join(f"{k} {v}" for k, v in sorted(total.by_family.items())))
    print("by format: " + ", ".join(f"{k} {v}" for k, v in sorted(total.by_format.items())))
    print(f"{total.inputs / total.seconds:.0f} inputs/s" if total.seconds else "")
    for tally in tallies.values():
        for sample in tally.samples:
            print("\n" + sample)
    failed = total.tracebacks or total.valid_refused
    print("FAIL" if failed else "OK: no traceback, every valid document accepted")
    return 1 if failed else 0


def _row(name: str, tally: Tally) -> None:
    print(f"{name:<13}{tally.inputs:>8}{tally.accepted:>10}{tally.rejected:>10}"
          f"{tally.with_line:>11}{tally.valid_refused:>15}{tally.tracebacks:>12}"
          f"{tally.seconds:>9.1f}")


if __name__ == "__main__":
    sys.exit(main())
