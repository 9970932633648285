"""Running the gateway: one process, or N worker processes on one port.

:func:`run_gateway` serves with uvicorn (uvloop and httptools when installed).
With ``workers`` above 1, uvicorn starts N processes that share the listening
socket; each builds its own app from the settings the parent passes in the
environment (:func:`app_from_env`), so each has its own database connection,
route table, breakers, queues, HTTP connections and sample recorder, and
Prometheus values go to a folder the parent makes and removes
(``PROMETHEUS_MULTIPROC_DIR``), summed at each scrape.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from champion._registry.breaker import BreakerConfig
from champion._registry.router import Router, RouterConfig
from champion._store import Store, database_url
from champion._store.engine import redact
from champion._web.gateway.access import ACCESS_LOGGER, AccessLog
from champion._web.gateway.app import Gateway, GatewayConfig
from champion._web.gateway.calls import CallObserver
from champion._web.gateway.metrics import GatewayMetrics
from champion._web.gateway.recorder import SampleRecorder
from champion._web.gateway.rollout import RolloutSettings, registered_models, rollout_parts
from champion._web.gateway.wire import error_body
from champion._web.security import ASGIApp, BearerTokenMiddleware, server_token

__all__ = ["GatewaySettings", "app_from_env", "build_app", "describe", "run_gateway"]

SETTINGS_ENV = "CHAMPION_GATEWAY_SETTINGS"


@dataclass(frozen=True)
class GatewaySettings:
    """Everything ``champion gateway`` serves with.

    Attributes:
        db: the database URL (None: ``CHAMPION_DB``, else the default SQLite file).
        host, port: where to listen.
        workers: processes serving on the one port.
        router: stage, deadlines, retries, breaker, limits, refresh interval.
        gateway: stream mode and pass-through deadline.
        record: the share of calls written to the store as production samples.
        record_text: keep the prompt's and answer's text in those samples and in
            shadow outcomes.
        log_format: the access log's lines: ``text`` or ``json``; ``none``: no log.
        rollout: shadow calls (``--shadow``, ``--shadow-sample``) and canary upkeep.
    """

    db: str | None = None
    host: str = "127.0.0.1"
    port: int = 8787
    workers: int = 1
    router: RouterConfig = field(default_factory=RouterConfig)
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    record: float = 0.0
    record_text: bool = False
    log_format: str = "text"
    rollout: RolloutSettings = field(default_factory=RolloutSettings)

    def to_json(self) -> str:
        """The settings as JSON (for worker processes)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> GatewaySettings:
        """Settings written by :meth:`to_json`."""
        data: dict[str, Any] = json.loads(text)
        router = dict(data.pop("router"))
        router["breaker"] = BreakerConfig(**router["breaker"])
        rollout = dict(data.pop("rollout"))
        rollout["shadows"] = tuple(rollout["shadows"])
        return cls(router=RouterConfig(**router), gateway=GatewayConfig(**data.pop("gateway")),
                   rollout=RolloutSettings(**rollout), **data)


def _access_logger(log_format: str) -> list[CallObserver]:
    if log_format == "none":
        return []
    logger = logging.getLogger(ACCESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return [AccessLog(json_lines=log_format == "json")]


def build_app(settings: GatewaySettings, token: str | None = None) -> ASGIApp:
    """The gateway app for ``settings``, with its own store, router, recorders and
    canary keeper. Stopping it writes what they hold: samples, shadow outcomes,
    canary counts."""
    store = Store(settings.db)
    router = Router(store, settings.router)
    metrics = GatewayMetrics()
    observers = _access_logger(settings.log_format)
    on_start: list[Callable[[], None]] = []
    on_stop: list[Callable[[], object]] = []
    if settings.record > 0:
        recorder = SampleRecorder(store, settings.router.stage, settings.record,
                                  settings.record_text)
        observers.append(recorder)
        on_start.append(recorder.start)
        on_stop.append(recorder.stop)
    rollout = rollout_parts(settings.rollout, store, router, metrics, settings.router.stage,
                            settings.record_text)
    observers += rollout.observers
    on_start += rollout.on_start
    on_stop += [*rollout.on_stop, store.close]
    app = Gateway(router, settings.gateway, metrics, observers, on_start, on_stop)
    if token is None:
        return app
    return BearerTokenMiddleware(app, token, error_body=error_body)


def app_from_env() -> ASGIApp:
    """A worker's app, from the settings its parent put in ``CHAMPION_GATEWAY_SETTINGS``."""
    return build_app(GatewaySettings.from_json(os.environ[SETTINGS_ENV]), server_token())


def describe(settings: GatewaySettings) -> tuple[list[str], list[str]]:
    """What the gateway will serve: lines to print, and warnings.

    Names the database (credentials hidden; a SQLite file by its full path),
    the stage and its tasks; warns when no task is registered there.
    """
    url = database_url(settings.db)
    shown = redact(url)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        shown = "sqlite:///" + str(Path(url.removeprefix("sqlite:///")).resolve())
    stage = settings.router.stage
    from champion._registry.rollout.shadow import resolve_shadows

    with Store(url) as store:
        router = Router(store, settings.router)
        tasks = router.tasks()
        canaries = router.table.canaries()
        router.close()
        shadows = resolve_shadows(settings.rollout.specs(), registered_models(store))
    lines = [f"database: {shown}", f"stage: {stage}",
             "tasks: " + (", ".join(tasks) if tasks else "none")]
    lines += [f"canary: {c.task} at {c.share:g}% (run {c.route.run_id})" for c in canaries]
    if shadows:
        lines.append(f"shadows ({settings.rollout.shadow_sample:g} of calls, at most"
                     f" {settings.rollout.shadow_in_flight} in flight per worker): "
                     + ", ".join(f"{s.task}={s.name}" for s in shadows))
    warnings = [f"--shadow {s.task}={s.name}: {s.task!r} is not promoted at stage {stage!r}"
                for s in shadows if s.task not in tasks]
    if not tasks:
        warnings.append(f"no task is promoted at stage {stage!r} in {shown}: every 'task:' call"
                        " will be answered 404. Promote one (champion promote TASK), or point"
                        " --db / CHAMPION_DB at the database your runs are in.")
    return lines, warnings


def run_gateway(settings: GatewaySettings, token: str | None = None) -> None:
    """Serve until interrupted (uvicorn; N worker processes when ``workers`` > 1).

    SIGINT or SIGTERM stops the gateway gracefully: calls in flight finish (up to
    10 s), every worker writes what it holds (production samples, shadow
    outcomes, canary counts), then the signal is raised again in this process,
    so its own handler (the CLI's: exit 130 or 143) has the last word.
    """
    import uvicorn

    common: dict[str, Any] = {"host": settings.host, "port": settings.port,
                              "log_level": "warning", "access_log": False,
                              "lifespan": "on", "backlog": 4096, "timeout_graceful_shutdown": 10}
    if settings.workers <= 1:
        uvicorn.run(build_app(settings, token), **common)  # raises the signal again itself
        return
    from uvicorn.supervisors import Multiprocess

    metrics_dir = tempfile.mkdtemp(prefix="champion-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    os.environ[SETTINGS_ENV] = settings.to_json()
    received: list[int] = []

    class _Supervisor(Multiprocess):
        def handle_int(self) -> None:
            received.append(signal.SIGINT)
            super().handle_int()

        def handle_term(self) -> None:
            received.append(signal.SIGTERM)
            super().handle_term()

    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        config = uvicorn.Config("champion._web.gateway.server:app_from_env", factory=True,
                                workers=settings.workers, **common)
        _Supervisor(config, sockets=[config.bind_socket()]).run()  # joins every worker
    finally:
        for signum, handler in handlers.items():  # the supervisor replaced them
            signal.signal(signum, handler)
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        shutil.rmtree(metrics_dir, ignore_errors=True)
    for stopped_by in received[:1]:
        signal.raise_signal(stopped_by)
