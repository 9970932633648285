"""``champion run SUITE... [-m SPEC]...``"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from champion.api import resolve_candidates
from champion.cli.options import db_option
from champion.errors import InputError
from champion.providers.candidate import Candidate, load_models_file
from champion.providers.discovery import CandidateFilter
from champion.report import render_markdown, write_json
from champion.report.terminal import RunProgress, print_champions, print_summary
from champion.results import RunResult
from champion.runner import RunConfig, SuiteRunner
from champion.store import Store
from champion.suite import Suite, load_suite

__all__ = ["candidate_options", "run", "select_candidates"]

F = TypeVar("F", bound=Callable[..., Any])


def select_candidates(specs: tuple[str, ...], models_file: str | None,
                      exclude: tuple[str, ...] = (), max_size_gb: float | None = None
                      ) -> list[Candidate]:
    """Candidates from ``--models`` and ``-m``; the bundled models when neither is given."""
    candidates: list[Candidate | str] = []
    if models_file:
        candidates.extend(load_models_file(models_file))
    candidates.extend(specs)
    if not candidates:
        candidates.append("builtin")
    chosen = resolve_candidates(candidates, CandidateFilter(exclude, max_size_gb))
    if not chosen:
        raise InputError("no candidate left after --exclude / --max-size-gb")
    return chosen


def candidate_options(function: F) -> F:
    """``-m``, ``--models``, ``--exclude`` and ``--max-size-gb``."""
    for option in reversed([
        click.option("-m", "--model", "specs", multiple=True, metavar="SPEC",
                     help="PROVIDER/MODEL[@BASE_URL]; 'builtin' for the bundled models;"
                     " 'ollama/*' for every model on an Ollama server."),
        click.option("--models", "models_file", type=click.Path(), help="A models.yaml file."),
        click.option("--exclude", multiple=True, metavar="GLOB",
                     help="Leave out candidates whose id or model matches."),
        click.option("--max-size-gb", type=float, help="Leave out larger models."),
    ]):
        function = option(function)
    return function


def _output_path(path: str, task: str, several: bool) -> Path:
    target = Path(path)
    return target.with_name(f"{target.stem}.{task}{target.suffix}") if several else target


@click.command()
@click.argument("suites", nargs=-1, required=True, type=click.Path())
@candidate_options
@click.option("--repeats", type=click.IntRange(min=1), help="Trials per case.")
@click.option("--strategy", type=click.Choice(["full", "race"]), default="full",
              show_default=True, help="race stops a model once it can no longer qualify.")
@click.option("--concurrency", type=click.IntRange(min=1), default=1, show_default=True,
              help="Calls in flight per HTTP endpoint.")
@click.option("--seed", type=int, help="Seed of the case order (recorded either way).")
@db_option
@click.option("--json", "json_path", type=click.Path(), help="Write the run JSON here.")
@click.option("--report", "report_path", type=click.Path(), help="Write a .md report here.")
@click.option("--resume", "resume_id", metavar="RUN_ID", help="Finish an interrupted run.")
@click.option("--prompt", "prompt_file", type=click.Path(),
              help="Prompt for a cookbook test-case file without a 'prompt' key.")
@click.option("--items", type=click.IntRange(min=1), default=100, show_default=True,
              help="Items in the report's production-viability estimate.")
@click.option("--require-champion", is_flag=True, help="Exit 3 when no model qualifies.")
def run(suites: tuple[str, ...], specs: tuple[str, ...], models_file: str | None,
        exclude: tuple[str, ...], max_size_gb: float | None, repeats: int | None,
        strategy: str, concurrency: int, seed: int | None,
        db: str | None, json_path: str | None, report_path: str | None,
        resume_id: str | None, prompt_file: str | None, items: int,
        require_champion: bool) -> None:
    """Benchmark every candidate on each suite and name the champions."""
    loaded = [load_suite(path, prompt_file=prompt_file) for path in suites]
    candidates = select_candidates(specs, models_file, exclude, max_size_gb)
    if report_path and Path(report_path).suffix.lower() not in (".md", ".markdown"):
        raise InputError(f"--report {report_path}: only .md reports are written by run")
    if resume_id and len(loaded) != 1:
        raise InputError("--resume takes exactly one suite")
    config = RunConfig(repeats=repeats, strategy=strategy,  # type: ignore[arg-type]
                       concurrency=concurrency, seed=seed)
    console = Console(highlight=False)
    if not console.is_terminal:  # logs and pipes: no wrapping at 80 columns
        console.width = max(console.width, 160)
    store = Store(db)
    results: list[RunResult] = []
    several = len(loaded) > 1
    try:
        for suite in loaded:
            result = _run_one(console, store, suite, candidates, config, resume_id)
            results.append(result)
            if json_path:
                write_json(result, _output_path(json_path, suite.task, several))
            if report_path:
                target = _output_path(report_path, suite.task, several)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(render_markdown(result, items=items), encoding="utf-8")
    finally:
        store.close()
    if several:
        print_champions(console, results)
    if require_champion and any(result.champion is None for result in results):
        raise SystemExit(3)


def _run_one(console: Console, store: Store, suite: Suite, candidates: list[Candidate],
             config: RunConfig, resume_id: str | None) -> RunResult:
    previous = None
    if resume_id:
        previous = store.load_run(resume_id)
        if previous.task != suite.task:
            raise InputError(f"--resume {resume_id}: that run is for task {previous.task!r},"
                             f" not {suite.task!r}")
    runner = SuiteRunner(suite, candidates, config, sink=store, previous=previous)
    with RunProgress(console, [c.id for c in candidates], len(suite.cases)) as progress:
        runner.listener = progress
        try:
            result = asyncio.run(runner.run())
        except KeyboardInterrupt:
            console.print(f"\ninterrupted: measured trials are kept; finish with"
                          f" --resume {runner.run_id}")
            raise SystemExit(130) from None
    print_summary(console, result)
    console.print(f"run id: {result.run_id}  (champion report {result.run_id} --format md)")
    return result

