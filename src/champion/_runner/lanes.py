"""Lanes follow hardware: which models may run at the same time.

Models of one lane run one after another; lanes run side by side. Under the
default policy, ``host``, a lane is a machine: in-process models, endpoints on
loopback and endpoints that name this machine (its host name, its addresses)
are one host, so champion never measures a model while it competes with
another of its own models for the same cores. ``endpoint`` gives every server
its own lane (for servers known not to share hardware); ``serial`` puts every
model in one lane.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from champion._runner.config import LanePolicy

__all__ = ["THIS_MACHINE", "Placement", "host_of", "lane_of", "lanes_of"]

#: The host of in-process models and of endpoints on this machine.
THIS_MACHINE = "this machine"
#: The endpoint of in-process models.
IN_PROCESS = "in-process"


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a model runs.

    Attributes:
        host: the machine (models on one host share its hardware).
        endpoint: the server, or ``in-process``.
    """

    host: str
    endpoint: str


@functools.cache
def _own_addresses() -> frozenset[str]:
    """This machine's names and addresses, as far as they can be learnt without waiting."""
    names = {"localhost", socket.gethostname().lower()}
    with contextlib.suppress(OSError):
        names.add(socket.getfqdn().lower())
    addresses: set[str] = set()
    for name in list(names):
        try:
            addresses.update(str(info[4][0]) for info in socket.getaddrinfo(name, None))
        except OSError:
            continue
    return frozenset(names | addresses)


def _is_local_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or text in _own_addresses()


@functools.cache
def host_of(url: str | None) -> str:
    """The machine an endpoint runs on: :data:`THIS_MACHINE` for in-process models
    (``None``), loopback and this machine's own names and addresses; otherwise the
    host's address (two names of one address are one host) or its name."""
    if not url:
        return THIS_MACHINE
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host or host == "localhost" or host.endswith(".localhost"):
        return THIS_MACHINE
    if host in _own_addresses() or _is_local_address(host):
        return THIS_MACHINE
    try:
        addresses = sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})
    except OSError:
        return host
    if any(_is_local_address(address) for address in addresses):
        return THIS_MACHINE
    return addresses[0] if addresses else host


def lane_of(placement: Placement, policy: LanePolicy) -> str:
    """The lane a model runs in under ``policy``."""
    if policy == "serial":
        return "serial"
    if policy == "endpoint":
        return placement.endpoint
    return placement.host


def lanes_of(models: Iterable[str], lane: Mapping[str, str]) -> list[list[str]]:
    """Model ids grouped by lane, lanes in order of their first model."""
    grouped: dict[str, list[str]] = {}
    for model in models:
        grouped.setdefault(lane[model], []).append(model)
    return list(grouped.values())


def describe(lanes: Sequence[Sequence[str]]) -> str:
    """``a → b | c``: lanes side by side, a lane's models one after another."""
    return " | ".join(" → ".join(lane) for lane in lanes)
