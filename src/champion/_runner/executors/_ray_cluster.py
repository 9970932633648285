"""The Ray executor's dealings with the cluster: connecting, nodes, what an actor is given.

An actor gets the resources its model needs, never a retry (``max_restarts=0``,
``max_task_retries=0``: a silent restart would time a cold start inside a
measured call) and, of this process's environment, only the variables its
candidate names (``api_key_env``, ``${VAR}`` in ``base_url`` and headers).
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from champion._errors import InputError
from champion._providers.candidate import Candidate
from champion._runner.executors._ray_nodes import ActorNeeds, node_id

__all__ = ["actor_options", "cause_line", "cluster_nodes", "connect", "first_line",
           "named_variables"]

_VARIABLE = re.compile(r"\$\{(\w+)\}")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: How long connecting to a cluster's address may take before it counts as unreachable.
_CONNECT_TIMEOUT_S = 5.0


def connect(address: str | None, slot_resource: str, object_store_mb: int) -> bool:
    """Connect to the cluster at ``address`` (else ``RAY_ADDRESS``), or start a local
    instance with one benchmark slot; a connection made already is used as it is.

    Returns:
        True when this run started the connection and must end it.

    Raises:
        InputError: nothing answers at the address, or it is no Ray cluster.
    """
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        _check_reachable(address)
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    # ray.init replaces the SIGTERM handler with sys.exit; champion's own (exit 143
    # once what was measured is stored) stays.
    sigterm = signal.getsignal(signal.SIGTERM)
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(address="local", resources={slot_resource: 1},
                     object_store_memory=object_store_mb * 1024**2,
                     include_dashboard=False, **quiet)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        hint = ("" if os.environ.get("RAY_AUTH_MODE") == "token" else
                " (a cluster with token authentication needs RAY_AUTH_MODE=token and its"
                " token in RAY_AUTH_TOKEN or ~/.ray/auth_token)")
        raise InputError(f"ray executor: cannot connect to the Ray cluster at {address!r}:"
                         f" {first_line(exc)}{hint}") from None
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, sigterm)
    return True


def _check_reachable(address: str) -> None:
    """Fail at once when nothing listens at ``HOST:PORT`` (Ray itself retries for minutes)."""
    if address in ("auto", "local"):
        return
    target = urlsplit(address if "://" in address else f"ray://{address}")
    try:
        host, port = target.hostname, target.port
    except ValueError:
        host = port = None
    if not host or port is None:
        raise InputError(f"ray executor: address {address!r} is not HOST:PORT, ray://HOST:PORT"
                         " or auto")
    try:
        socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise InputError(f"ray executor: nothing answers at {address} ({exc.strerror or exc});"
                         " start the cluster's head node (Ray's own 'ray start' command) or pass"
                         " the address of a running one") from None


def cluster_nodes() -> list[dict[str, Any]]:
    """Every node of the cluster, dead ones included (``Alive``, ``Resources``, ``Labels``)."""
    nodes: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
    return nodes


def named_variables(candidate: Candidate) -> dict[str, str]:
    """The environment variables the candidate names, as set here (and nothing else)."""
    names = set(_VARIABLE.findall(candidate.base_url or ""))
    for value in candidate.headers.values():
        names.update(_VARIABLE.findall(value))
    if candidate.api_key_env:
        names.add(candidate.api_key_env)
    return {name: os.environ[name] for name in sorted(names) if name in os.environ}


def actor_options(needs: ActorNeeds, nodes: list[dict[str, Any]],
                  env: dict[str, str]) -> dict[str, Any]:
    """The ``.options()`` of a model's actor: its needs, no retries, one call at a time."""
    resources = dict(needs.resources)
    options: dict[str, Any] = {
        "num_cpus": resources.pop("CPU"), "num_gpus": resources.pop("GPU", 0),
        "max_restarts": 0, "max_task_retries": 0, "max_concurrency": 1,
    }
    if "memory" in resources:
        options["memory"] = int(resources.pop("memory"))
    options["resources"] = resources
    if needs.labels:
        options["label_selector"] = dict(needs.labels)
    pinned = node_id(needs, nodes)
    if pinned is not None:
        options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(pinned, soft=False)
    if env:
        options["runtime_env"] = {"env_vars": env}
    return options


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (Ray's run to many lines)."""
    return (_ANSI.sub("", str(exc)).strip().splitlines() or [type(exc).__name__])[0]


def cause_line(exc: BaseException) -> str:
    """The last line of an error raised on a worker: the original exception, which
    Ray's message ends with after a traceback."""
    lines = [line.strip() for line in _ANSI.sub("", str(exc)).splitlines()]
    lines = [line for line in lines if line and not set(line) <= {"^", "~", " "}]
    return lines[-1] if lines else type(exc).__name__
