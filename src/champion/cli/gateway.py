"""``champion gateway``: an OpenAI-compatible endpoint over the registry."""

from __future__ import annotations

import os

import click

from champion.cli.options import db_option

__all__ = ["gateway"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; beyond loopback CHAMPION_TOKEN must be set.")
@click.option("--port", default=8787, show_default=True, type=int)
@click.option("--stage", default=None, metavar="STAGE",
              help="Registry stage to serve [default: CHAMPION_STAGE or prod].")
@db_option
def gateway(host: str, port: int, stage: str | None, db: str | None) -> None:
    """Serve registered champions over the OpenAI chat completions protocol.

    Send model "task:<task>" to reach a task's champion (with fallback to its
    runner-up), or a registered model's id to call it directly.
    """
    from champion.web.security import check_bind

    token = check_bind(host, "gateway")
    import uvicorn

    from champion.registry.router import Router, RouterConfig
    from champion.store import Store
    from champion.web.gateway import create_gateway

    stage = stage or os.environ.get("CHAMPION_STAGE") or "prod"
    router = Router(Store(db), RouterConfig(stage=stage))
    app = create_gateway(router, token=token)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"champion gateway: http://{shown}:{port}/v1 (stage {stage},"
               f" {len(router.tasks())} tasks){' with bearer token' if token else ''}",
               err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
