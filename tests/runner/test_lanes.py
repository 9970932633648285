"""Lanes: which models run side by side.

Under ``lanes="endpoint"`` models on different servers run side by side and
models on one server one after another; under the default ``host`` every
server on this machine (and every in-process model) shares one lane; under
``serial`` everything runs one after another.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from champion import Candidate, RunConfig, run_suite
from champion._report import run_to_json
from champion.testing.scripted import ScriptedModel, ScriptedServerProcess

SUITE = """\
task: lanes
prompt: {user: "Question {n}: answer ok."}
output: {kind: label, labels: [ok, no]}
params: {max_tokens: 4, timeout_s: 30}
cases: [{id: a, vars: {n: 1}, expected: ok}, {id: b, vars: {n: 2}, expected: ok},
        {id: c, vars: {n: 3}, expected: ok}]
"""


def test_servers_run_side_by_side_and_latency_is_not_queueing(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    names = [f"m{i}" for i in range(8)]
    model = ScriptedModel(reply="ok", delay_ms=40)
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(ScriptedServerProcess(
            {name: model for name in names[i::4]})) for i in range(4)]
        single = stack.enter_context(ScriptedServerProcess({name: model for name in names}))
        # Every loopback server is this machine: side by side only by endpoint.
        config = RunConfig(strategy="full", repeats=2, seed=3, lanes="endpoint")

        def timed(candidates: list[Candidate], db: str) -> tuple[float, dict[str, float]]:
            start = time.perf_counter()
            result = run_suite(str(suite), candidates, config=config, db=db)
            wall = time.perf_counter() - start
            assert all(m.passes == 6 for m in result.ranking.models)
            if len({c.base_url for c in candidates}) > 1:
                lanes = run_to_json(result)["lanes"]
                assert sorted(map(sorted, lanes)) == sorted(sorted(names[i::4])
                                                            for i in range(4))
            return wall, {m.model: m.latency_ms.median for m in result.ranking.models
                          if m.latency_ms}

        one_wall, one = timed([Candidate(id=n, provider="openai", model=n,
                                         base_url=single.openai_url) for n in names],
                              f"sqlite:///{tmp_path}/one.db")
        four_wall, four = timed([Candidate(id=n, provider="openai", model=n,
                                           base_url=servers[i % 4].openai_url)
                                 for i, n in enumerate(names)], f"sqlite:///{tmp_path}/four.db")
        calls = {name: count for server in servers for name, count in server.stats().items()}
    # One warm-up and six measured calls per model, on its own server.
    assert calls == {name: 7 for name in names}
    assert four_wall < 0.6 * one_wall
    for name in names:  # a model's latency is its own, not time spent queueing
        assert abs(four[name] / one[name] - 1) < 0.3


def test_by_default_servers_on_this_machine_share_one_lane(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    model = ScriptedModel(reply="ok", delay_ms=5)
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(ScriptedServerProcess({f"m{i}": model}))
                   for i in range(3)]
        candidates = [Candidate(id=f"m{i}", provider="openai", model=f"m{i}",
                                base_url=server.openai_url.replace("127.0.0.1", host))
                      for i, (server, host) in enumerate(zip(
                          servers, ["127.0.0.1", "localhost", "127.0.0.1"], strict=True))]
        for policy, lanes in (("host", [["m0", "m1", "m2"]]),
                              ("serial", [["m0", "m1", "m2"]]),
                              ("endpoint", [["m0"], ["m1"], ["m2"]])):
            config = RunConfig(strategy="full", repeats=1, seed=3,
                               lanes=policy)  # type: ignore[arg-type]
            result = run_suite(str(suite), candidates, config=config,
                               db=f"sqlite:///{tmp_path}/{policy}.db")
            document = run_to_json(result)
            assert document["lane_policy"] == policy
            assert document["lanes"] == lanes
            assert RunConfig().lanes == "host"
