"""Terminal output: progress per model while running, a summary tree at the end."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.tree import Tree

from champion._ranking import ModelRanking
from champion._records import Trial
from champion._report.cases import case_lines
from champion._report.escape import terminal_text
from champion._report.judge import judge_lines, judge_of
from champion._report.verdicts import (
    comparison_sentence,
    latency_text,
    podium_tie,
    score_text,
    verdict_text,
)
from champion._results import RunResult
from champion._runner.config import RunListener

__all__ = ["RunProgress", "print_champions", "print_summary"]


def _seconds(ms: float | None) -> str:
    if ms is None:
        return "—"
    if ms >= 1000:
        return f"{ms / 1000:.2f}s"
    return f"{ms:.0f}ms" if ms >= 10 else f"{ms:.1f}ms"


class RunProgress(RunListener):
    """A progress bar per model on a terminal; plain lines otherwise.

    The first line is always ``run <id> started`` (flushed before any model
    loads); the bars start after it.
    """

    def __init__(self, console: Console, models: list[str], cases: int) -> None:
        self.console = console
        self.cases = max(1, cases)
        self.live = console.is_terminal
        self._done: dict[str, int] = {}
        self._correct: dict[str, int] = {}
        self._totals: dict[str, int] = {}
        self._progress: Progress | None = None
        self._tasks: dict[str, Any] = {}
        self.run_id: str | None = None
        self._loaded: set[str] = set()
        if self.live:
            self._progress = Progress(
                TextColumn("{task.fields[name]}", justify="left"), BarColumn(),
                MofNCompleteColumn(), TextColumn("{task.fields[note]}"), TimeElapsedColumn(),
                console=console, transient=False,
            )
            for model in models:
                self._tasks[model] = self._progress.add_task(
                    "", total=None, name=terminal_text(model, 40), note="waiting", start=False)

    def __enter__(self) -> RunProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()  # also shows the cursor again

    def run_started(self, run_id: str) -> None:
        """Say the run's id first (a crash or Ctrl-C later can name it), then show the bars."""
        self.run_id = run_id
        self.console.print(f"run {run_id} started", highlight=False, soft_wrap=True)
        self.console.file.flush()
        if self._progress is not None:
            self._progress.start()

    def model_excluded(self, model: str, reason: str) -> None:
        """Say why a model runs no trial."""
        if self._progress is not None:
            task = self._task(model)
            self._progress.update(task, note=terminal_text(f"excluded: {reason}", 60))
            self._progress.console.print(f"{terminal_text(model)}: excluded:"
                                         f" {terminal_text(reason, 300)}", highlight=False)
        else:
            self.console.print(f"{terminal_text(model)}: excluded: {terminal_text(reason, 300)}",
                               highlight=False)

    def lanes(self, lanes: list[list[str]]) -> None:
        """Say which models run side by side (lanes follow the lane policy)."""
        if len(lanes) < 2:
            return
        shown = " | ".join(" → ".join(terminal_text(m, 30) for m in lane) for lane in lanes)
        self.console.print(f"side by side: {shown}", highlight=False)

    def _task(self, model: str) -> Any:
        if self._progress is not None and model not in self._tasks:
            self._tasks[model] = self._progress.add_task(
                "", total=None, name=terminal_text(model, 40), note="waiting", start=False)
        return self._tasks.get(model)

    def model_started(self, model: str, total: int) -> None:
        """Show the model as loading (again, in a later wave of a race)."""
        self._done.setdefault(model, 0)
        self._correct.setdefault(model, 0)
        self._totals[model] = self._done[model] + total
        if self._progress is not None:
            task = self._task(model)
            self._progress.start_task(task)
            self._progress.update(task, total=self._totals[model], note="loading + warm-up")
        else:
            self.console.print(f"{terminal_text(model)}: loading, {total} trials planned",
                               highlight=False)

    def model_loaded(self, model: str, cold_start_ms: float | None, error: str | None) -> None:
        """Report the cold start or the load error."""
        if error:
            note = f"error: {error}"
        elif model in self._loaded:  # a later wave loaded it again: no new cold start
            note = "loaded again"
        else:
            note = f"cold start {_seconds(cold_start_ms)}"
        self._loaded.add(model)
        if self._progress is not None:
            self._progress.update(self._task(model), note=terminal_text(note, 60))
        else:
            self.console.print(f"{terminal_text(model)}: {terminal_text(note, 200)}",
                               highlight=False)

    def model_notes(self, model: str, notes: list[str]) -> None:
        """Say each setting that could not be applied, once per model."""
        for note in notes:
            self.console.print(f"[yellow]note[/] {terminal_text(model)}:"
                               f" {terminal_text(note, 300)}", highlight=False)

    def trial_done(self, model: str, trial: Trial) -> None:
        """Advance the model's bar."""
        self._done[model] += 1
        self._correct[model] += int(trial.correct)
        done, correct = self._done[model], self._correct[model]
        if self._progress is not None:
            self._progress.update(self._task(model), advance=1,
                                  note=f"{correct}/{done} correct")
        elif done % self.cases == 0 or done == self._totals[model]:
            self.console.print(f"{terminal_text(model)}: {done}/{self._totals[model]} trials,"
                               f" {correct} correct", highlight=False)

    def model_finished(self, model: str, stopped: str | None) -> None:
        """Say when the strategy stopped the model early."""
        if stopped is None:
            return
        if self._progress is not None:
            self._progress.update(self._task(model), note=terminal_text(f"stopped: {stopped}", 60))
        else:
            self.console.print(f"{terminal_text(model)}: stopped: {terminal_text(stopped, 200)}",
                               highlight=False)


def _result_line(line: ModelRanking) -> str:
    """``Result:`` with the verdict first; a score only for a qualified (ranked) model."""
    mark = "✅" if line.qualified else "❌"
    parts = [f"Result: {terminal_text(verdict_text(line), 200)} {mark}",
             f"{line.passes}/{line.trials} correct"
             + (f", {line.unjudged} unjudged" if line.unjudged else "")]
    if line.status != "error":
        parts.append(latency_text(line, _seconds))
    score = score_text(line)
    if score is not None:
        parts.append(f"Score: {score}")
    if line.json_valid_rate is not None:
        parts.append(f"Valid JSON: {line.json_valid_rate:.0%}")
    if line.field_accuracy:
        parts.append("Fields: " + ", ".join(f"{terminal_text(name, 30)} {share:.0%}"
                                            for name, share in line.field_accuracy.items()))
    return " | ".join(parts)


def print_summary(console: Console, result: RunResult) -> None:
    """The cookbook-style tree per model, then champion, runner-up and the rest.

    Per case the median latency of its repeats; per model the verdict first,
    then median and p90 latency, and a speed score (1000 / median latency in
    seconds) only for a qualified model. Each qualified model says how it
    compares with the next: faster, or a tie with its p-value and what
    ordered it.
    """
    console.print()
    console.print(f"[bold]{terminal_text(result.task)}[/]: {len(result.models)} models ×"
                  f" {result.cases} cases × {result.repeats} repeats"
                  f" ({result.calls} calls, run {result.run_id})", highlight=False)
    judge = judge_of(result)
    for text in judge_lines(judge, _seconds) if judge is not None else ():
        console.print(terminal_text(text, 600), highlight=False, soft_wrap=True)
    ranking = result.ranking
    lines = {line.model: line for line in ranking.models}
    for line in ranking.models:
        badge = {"champion": " 🏆 champion", "runner-up": " 🥈 runner-up"}.get(line.status, "")
        tree = Tree(f"[bold]{terminal_text(line.model)}[/]{badge}", highlight=False)
        for case in case_lines(result, line.model):
            mark = "✅" if case.ok else "⚠️" if case.passes == case.trials else "❌"
            text = f"{terminal_text(case.case_id, 40)} {mark} median {_seconds(case.median_ms)}"
            if not case.ok and case.got is not None:
                text += f"  {case.passes}/{case.trials}, got {terminal_text(case.got, 50)}"
                if case.reason:
                    text += f" (judge: {terminal_text(case.reason, 120)})"
            if case.unjudged:
                text += f"  ⚠ {case.unjudged} unjudged"
            tree.add(text)
        if line.vs_next is not None:
            tree.add(terminal_text(comparison_sentence(line.vs_next, lines, _seconds), 400))
        tree.add(_result_line(line))
        console.print(tree)
    console.print()
    champion = next((m for m in ranking.models if m.status == "champion"), None)
    runner_up = next((m for m in ranking.models if m.status == "runner-up"), None)
    for label, winner in (("Champion", champion), ("Runner-up", runner_up)):
        if winner is None:
            console.print(f"{label}: none", highlight=False)
        else:
            console.print(f"{label}: [bold]{terminal_text(winner.model)}[/]"
                          f" ({latency_text(winner, _seconds)},"
                          f" {winner.passes}/{winner.trials} correct)", highlight=False)
    tie = podium_tie(ranking)
    if tie is not None:
        console.print(terminal_text(comparison_sentence(tie, lines, _seconds), 400) + ".",
                      highlight=False, soft_wrap=True)
    failed = [m for m in ranking.models if not m.qualified]
    if failed:
        console.print("Did not qualify:")
        for line in failed:
            if line.status == "error":
                reason = f"error: {line.error}"
            else:
                reason = f"{line.passes}/{line.trials} correct"
                if line.unjudged:
                    reason += f", {line.unjudged} unjudged"
                if line.leaning:
                    reason += f", {line.leaning}"
                cases = ", ".join(f"{f.id} ({f.failures}/{f.trials})"
                                  for f in line.failed_cases[:5])
                if cases:
                    more = len(line.failed_cases) - 5
                    reason += f"; failed {cases}" + (f" and {more} more" if more > 0 else "")
            console.print(f"  - {terminal_text(line.model)}: {terminal_text(reason, 300)}",
                          highlight=False)


def print_champions(console: Console, results: list[RunResult]) -> None:
    """One line per suite: its champion and runner-up (after a run of several suites)."""
    from rich.table import Table

    table = Table("task", "champion", "runner-up", "run id", title="Champions",
                  title_justify="left", highlight=False)
    for result in results:
        lines = {m.status: m for m in result.ranking.models}
        cells = []
        for status in ("champion", "runner-up"):
            line = lines.get(status)
            median = line.latency_ms.median if line and line.latency_ms else None
            cells.append(f"{terminal_text(line.model, 40)} (median {_seconds(median)})" if line
                         else "none qualified" if status == "champion" else "—")
        table.add_row(terminal_text(result.task, 40), *cells, result.run_id)
    console.print()
    console.print(table)
