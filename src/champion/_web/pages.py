"""Pages other code adds to the dashboard, beside its own.

A :class:`DashboardPage` is a path and a function that reads the store and
returns a response. It is registered in this process with :func:`register_page`,
or for every ``champion serve`` by a package, through the ``champion.pages``
entry-point group (the object is a ``DashboardPage``)::

    [project.entry-points."champion.pages"]
    champions = "my_package.pages:CHAMPIONS"

Added pages are served like the dashboard's own: read-only, behind the same
token and content security policy (no script runs), rendered in a worker
thread and reused until a run or a promotion changes. A page escapes what it
shows: model output is untrusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from champion._plugins import Registry
from champion._store import Store

__all__ = ["DashboardPage", "dashboard_pages", "pages", "register_page"]


@dataclass(frozen=True, slots=True)
class DashboardPage:
    """One page the dashboard serves.

    Attributes:
        name: what the page is registered as (unique).
        path: the route, in Starlette's syntax (``/champions``,
            ``/tasks/{task}/costs``); path parameters are in
            ``request.path_params``.
        render: reads the store and returns the response (``HTMLResponse``,
            ``JSONResponse``, ...); an ``InputError`` becomes the dashboard's
            404 page.
    """

    name: str
    path: str
    render: Callable[[Request, Store], Response]


#: Every added page, by name.
pages: Registry[DashboardPage] = Registry("dashboard page", "champion.pages")


def register_page(page: DashboardPage) -> DashboardPage:
    """Serve ``page`` on every dashboard this process creates; returns it."""
    if not page.path.startswith("/"):
        raise ValueError(f"dashboard page {page.name!r}: the path must start with '/'")
    pages.add(page.name, page)
    return page


def dashboard_pages() -> list[DashboardPage]:
    """Every registered page, in name order (entry points included)."""
    return [pages.get(name) for name in pages.names()]
