"""Which Ray node may hold a model: needs from the models file, matched against ``ray.nodes()``.

Pure functions over the node records Ray returns (no cluster needed): a model
no live node can hold is named with each node's first unmet need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from champion import Candidate
from champion._errors import CandidateError
from champion._providers.candidate import load_models_file
from champion._runner.executors._ray_nodes import (
    label_matches,
    needs_of,
    node_id,
    unplaceable,
    why_not,
)

GB = 1024**3


def node(node_id: str, alive: bool = True, labels: dict[str, str] | None = None,
         **resources: float) -> dict[str, Any]:
    return {"NodeID": node_id, "Alive": alive, "NodeManagerAddress": f"10.0.0.{node_id[-1]}",
            "NodeManagerHostname": f"host{node_id[-1]}",
            "Resources": {"memory": 16 * GB, **resources}, "Labels": labels or {}}


def candidate(**placement: Any) -> Candidate:
    return Candidate(id="m", provider="llamacpp", model="/models/m.gguf",
                     options={"n_threads": 4}, placement=placement or None)


def test_needs_default_to_the_models_threads_and_one_benchmark_slot() -> None:
    needs = needs_of(candidate(), "champion_bench")
    assert needs.resources == {"CPU": 4.0, "champion_bench": 1.0}
    wanted = needs_of(candidate(num_cpus=2, num_gpus=1, memory_gb=6, resources={"vram_gb": 8},
                                labels={"disk": "a"}, node="host2"), "slot")
    assert wanted.resources == {"CPU": 2.0, "GPU": 1.0, "memory": 6 * GB, "slot": 1.0,
                                "vram_gb": 8.0}
    assert (wanted.labels, wanted.node) == ({"disk": "a"}, "host2")
    assert wanted.describe() == ("CPU 2, GPU 1, memory 6 GB, slot 1, vram_gb 8, label disk=a,"
                                 " node host2")


@pytest.mark.parametrize(("wanted", "found", "matches"), [
    ("a", "a", True), ("a", "b", False), ("a", None, False), ("!a", "b", True),
    ("!a", None, True), ("!a", "a", False), ("in(a, b)", "b", True), ("in(a,b)", "c", False),
    ("!in(a,b)", "c", True), ("!in(a,b)", "a", False)])
def test_labels_match_as_rays_label_selectors_do(wanted: str, found: str | None,
                                                 matches: bool) -> None:
    assert label_matches(wanted, found) is matches


def test_a_node_says_its_first_unmet_need() -> None:
    needs = needs_of(candidate(num_gpus=1, labels={"disk": "a"}), "champion_bench")
    assert why_not(needs, node("n1", CPU=8, champion_bench=1)) == "GPU 0 < 1"
    assert why_not(needs, node("n1", CPU=8, GPU=1, champion_bench=1,
                               labels={"disk": "b"})) == "label disk=b, not a"
    assert why_not(needs, node("n1", CPU=2, GPU=1, champion_bench=1)) == "CPU 2 < 4"
    assert why_not(needs, node("n1", CPU=8, GPU=1, champion_bench=1,
                               labels={"disk": "a"})) is None


def test_no_live_node_that_fits_is_a_message_naming_every_node() -> None:
    needs = needs_of(candidate(labels={"disk": "a"}), "champion_bench")
    nodes = [node("aaaaaaaaaa1", CPU=0), node("bbbbbbbbbb2", CPU=8, champion_bench=1),
             node("cccccccccc3", alive=False, CPU=8, champion_bench=1, labels={"disk": "a"})]
    assert unplaceable(needs, nodes) == (
        "no node of the Ray cluster can hold it (it needs CPU 4, champion_bench 1, label"
        " disk=a; aaaaaaaa at 10.0.0.1: CPU 0 < 4; bbbbbbbb at 10.0.0.2: label disk=(none),"
        " not a)")
    nodes[2]["Alive"] = True
    assert unplaceable(needs, nodes) is None
    assert "the cluster has no live node" in (unplaceable(needs, []) or "")


def test_a_model_pinned_to_a_node_by_address_or_name_resolves_to_its_id() -> None:
    nodes = [node("n1", CPU=8, champion_bench=1), node("n2", CPU=8, champion_bench=1)]
    for name in ("n2", "10.0.0.2", "host2"):
        needs = needs_of(candidate(node=name), "champion_bench")
        assert node_id(needs, nodes) == "n2" and unplaceable(needs, nodes) is None
    elsewhere = needs_of(candidate(node="10.0.0.9"), "champion_bench")
    assert node_id(elsewhere, nodes) is None
    assert "n1 at 10.0.0.1: not node 10.0.0.9" in (unplaceable(elsewhere, nodes) or "")


def test_placement_in_a_models_file_is_checked_with_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "models.yaml"
    good.write_text("models:\n  - id: q\n    provider: llamacpp\n    model: /m/q.gguf\n"
                    "    placement: {num_gpus: 1, labels: {disk: a}}\n")
    [loaded] = load_models_file(good)
    assert loaded.placement is not None and loaded.placement.num_gpus == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  - id: q\n    provider: llamacpp\n    model: /m/q.gguf\n"
                   "    placement:\n      gpus: 1\n")
    with pytest.raises(CandidateError, match=r"bad\.yaml:6: models\[0\]\.placement: unknown"
                                             r" key 'gpus'; did you mean 'num_gpus'\?"):
        load_models_file(bad)
