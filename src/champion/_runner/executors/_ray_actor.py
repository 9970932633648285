"""The remote side of the Ray executor: one embedded candidate in an actor on a worker.

The actor holds exactly the :class:`~champion._runner.slot.ModelSlot` the local
executor would (built by a one-candidate :class:`LocalExecutor`), so the model
gets its own options (threads, context) and the same load, warm-up, timing,
scoring and skip policy. Load and warm-up are timed inside the actor; each trial
is timed by the provider inside the call with this host's monotonic clock, and
only durations travel back. The actor is a plain synchronous one (one call at a
time, in submission order): the driver keeps a few calls queued so it is never
idle, and llama.cpp is never entered twice at once.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import ray

from champion._records import Trial
from champion._runner.executors.base import ModelReady, RunSetup
from champion._runner.executors.local import LocalExecutor

__all__ = ["ModelActor"]


class ModelActor:
    """One candidate's slot on a Ray worker (see the module docstring)."""

    def __init__(self, setup: RunSetup) -> None:
        self._loop = asyncio.new_event_loop()
        self._executor = LocalExecutor(setup)
        [self._slot] = self._executor.slots.values()
        self._cases = {case.id: case for case in setup.suite.cases}
        self._where: dict[str, Any] = {}

    def where(self) -> dict[str, Any]:
        """The node, address and GPU ids this actor holds (answers as soon as it is placed)."""
        context = ray.get_runtime_context()
        address = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
        self._where = {"node": context.get_node_id(), "ip": address,
                       "gpus": [str(g) for g in context.get_accelerator_ids().get("GPU", [])],
                       "threads": None}
        return dict(self._where)

    def open(self) -> ModelReady:
        """Load and warm up (timed here), then keep the collector off the loaded model."""
        ready = self._loop.run_until_complete(self._slot.open())
        provider = self._slot.provider
        self._where["threads"] = provider.threads() if provider is not None else None
        gc.collect()
        gc.freeze()
        return ready

    def trial(self, case_id: str, batch: int) -> Trial:
        """One trial, timed inside the call; it says where it ran."""
        trial = self._loop.run_until_complete(self._slot.trial(self._cases[case_id], batch))
        trial.where = self._where
        return trial

    def close(self) -> None:
        """Free the model (the actor is killed right after)."""
        self._loop.run_until_complete(self._executor.aclose())
