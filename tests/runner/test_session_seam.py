"""The session owns the bookkeeping; strategies and executors plug in by name.

- strategy options are typed, recorded in the run JSON and restored on resume;
  a resumed run refuses settings that differ from its own;
- a strategy that plans more batches than ``repeats`` completes (the session
  tracks what it declares); one that plans beyond its declaration fails loudly;
- any executor (here one written in the test) runs through the same loop: the
  session records, numbers and stores its trials, and warns when a model's
  latency spread changed while another lane was running;
- lanes follow hosts: loopback and this machine's names are one host.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncGenerator, Iterator, Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from champion import Candidate, RunConfig, run_suite
from champion._errors import InputError
from champion._records import ModelRun, Trial
from champion._report import render_markdown, run_to_json
from champion._report.html import render_html
from champion._runner import (
    Executor,
    MemorySink,
    ModelReady,
    RunListener,
    RunSession,
    StrategyStalled,
    TrialLost,
    Work,
    executors,
    strategies,
)
from champion._runner.lanes import THIS_MACHINE, Placement, host_of
from champion._runner.strategies import Outcome
from champion._runner.strategies.full import FullStrategy
from champion._suite import load_suite
from champion.testing.scripted import ScriptedModel, ScriptedServerProcess
from tests.conftest import run_cli

SUITE = """\
task: seam
prompt: {user: "Question {n}: answer ok."}
output: {kind: label, labels: [ok, no]}
repeats: 2
params: {max_tokens: 4, timeout_s: 10}
cases:
""" + "".join(f"  - {{id: c{i}, vars: {{n: {i}}}, expected: ok}}\n" for i in range(6))


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    path = tmp_path / "seam.yaml"
    path.write_text(SUITE)
    return path


@pytest.fixture
def scripted() -> Iterator[ScriptedServerProcess]:
    with ScriptedServerProcess({"fast": ScriptedModel(reply="ok", delay_ms=2),
                                "slow": ScriptedModel(reply="ok", delay_ms=20)}) as server:
        yield server


def _models_file(tmp_path: Path, server: ScriptedServerProcess) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text("models:\n" + "".join(
        f"  - {{id: {n}, provider: openai, model: {n}, base_url: '{server.openai_url}'}}\n"
        for n in ("fast", "slow")))
    return path


class _StopAfter(RunListener):
    """Interrupts the run after ``n`` trials, as Ctrl-C would."""

    def __init__(self, n: int) -> None:
        self.n = n

    def trial_done(self, model: str, trial: Trial) -> None:
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt


def test_strategy_options_are_recorded_restored_and_checked_on_resume(
        suite: Path, tmp_path: Path, scripted: ScriptedServerProcess) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    models = _models_file(tmp_path, scripted)
    candidates = [Candidate(id=n, provider="openai", model=n, base_url=scripted.openai_url)
                  for n in ("fast", "slow")]
    config = RunConfig(strategy_options={"margin": "0.2", "confirm": "1"}, seed=4)
    with pytest.raises(KeyboardInterrupt):
        run_suite(str(suite), candidates, config=config, db=db, listener=_StopAfter(3))
    from champion._store import Store

    with Store(db) as store:
        [run_id] = store.run_ids()
        assert store.load_run(run_id).status == "interrupted"

    for refused, name in ((["--repeats", "3"], "repeats=3"),
                          (["--strategy-option", "margin=0.3"], "margin"),
                          (["--strategy", "full"], "strategy='full'"),
                          (["--lanes", "serial"], "lanes='serial'")):
        done = run_cli("run", str(suite), "--resume", run_id, "--db", db, *refused)
        assert done.returncode == 2, (refused, done.stdout, done.stderr)
        assert name in done.stderr and "differs from the run's own" in done.stderr

    out = tmp_path / "run.json"
    done = run_cli("run", str(suite), "--resume", run_id, "--db", db, "--models", str(models),
                   "--repeats", "2", "--strategy-option", "margin=0.20", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads(out.read_text())
    assert document["run_id"] == run_id and document["status"] == "complete"
    assert document["strategy_options"] == {"margin": 0.2, "alpha": 0.05, "confirm": 1}
    assert document["executor"] == "local" and document["lane_policy"] == "host"


@pytest.mark.parametrize(("args", "named"), [
    (["--strategy-option", "marign=0.2"], "marign"),
    (["--strategy-option", "margin=fast"], "margin"),
    (["--strategy-option", "margin"], "KEY=VALUE"),
    (["--executor", "rayy"], "rayy"),
    (["--ray-address", "auto"], "--executor ray"),
])
def test_an_unknown_option_or_executor_is_exit_2_naming_it(
        suite: Path, db_url: str, args: list[str], named: str) -> None:
    done = run_cli("run", str(suite), "-m", "openai/m@http://127.0.0.1:9/v1", "--db", db_url,
                   *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert named in done.stderr and "Traceback" not in done.stderr
    if named == "marign":
        assert "did you mean 'margin'" in done.stderr


class DoubleStrategy(FullStrategy):
    """Runs every case in twice as many batches as ``repeats``."""

    name: ClassVar[str] = "double"

    @property
    def max_batches(self) -> int:
        return 2 * self.plan.repeats

    def trials_for(self, model: str) -> Iterator[tuple[str, int]]:
        for batch in range(self.max_batches):
            for case in self.plan.batch_order(batch):
                yield case, batch


class OverreachingStrategy(FullStrategy):
    """Plans a batch beyond what it declares."""

    name: ClassVar[str] = "overreach"

    def trials_for(self, model: str) -> Iterator[tuple[str, int]]:
        yield from super().trials_for(model)
        yield self.plan.cases[0], self.plan.repeats


def test_a_strategy_planning_more_batches_than_repeats_completes(
        suite: Path, scripted: ScriptedServerProcess) -> None:
    strategies.add("double", DoubleStrategy)
    strategies.add("overreach", OverreachingStrategy)
    try:
        candidates = [Candidate(id="fast", provider="openai", model="fast",
                                base_url=scripted.openai_url)]
        sink = MemorySink()
        result = run_suite(str(suite), candidates, config=RunConfig(strategy="double"),
                           db=sink)
        assert result.status == "complete"
        assert sorted({t.batch for t in sink.trials[result.run_id]}) == [0, 1, 2, 3]
        assert len(result.trials) == 6 * 4
        assert sorted(t.position for t in sink.trials[result.run_id]) == list(range(24))
        with pytest.raises(StrategyStalled, match="beyond"):
            run_suite(str(suite), candidates, config=RunConfig(strategy="overreach"),
                      db=MemorySink())
    finally:
        strategies.remove("double")
        strategies.remove("overreach")


class TimedExecutor(Executor):
    """Two models on two hosts; ``long`` is noisy while ``short`` is running."""

    name: ClassVar[str] = "timed"

    def __init__(self) -> None:
        self.short_done = False
        self._runs = {m: ModelRun(model=m, provider="timed", model_name=m, key=f"timed/{m}")
                      for m in ("short", "long")}
        self.placements = {"short": Placement("host-a", "a"), "long": Placement("host-b", "b")}

    def models(self) -> Mapping[str, ModelRun]:
        return self._runs

    def placement(self, model: str) -> Placement:
        return self.placements[model]

    def preflight(self) -> Mapping[str, str]:
        return {}

    async def execute(self, work: Work) -> AsyncGenerator[ModelReady | Trial, None]:
        yield ModelReady(self._runs[work.model])
        for index, (case, batch) in enumerate(work.trials):
            if work.model == "short":
                latency = 10.0
            elif not self.short_done:
                latency = (5.0, 5.0, 5.0, 80.0)[index % 4]
            else:
                latency = 10.0 + index % 2
            await asyncio.sleep(latency / 1000)
            yield Trial(model=work.model, case_id=case.id, batch=batch, position=-1,
                        correct=True, output="ok", got="ok", parsed_ok=True,
                        latency_ms=latency)
        if work.model == "short":
            self.short_done = True


def test_any_executor_runs_through_the_session_and_contention_is_warned(suite: Path) -> None:
    executor = TimedExecutor()
    candidates = [Candidate(id=m, provider="test", model=m) for m in ("short", "long")]
    repeated = load_suite(suite).model_copy(update={"repeats": 4})
    sink = MemorySink()
    session = RunSession(repeated, candidates, RunConfig(strategy="full", lanes="endpoint"),
                         sink, executor=executor)
    result = asyncio.run(session.run())
    assert result.status == "complete" and len(result.trials) == 2 * 24
    assert result.lanes == [["short"], ["long"]]
    warnings = result.config["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith("long: latency spread")
    [long_model] = [m for m in result.models if m.model == "long"]
    assert any("latency spread" in note for note in long_model.notes)
    assert "- **Warning:** long: latency spread" in render_markdown(result)
    assert "<strong>Warning.</strong> long: latency spread" in render_html(result)
    assert run_to_json(result)["lane_policy"] == "endpoint"
    # Two endpoints of one host share a lane under the default policy.
    one_host = TimedExecutor()
    one_host.placements = {"short": Placement("host-a", "a"), "long": Placement("host-a", "b")}
    assert RunSession(repeated, candidates, RunConfig(strategy="full"), MemorySink(),
                      executor=one_host).lanes == [["short", "long"]]


class LossyExecutor(TimedExecutor):
    """Every third trial of ``long`` is first lost (its worker died), then run again."""

    name: ClassVar[str] = "lossy"

    async def execute(self, work: Work) -> AsyncGenerator[ModelReady | Trial | TrialLost, None]:
        yield ModelReady(self._runs[work.model])
        for index, (case, batch) in enumerate(work.trials):
            if work.model == "long" and index % 3 == 0:
                yield TrialLost(work.model, case.id, batch, f"node n{index} died")
                yield ModelReady(self._runs[work.model], first_load=False)
            yield Trial(model=work.model, case_id=case.id, batch=batch, position=-1,
                        correct=True, output="ok", got="ok", parsed_ok=True, latency_ms=5.0)


def test_lost_trials_are_counted_never_stored_and_run_again(suite: Path) -> None:
    candidates = [Candidate(id=m, provider="test", model=m) for m in ("short", "long")]
    sink = MemorySink()
    seen: list[Outcome] = []

    class Watching(FullStrategy):
        def observe(self, outcome: Outcome) -> None:
            seen.append(outcome)
            super().observe(outcome)

    strategies.add("watching", Watching)
    try:
        session = RunSession(load_suite(suite), candidates, RunConfig(strategy="watching"),
                             sink, executor=LossyExecutor())
        result = asyncio.run(session.run())
    finally:
        strategies.remove("watching")
    keys = [t.key for t in sink.iter_trials(result.run_id)]
    assert result.status == "complete" and len(keys) == len(set(keys)) == 2 * 12
    assert len(seen) == 24 and not any(o.error or not o.correct for o in seen)
    assert result.config["trials_lost"] == {"long": 4}
    assert run_to_json(result)["trials_lost"] == {"long": 4}
    [long_model] = [m for m in result.models if m.model == "long"]
    assert [n for n in long_model.notes if "lost" in n] == [
        "4 trial(s) lost to infrastructure (lost; last: node n9 died); never counted,"
        " each ran again"]
    assert {q.status for q in result.ranking.models} == {"champion", "runner-up"}


def test_executors_are_found_by_name_and_unknown_ones_are_input_errors() -> None:
    assert "local" in executors.names()
    with pytest.raises(InputError, match="unknown executor 'nope'"):
        executors.get("nope")


def test_this_machine_is_one_host_whatever_it_is_called() -> None:
    assert host_of(None) == THIS_MACHINE
    for url in ("http://127.0.0.1:8000/v1", "http://localhost:11434", "http://[::1]:80",
                "http://0.0.0.0:9000", f"http://{socket.gethostname()}:8000/v1",
                "http://127.0.0.2:1"):
        assert host_of(url) == THIS_MACHINE, url
    assert host_of("http://10.255.255.1:80/v1") == "10.255.255.1"
    assert host_of("http://gpu-box.invalid:11434") == "gpu-box.invalid"
    assert host_of("http://gpu-box.invalid:1") == host_of("http://gpu-box.invalid:2")
