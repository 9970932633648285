"""``champion run SUITE... [-m SPEC]...``: a thin layer over :func:`champion._api.arun_suite`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from champion._api import NoCandidateSelected, arun_suite, select_candidates
from champion._cli.options import db_option
from champion._cli.signals import Stopped, cancel_on_signals, stop_on_signals
from champion._errors import InputError
from champion._providers.candidate import Candidate
from champion._providers.discovery import CandidateFilter
from champion._report import render_markdown, write_json
from champion._report.escape import terminal_text
from champion._report.terminal import RunProgress, print_champions, print_summary
from champion._results import RunResult
from champion._runner import RunConfig, strategy_names
from champion._runner.config import LANE_POLICIES
from champion._store import Store
from champion._suite import Suite, load_suite

__all__ = ["candidate_filter", "candidate_options", "run"]

F = TypeVar("F", bound=Callable[..., Any])


def _names(values: tuple[str, ...]) -> tuple[str, ...]:
    """Repeated options, each of which may also be a comma-separated list."""
    return tuple(name.strip().lower() for value in values for name in value.split(",")
                 if name.strip())


def candidate_filter(exclude: tuple[str, ...], max_size_gb: float | None,
                     require: tuple[str, ...], exclude_capability: tuple[str, ...]
                     ) -> CandidateFilter:
    """The filter the candidate options describe."""
    return CandidateFilter(exclude, max_size_gb, _names(require), _names(exclude_capability))


def selected_candidates(specs: tuple[str, ...], models_file: str | None,
                        where: CandidateFilter) -> list[Candidate]:
    """:func:`select_candidates`, its empty-filter error in the words of the options."""
    for spec in specs:
        if spec.lower().endswith((".yaml", ".yml", ".json")) and (
                "/" not in spec or Path(spec).is_file()):
            raise InputError(f"-m {spec!r}: a model spec is PROVIDER/MODEL[@BASE_URL];"
                             f" a models file is given with --models {spec}")
    try:
        return select_candidates(specs, models_file, where)
    except NoCandidateSelected:
        raise InputError("no candidate left after --exclude / --max-size-gb / --require /"
                         " --exclude-capability") from None


def candidate_options(function: F) -> F:
    """``-m``, ``--models``, ``--exclude``, ``--max-size-gb``, ``--require`` and
    ``--exclude-capability``."""
    for option in reversed([
        click.option("-m", "--model", "specs", multiple=True, metavar="SPEC",
                     help="PROVIDER/MODEL[@BASE_URL]; 'builtin' for the bundled models;"
                     " 'ollama/*' for every model on an Ollama server."),
        click.option("--models", "models_file", type=click.Path(), help="A models.yaml file."),
        click.option("--exclude", multiple=True, metavar="GLOB",
                     help="Leave out candidates whose id or model matches."),
        click.option("--max-size-gb", type=float, help="Leave out larger models."),
        click.option("--require", "require", multiple=True, metavar="CAP",
                     help="Only models known to have this capability (completion, vision,"
                     " tools, thinking, embedding, insert); repeatable or comma-separated."),
        click.option("--exclude-capability", "exclude_capability", multiple=True,
                     metavar="CAP", help="Leave out models known to have this capability,"
                     " e.g. --exclude-capability vision,insert; repeatable or comma-separated."),
    ]):
        function = option(function)
    return function


def _output_path(path: str, task: str, several: bool) -> Path:
    target = Path(path)
    return target.with_name(f"{target.stem}.{task}{target.suffix}") if several else target


def _render_report(result: RunResult, path: Path, items: int) -> str:
    if path.suffix.lower() == ".html":
        from champion._report.html import render_html

        return render_html(result, items=items)
    return render_markdown(result, items=items)


def _key_values(values: tuple[str, ...], option: str) -> dict[str, str]:
    """``KEY=VALUE`` options as a mapping (values stay text; the strategy types them)."""
    parsed: dict[str, str] = {}
    for value in values:
        key, equals, text = value.partition("=")
        if not equals or not key.strip():
            raise InputError(f"{option} {value!r}: expected KEY=VALUE, e.g. margin=0.2")
        parsed[key.strip()] = text.strip()
    return parsed


@click.command()
@click.argument("suites", nargs=-1, required=True, type=click.Path())
@candidate_options
@click.option("--repeats", type=click.IntRange(min=1), help="Trials per case (K).")
@click.option("--strategy", type=click.Choice(strategy_names()), default="race",
              show_default=True, help="race screens every model once, then certifies the"
              " fastest survivors; failfast stops a model once it cannot qualify.")
@click.option("--strategy-option", "strategy_option", multiple=True, metavar="KEY=VALUE",
              help="An option of the strategy, repeatable (race: margin=0.1, alpha=0.05,"
              " confirm=0).")
@click.option("--confirm", type=click.IntRange(min=0), default=None,
              help="Extra batches for the champion and the runner-up (race; the same as"
              " --strategy-option confirm=N).")
@click.option("--lanes", "lanes", type=click.Choice(LANE_POLICIES), default="host",
              show_default=True, help="host: models on one machine run one after another,"
              " different machines side by side; endpoint: one lane per server; serial: one"
              " model at a time.")
@click.option("--executor", default="local", show_default=True, metavar="NAME",
              help="Where models run: local, or ray (embedded models on a Ray cluster).")
@click.option("--ray-address", "ray_address", metavar="ADDR",
              help="The Ray cluster for --executor ray (auto, ray://HOST:PORT); default"
              " RAY_ADDRESS, else a local Ray instance for this run.")
@click.option("--concurrency", type=click.IntRange(min=1), default=1, show_default=True,
              help="Calls in flight per HTTP model.")
@click.option("--seed", type=int, help="Seed of the case order (recorded either way).")
@db_option
@click.option("--json", "json_path", type=click.Path(), help="Write the run JSON here.")
@click.option("--report", "report_path", type=click.Path(),
              help="Write a report here (.md or .html).")
@click.option("--resume", "resume_id", metavar="RUN_ID",
              help="Continue an unfinished run with its own strategy, seed and candidates.")
@click.option("--prompt", "prompt_file", type=click.Path(),
              help="Prompt for a cookbook test-case file without a 'prompt' key.")
@click.option("--items", type=click.IntRange(min=1), default=100, show_default=True,
              help="Items in the report's production-viability estimate.")
@click.option("--require-champion", is_flag=True, help="Exit 3 when no model qualifies.")
def run(suites: tuple[str, ...], specs: tuple[str, ...], models_file: str | None,
        exclude: tuple[str, ...], max_size_gb: float | None, require: tuple[str, ...],
        exclude_capability: tuple[str, ...], repeats: int | None, strategy: str,
        strategy_option: tuple[str, ...], confirm: int | None, lanes: str, executor: str,
        ray_address: str | None, concurrency: int, seed: int | None, db: str | None,
        json_path: str | None, report_path: str | None, resume_id: str | None,
        prompt_file: str | None, items: int, require_champion: bool) -> None:
    """Benchmark every candidate on each suite and name the champions."""
    console = Console(highlight=False)
    if not console.is_terminal:  # logs and pipes: no wrapping at 80 columns
        console.width = max(console.width, 160)
    state = _Progress()
    try:
        with stop_on_signals():
            results = _run_all(console, state, suites, specs, models_file,
                               candidate_filter(exclude, max_size_gb, require,
                                                exclude_capability),
                               _config(repeats, strategy, strategy_option, confirm, lanes,
                                       executor, ray_address, concurrency, seed),
                               db, json_path, report_path, resume_id, prompt_file, items)
    except Stopped as stop:
        console.print()
        if state.run_id is None:
            console.print("interrupted before anything was stored", highlight=False)
        else:
            again = f" --db {db}" if db else ""
            console.print(f"interrupted: run {state.run_id} is stored as interrupted with every"
                          f" trial measured so far; finish it with: champion run"
                          f" {state.suite} --resume {state.run_id}{again}", highlight=False)
        console.file.flush()
        raise SystemExit(stop.exit_status) from None
    if len(results) > 1:
        print_champions(console, results)
    if require_champion and any(result.champion is None for result in results):
        raise SystemExit(3)


def _config(repeats: int | None, strategy: str, strategy_option: tuple[str, ...],
            confirm: int | None, lanes: str, executor: str, ray_address: str | None,
            concurrency: int, seed: int | None) -> RunConfig:
    options: dict[str, str | int] = dict(_key_values(strategy_option, "--strategy-option"))
    if confirm is not None:
        options["confirm"] = confirm
    executor_options = {"address": ray_address} if ray_address else {}
    if ray_address and executor == "local":
        raise InputError("--ray-address needs --executor ray")
    return RunConfig(repeats=repeats, strategy=strategy, strategy_options=options,
                     executor=executor, executor_options=executor_options,
                     lanes=lanes,  # type: ignore[arg-type]  # click.Choice(LANE_POLICIES)
                     concurrency=concurrency, seed=seed)


class _Progress:
    """Which run is going on, for the message when a signal stops the command."""

    run_id: str | None = None
    suite: str = ""


def _run_all(console: Console, state: _Progress, suites: tuple[str, ...],
             specs: tuple[str, ...], models_file: str | None, where: CandidateFilter,
             config: RunConfig, db: str | None, json_path: str | None,
             report_path: str | None, resume_id: str | None, prompt_file: str | None,
             items: int) -> list[RunResult]:
    loaded = [load_suite(path, prompt_file=prompt_file) for path in suites]
    if report_path and Path(report_path).suffix.lower() not in (".md", ".markdown", ".html"):
        raise InputError(f"--report {report_path}: write a .md or .html report")
    if resume_id and len(loaded) != 1:
        raise InputError("--resume takes exactly one suite")
    given = bool(specs or models_file)
    candidates = None if resume_id and not given else selected_candidates(
        specs, models_file, where)
    store = Store(db)
    results: list[RunResult] = []
    several = len(loaded) > 1
    try:
        for path, suite in zip(suites, loaded, strict=True):
            state.suite, state.run_id = path, None
            result = _run_one(console, state, store, suite, candidates, config, resume_id)
            results.append(result)
            if json_path:
                write_json(result, _output_path(json_path, suite.task, several))
            if report_path:
                target = _output_path(report_path, suite.task, several)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(_render_report(result, target, items), encoding="utf-8")
                console.print(f"report: {target}")
    finally:
        store.close()
    return results


def _run_one(console: Console, state: _Progress, store: Store, suite: Suite,
             candidates: list[Candidate] | None, config: RunConfig,
             resume_id: str | None) -> RunResult:
    names = [c.id for c in candidates] if candidates is not None else [
        m.model for m in store.load_run(resume_id).models] if resume_id else []
    progress = RunProgress(console, names, len(suite.cases))
    with progress:
        try:
            result = asyncio.run(cancel_on_signals(arun_suite(
                suite, candidates, config=config, db=store, listener=progress,
                resume=resume_id)))
        finally:
            state.run_id = progress.run_id
    print_summary(console, result)
    for warning in result.config.get("warnings") or ():
        console.print(f"[yellow]warning[/] {terminal_text(warning, 400)}", highlight=False)
    console.print(f"run id: {result.run_id}  (champion report {result.run_id} --format md)")
    return result
