"""The Ray executor on a real Ray cluster simulated on this machine.

One ``ray.cluster_utils.Cluster`` for the module: a head with no CPUs (the
driver's node; never removed) and two workers, each with one benchmark slot:
``a`` (label ``disk=a``) and ``b`` (label ``disk=b``, one logical GPU). The
node-loss test adds two spare workers of its own and removes one mid-run.
Models are the in-process test provider (``local: true``) with fixed
latencies, so results are deterministic; one test runs a bundled GGUF model.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("ray") is None:  # pragma: no cover - depends on the install
    if os.environ.get("CI"):
        pytest.fail("ray is not installed (CI is set: the Ray tests must run): make install",
                    pytrace=False)
    pytest.skip("ray is not installed: pip install 'champion[ray]'", allow_module_level=True)

import ray
from ray.cluster_utils import Cluster

from champion import Candidate, RunConfig, run_suite
from champion._errors import InputError
from champion._records import Trial
from champion._results import RunResult
from champion._runner import MemorySink, NoCandidateLeft, RunListener, RunSession
from champion._runner.executors import parse_executor_options
from champion._runner.executors._ray_cluster import actor_options, named_variables
from champion._runner.executors._ray_nodes import needs_of
from champion._runner.executors.ray import RayExecutor, RayOptions
from champion._store import Store
from champion._suite import load_suite
from tests.conftest import ROOT, run_cli

SLOT = "champion_bench"


@dataclass
class Nodes:
    cluster: Cluster
    a: str
    b: str


@pytest.fixture(scope="module")
def nodes() -> Iterator[Nodes]:
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "include_dashboard": False,
        # Find a dead node within about a second (the default takes tens of seconds).
        "_system_config": {"health_check_period_ms": 100, "health_check_failure_threshold": 10},
    })
    a = cluster.add_node(num_cpus=1, resources={SLOT: 1}, labels={"disk": "a"})
    b = cluster.add_node(num_cpus=1, num_gpus=1, resources={SLOT: 1}, labels={"disk": "b"})
    ray.init(address=cluster.address, log_to_driver=False, logging_level=logging.WARNING)
    try:
        yield Nodes(cluster, a.node_id, b.node_id)
    finally:
        ray.shutdown()
        cluster.shutdown()


def suite_file(tmp_path: Path, cases: int = 4, repeats: int = 2) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(
        "task: scale-out\nprompt: {user: 'Question {n}'}\n"
        "output: {kind: label, labels: [ok, no]}\n"
        f"repeats: {repeats}\nparams: {{max_tokens: 4, timeout_s: 10}}\ncases:\n"
        + "".join(f"  - {{id: c{i}, vars: {{n: {i}}}, expected: ok}}\n" for i in range(cases)))
    return path


def embedded(name: str, delay_ms: float, placement: dict[str, Any] | None = None,
             **options: Any) -> Candidate:
    """An in-process scripted model: answers ``ok`` after exactly ``delay_ms``."""
    return Candidate(id=name, provider="test", model=name, placement=placement,
                     options={"reply": "ok", "local": True, "delay_ms": delay_ms, **options})


def ray_config(**overrides: Any) -> RunConfig:
    settings: dict[str, Any] = {"strategy": "full", "executor": "ray", "seed": 7,
                                "flush_interval_s": 0.05, **overrides}
    return RunConfig(**settings)


def slots_freed(expected: float = 2.0) -> bool:
    """Whether every benchmark slot is free again (a killed actor frees its own soon)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if ray.available_resources().get(SLOT, 0.0) == expected:
            return True
        time.sleep(0.1)
    return False


def test_trials_run_on_the_nodes_their_placement_names(nodes: Nodes, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    models = [embedded("on-a", 5, {"labels": {"disk": "a"}}),
              embedded("on-gpu", 5, {"num_gpus": 1}),
              Candidate(id="http", provider="test", model="http", options={"reply": "ok"})]
    result = run_suite(suite_file(tmp_path), models, config=ray_config(), db=db)
    assert result.status == "complete" and result.config["executor"] == "ray"
    assert sorted(result.lanes) == [["http"], ["on-a"], ["on-gpu"]]
    with Store(db) as store:
        trials = list(store.iter_trials(result.run_id))
    assert len(trials) == 3 * 8
    where = {(t.model, t.where["node"] if t.where else None,
              tuple(t.where["gpus"]) if t.where else None) for t in trials}
    assert where == {("on-a", nodes.a, ()), ("on-gpu", nodes.b, ("0",)), ("http", None, None)}
    runs = {m.model: m for m in result.models}
    assert runs["on-a"].key == "test/on-a@in-process" and runs["on-a"].cold_start_ms is not None
    assert slots_freed()  # every actor is gone after the run


def test_rows_reach_the_store_while_the_actor_is_busy(nodes: Nodes, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    store = Store(db)

    class Watch(RunListener):
        def __init__(self) -> None:
            self.run_id = ""
            self.stored_seen: list[int] = []

        def run_started(self, run_id: str) -> None:
            self.run_id = run_id

        def trial_done(self, model: str, trial: Trial) -> None:
            # The next calls of the model are queued on its actor right now.
            self.stored_seen.append(store.count_trials(self.run_id))

    watch = Watch()
    try:
        result = run_suite(suite_file(tmp_path, cases=8), [embedded("steady", 30)],
                           config=ray_config(), db=store, listener=watch)
    finally:
        store.close()
    assert result.status == "complete" and len(watch.stored_seen) == 16
    assert 0 < watch.stored_seen[len(watch.stored_seen) // 2] < 16


def test_race_stops_a_model_within_its_in_flight_calls(nodes: Nodes, tmp_path: Path) -> None:
    # "flaky" answers wrong on half the cases; the race drops it at its first failure.
    flaky = embedded("flaky", 20, rules=[["Question [0246]$", "no"]],
                     placement={"labels": {"disk": "a"}})
    steady = embedded("steady", 20, placement={"labels": {"disk": "b"}})
    sink = MemorySink()
    result = run_suite(suite_file(tmp_path, cases=8), [flaky, steady],
                       config=ray_config(strategy="race"), db=sink)
    ran = sorted((t for t in sink.iter_trials(result.run_id) if t.model == "flaky"),
                 key=lambda t: t.position)
    first_failure = next(t.position for t in ran if not t.correct)
    in_flight = RayOptions().in_flight
    assert ran[-1].position <= first_failure + in_flight - 1 and len(ran) < 8
    assert {m.model: m.stopped for m in result.models}["flaky"].startswith("failed")
    assert slots_freed()


def test_the_ranking_equals_the_local_executors(nodes: Nodes, tmp_path: Path) -> None:
    models = [embedded("slow", 24), embedded("fast", 6), embedded("mid", 12),
              embedded("wrong", 3, reply="no")]
    suite = suite_file(tmp_path, cases=5, repeats=2)
    local = run_suite(suite, models, config=ray_config(executor="local"), db=MemorySink())
    remote = run_suite(suite, models, config=ray_config(), db=MemorySink())

    def ranking(result: RunResult) -> list[tuple[str, str, float]]:
        return [(m.model, m.status, m.pass_rate) for m in result.ranking.models]

    assert ranking(remote) == ranking(local) == [
        ("fast", "champion", 1.0), ("mid", "runner-up", 1.0), ("slow", "qualified", 1.0),
        ("wrong", "disqualified", 0.0)]
    for model, delay in (("fast", 6), ("mid", 12), ("slow", 24)):
        medians = [statistics.median(t.latency_ms or 0.0 for t in r.trials if t.model == model)
                   for r in (local, remote)]
        # Timed inside the call on the worker: the model's own time, no RPC in it.
        assert all(delay <= m < delay + 4 for m in medians), (model, medians)


def test_a_model_no_node_can_hold_fails_at_once(nodes: Nodes, tmp_path: Path) -> None:
    suite = load_suite(suite_file(tmp_path))
    nowhere = [embedded("disk-z", 1, {"labels": {"disk": "z"}}),
               embedded("huge", 1, {"resources": {"vram_gb": 80}})]
    session = RunSession(suite, nowhere, ray_config(), MemorySink())
    assert set(session.excluded) == {"disk-z", "huge"}
    assert "label disk=a, not z" in session.excluded["disk-z"]
    assert "vram_gb 0 < 80" in session.excluded["huge"]
    with pytest.raises(NoCandidateLeft, match="no node of the Ray cluster can hold it"):
        run_suite(suite, nowhere, config=ray_config(), db=MemorySink())
    # Beside a model that can run, it is recorded as excluded and the run goes on.
    result = run_suite(suite, [nowhere[0], embedded("fine", 1)], config=ray_config(),
                       db=MemorySink())
    runs = {m.model: m for m in result.models}
    assert result.status == "complete" and result.champion == "fine"
    assert (runs["disk-z"].error or "").startswith(
        "excluded before any call: no node of the Ray cluster can hold it")


def test_secrets_reach_workers_only_as_the_variables_a_candidate_names(
        nodes: Nodes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Set after the nodes started: a worker can only see what is shipped to it.
    monkeypatch.setenv("CHAMPION_RAY_KEY", "key-123456")
    monkeypatch.setenv("CHAMPION_RAY_HOST", "models.internal")
    monkeypatch.setenv("CHAMPION_RAY_UNNAMED", "driver-only")
    model = embedded("keyed", 1).model_copy(update={
        "api_key_env": "CHAMPION_RAY_KEY", "base_url": "http://${CHAMPION_RAY_HOST}/v1",
        "headers": {"X-Team": "${CHAMPION_RAY_MISSING}"}})
    assert named_variables(model) == {"CHAMPION_RAY_HOST": "models.internal",
                                      "CHAMPION_RAY_KEY": "key-123456"}
    needs = needs_of(model, SLOT)
    options = actor_options(needs, ray.nodes(), named_variables(model))
    assert options["runtime_env"] == {"env_vars": named_variables(model)}
    assert (options["max_restarts"], options["max_task_retries"]) == (0, 0)

    @ray.remote
    def environment() -> dict[str, str | None]:
        return {n: os.environ.get(n) for n in ("CHAMPION_RAY_KEY", "CHAMPION_RAY_HOST",
                                               "CHAMPION_RAY_UNNAMED")}

    seen = ray.get(environment.options(runtime_env=options["runtime_env"],
                                       num_cpus=options["num_cpus"]).remote())
    assert seen == {"CHAMPION_RAY_KEY": "key-123456", "CHAMPION_RAY_HOST": "models.internal",
                    "CHAMPION_RAY_UNNAMED": None}


def _models_file(tmp_path: Path, placement: str = "{labels: {disk: a}}") -> Path:
    path = tmp_path / "models.yaml"
    path.write_text("models:\n"
                    f"  - {{id: on-a, provider: test, model: a, placement: {placement},\n"
                    "     options: {reply: ok, local: true, delay_ms: 2}}\n"
                    "  - {id: http, provider: test, model: h, options: {reply: ok}}\n")
    return path


def test_champion_run_executor_ray_joins_the_cluster_at_its_address(
        nodes: Nodes, tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    done = run_cli("run", str(suite_file(tmp_path)), "--models", str(_models_file(tmp_path)),
                   "--executor", "ray", "--ray-address", nodes.cluster.address,
                   "--strategy", "full", "--db", f"sqlite:///{tmp_path / 'c.db'}",
                   "--json", str(out), env={"RAY_ADDRESS": ""})
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"run [0-9a-f]{12} started", done.stdout.splitlines()[0])
    run = json.loads(out.read_text())
    assert (run["executor"], run["trials_lost"]) == ("ray", {})
    assert sorted(run["lanes"]) == [["http"], ["on-a"]]
    with Store(f"sqlite:///{tmp_path / 'c.db'}") as store:
        where = {t.model: (t.where or {}).get("node") for t in store.iter_trials(run["run_id"])}
    assert where == {"on-a": nodes.a, "http": None}


def test_sigterm_mid_run_exits_143_with_what_was_measured_stored(nodes: Nodes,
                                                                   tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    models = _models_file(tmp_path).read_text().replace("delay_ms: 2", "delay_ms: 100")
    (tmp_path / "slow.yaml").write_text(models)
    run = subprocess.Popen(
        [sys.executable, "-m", "champion", "run", str(suite_file(tmp_path, cases=10)),
         "--models", str(tmp_path / "slow.yaml"), "--executor", "ray", "--ray-address",
         nodes.cluster.address, "--strategy", "full", "--db", db],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env={**os.environ, "RAY_ADDRESS": ""})
    try:
        with Store(db) as store:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                started = store.latest_run("scale-out")
                if started is not None and store.count_trials(started.run_id) >= 3:
                    break
                time.sleep(0.1)
        run.send_signal(signal.SIGTERM)
        output, _ = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 143, output
    with Store(db) as store:
        stored = store.latest_run("scale-out")
        assert stored is not None
        measured = store.count_trials(stored.run_id)
    assert stored.status == "interrupted" and 3 <= measured < 2 * 20
    assert slots_freed()


def test_an_address_nothing_answers_at_or_an_unknown_option_is_bad_input(
        tmp_path: Path) -> None:
    done = run_cli("run", str(suite_file(tmp_path)), "--models", str(_models_file(tmp_path)),
                   "--executor", "ray", "--ray-address", "127.0.0.1:1",
                   "--db", f"sqlite:///{tmp_path / 'c.db'}")
    assert done.returncode == 2
    assert done.stderr.startswith("error: ray executor: nothing answers at 127.0.0.1:1")
    with pytest.raises(InputError, match="executor 'ray' has no option 'slots'"):
        parse_executor_options(RayExecutor, {"slots": 2})
    with pytest.raises(InputError, match="in_flight"):
        parse_executor_options(RayExecutor, {"in_flight": 0})


def test_without_an_address_a_local_ray_instance_runs_and_stops(nodes: Nodes,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    models = _models_file(tmp_path, placement="{num_cpus: 1}")
    done = run_cli("run", str(suite_file(tmp_path)), "--models", str(models),
                   "--executor", "ray", "--strategy", "full",
                   "--db", f"sqlite:///{tmp_path / 'c.db'}", "--json", str(out),
                   env={"RAY_ADDRESS": ""})
    assert done.returncode == 0, done.stderr
    with Store(f"sqlite:///{tmp_path / 'c.db'}") as store:
        trials = list(store.iter_trials(json.loads(out.read_text())["run_id"], "on-a"))
    # Not one of the module's nodes: an instance of the run's own.
    ours = {n["NodeID"] for n in ray.nodes()}
    assert len(trials) == 8 and all(t.where and t.where["node"] not in ours for t in trials)


@pytest.mark.model
def test_a_bundled_gguf_model_runs_on_a_worker_as_it_does_here(nodes: Nodes,
                                                               tmp_path: Path) -> None:
    suite = tmp_path / "gguf.yaml"
    suite.write_text(
        "task: gguf\nprompt: {system: Answer with one word., user: 'Is {x} a colour? yes or"
        " no'}\noutput: {kind: label, labels: [yes, no]}\nrepeats: 1\n"
        "params: {max_tokens: 4, timeout_s: 60}\ncases:\n"
        "  - {id: red, vars: {x: red}, expected: 'yes'}\n"
        "  - {id: dog, vars: {x: dog}, expected: 'no'}\n")
    model = Candidate(id="smol", provider="llamacpp", model="builtin:smollm2-135m",
                      options={"n_threads": 1, "n_ctx": 512},
                      placement={"labels": {"disk": "a"}})
    remote = run_suite(suite, [model], config=ray_config(), db=MemorySink())
    local = run_suite(suite, [model], config=ray_config(executor="local"), db=MemorySink())
    [run] = remote.models
    assert run.key == "llamacpp/builtin:smollm2-135m@in-process"
    assert run.digest is not None and run.digest == local.models[0].digest
    assert run.cold_start_ms is not None and run.cold_start_ms > 0
    assert {(t.where or {}).get("node") for t in remote.trials} == {nodes.a}
    assert {(t.where or {}).get("threads") for t in remote.trials} == {1}
    # Same weights, same options, temperature 0: the same answers as in this process.
    assert sorted((t.case_id, t.output) for t in remote.trials) == sorted(
        (t.case_id, t.output) for t in local.trials)


def _remove_when(nodes: Nodes, mover: str, after: int, on: dict[str, Any],
                 seen: list[tuple[str, str, int]], removal: list[threading.Thread]
                 ) -> RunListener:
    """A listener that crashes the node ``mover`` runs on after its ``after``-th trial."""

    class Remove(RunListener):
        def trial_done(self, model: str, trial: Trial) -> None:
            seen.append(trial.key)
            mine = sum(1 for key in seen if key[0] == mover)
            if model == mover and mine == after and trial.where:
                # The node dies with calls of the model in flight there.
                removal.append(threading.Thread(target=nodes.cluster.remove_node,
                                                args=(on[trial.where["node"]], False)))
                removal[-1].start()

    return Remove()


def test_a_lost_node_loses_no_trial_and_duplicates_none(nodes: Nodes, tmp_path: Path) -> None:
    spares = [nodes.cluster.add_node(num_cpus=1, resources={SLOT: 1},
                                     labels={"pool": "spare"}) for _ in range(2)]
    seen: list[tuple[str, str, int]] = []
    removal: list[threading.Thread] = []
    sink = MemorySink()
    listener = _remove_when(nodes, "mover", 4, {n.node_id: n for n in spares}, seen, removal)
    result = run_suite(suite_file(tmp_path, cases=10, repeats=3),
                       [embedded("mover", 40, {"labels": {"pool": "spare"}}),
                        embedded("bystander", 20, {"labels": {"disk": "a"}})],
                       config=ray_config(), db=sink, listener=listener)
    for thread in removal:
        thread.join()
    stored = [t.key for t in sink.iter_trials(result.run_id)]
    assert result.status == "complete" and len(removal) == 1
    assert len(seen) == len(set(seen)) == len(stored) == len(set(stored)) == 2 * 30
    assert result.config["trials_lost"]["mover"] >= 1 and set(result.config["trials_lost"]) == {
        "mover"}
    runs = {m.model: m for m in result.models}
    assert any("lost to infrastructure" in note for note in runs["mover"].notes)
    assert runs["bystander"].stopped is None and runs["mover"].stopped is None
    assert all(t.correct and t.error is None for t in sink.iter_trials(result.run_id))
    moved = [(t.where or {}).get("node") for t in sorted(
        (t for t in sink.iter_trials(result.run_id) if t.model == "mover"),
        key=lambda t: t.position)]
    assert len(set(moved)) == 2 and moved[-1] != moved[0]


def test_a_model_whose_only_node_is_lost_stops_instead_of_waiting(nodes: Nodes,
                                                                   tmp_path: Path) -> None:
    lonely = nodes.cluster.add_node(num_cpus=1, resources={SLOT: 1}, labels={"pool": "lonely"})
    seen: list[tuple[str, str, int]] = []
    removal: list[threading.Thread] = []
    sink = MemorySink()
    listener = _remove_when(nodes, "stranded", 3, {lonely.node_id: lonely}, seen, removal)
    result = run_suite(suite_file(tmp_path, cases=10, repeats=3),
                       [embedded("stranded", 40, {"labels": {"pool": "lonely"}}),
                        embedded("fine", 5, {"labels": {"disk": "b"}})],
                       config=ray_config(), db=sink, listener=listener)
    for thread in removal:
        thread.join()
    runs = {m.model: m for m in result.models}
    assert result.status == "complete" and result.champion == "fine"
    assert (runs["stranded"].stopped or "").startswith(
        "excluded: no node of the Ray cluster can hold it")
    stranded = [t.key for t in sink.iter_trials(result.run_id) if t.model == "stranded"]
    assert 3 <= len(stranded) == len(set(stranded)) < 30
    assert result.config["trials_lost"]["stranded"] >= 1
