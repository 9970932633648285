"""Which Ray node may hold an embedded candidate: its needs, matched against ``ray.nodes()``.

Ray leaves an actor that no node can hold pending forever; champion checks the
cluster's nodes itself first, and says which need no node meets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from champion._providers.candidate import Candidate, NodeNeeds

__all__ = ["ActorNeeds", "label_matches", "needs_of", "node_id", "unplaceable", "why_not"]

_IN = re.compile(r"^(!?)in\((.*)\)$")


@dataclass(frozen=True, slots=True)
class ActorNeeds:
    """What one model's actor asks of a node.

    Attributes:
        resources: amounts of CPU, GPU, memory (bytes), the benchmark slot and
            custom resources.
        labels: node labels it must find (Ray label-selector values).
        node: one node by id, address or host name, if pinned.
    """

    resources: dict[str, float]
    labels: dict[str, str] = field(default_factory=dict)
    node: str | None = None

    def describe(self) -> str:
        """``CPU 1, champion_bench 1, labels models=a``."""
        parts = [f"{name} {_amount(name, value)}" for name, value in self.resources.items()]
        parts += [f"label {key}={value}" for key, value in self.labels.items()]
        if self.node:
            parts.append(f"node {self.node}")
        return ", ".join(parts)


def needs_of(candidate: Candidate, slot_resource: str) -> ActorNeeds:
    """The candidate's ``placement`` (or the defaults) plus one benchmark slot."""
    wanted = candidate.placement or NodeNeeds()
    threads = candidate.options.get("n_threads")
    cpus = wanted.num_cpus or (float(threads) if isinstance(threads, int) and threads > 0
                               else 1.0)
    resources = {"CPU": cpus}
    if wanted.num_gpus:
        resources["GPU"] = wanted.num_gpus
    if wanted.memory_gb:
        resources["memory"] = wanted.memory_gb * 1024**3
    resources[slot_resource] = 1.0
    resources.update(wanted.resources)
    return ActorNeeds(resources, dict(wanted.labels), wanted.node)


def _amount(name: str, value: float) -> str:
    if name == "memory":
        return f"{value / 1024**3:g} GB"
    return f"{value:g}"


def label_matches(wanted: str, found: str | None) -> bool:
    """Ray's label-selector values: ``v``, ``!v``, ``in(a,b)``, ``!in(a,b)``."""
    match = _IN.match(wanted)
    if match:
        values = {v.strip() for v in match.group(2).split(",")}
        inside = found in values
        return not inside if match.group(1) else inside
    if wanted.startswith("!"):
        return found != wanted[1:]
    return found == wanted


def _is_node(node: Mapping[str, Any], name: str) -> bool:
    return name in (node.get("NodeID"), node.get("NodeManagerAddress"),
                    node.get("NodeManagerHostname"))


def why_not(needs: ActorNeeds, node: Mapping[str, Any]) -> str | None:
    """Why ``node`` cannot hold the actor, or None when it can."""
    if needs.node is not None and not _is_node(node, needs.node):
        return f"not node {needs.node}"
    total: Mapping[str, float] = node.get("Resources") or {}
    for name, amount in needs.resources.items():
        has = float(total.get(name, 0.0))
        if has < amount:
            return f"{name} {_amount(name, has)} < {_amount(name, amount)}"
    labels: Mapping[str, str] = node.get("Labels") or {}
    for key, wanted in needs.labels.items():
        if not label_matches(wanted, labels.get(key)):
            return f"label {key}={labels.get(key, '(none)')}, not {wanted}"
    return None


def node_id(needs: ActorNeeds, nodes: Iterable[Mapping[str, Any]]) -> str | None:
    """The id of the node ``needs.node`` names, among the live nodes."""
    if needs.node is None:
        return None
    return next((str(n["NodeID"]) for n in nodes
                 if n.get("Alive") and _is_node(n, needs.node)), None)


def unplaceable(needs: ActorNeeds, nodes: Iterable[Mapping[str, Any]]) -> str | None:
    """Why no live node can hold the actor (each node's first unmet need), or None."""
    reasons = []
    for node in nodes:
        if not node.get("Alive"):
            continue
        why = why_not(needs, node)
        if why is None:
            return None
        address = node.get("NodeManagerAddress") or "?"
        reasons.append(f"{str(node.get('NodeID', ''))[:8]} at {address}: {why}")
    found = "; ".join(reasons) if reasons else "the cluster has no live node"
    return f"no node of the Ray cluster can hold it (it needs {needs.describe()}; {found})"
