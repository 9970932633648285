"""``champion serve [--host 127.0.0.1] [--port 8765] [--db URL]``: the read-only dashboard."""

from __future__ import annotations

import click

from champion._cli.options import db_option

__all__ = ["serve"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind; beyond loopback CHAMPION_TOKEN must be set.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@db_option
def serve(host: str, port: int, db: str | None) -> None:
    """Serve a read-only dashboard over the database: tasks, history, runs, comparisons."""
    import uvicorn

    from champion._store import Store
    from champion._web.dashboard import create_dashboard
    from champion._web.security import check_bind

    token = check_bind(host, port, "serve")
    store = Store(db)
    try:
        app = create_dashboard(store, token)
        shown = f"[{host}]" if ":" in host else host
        click.echo(f"champion dashboard on http://{shown}:{port}/"
                   + (" (bearer token required)" if token else ""), err=True)
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        store.close()
