"""The read-only dashboard: tasks, their history, runs, two models and two runs compared.

Every page has a JSON twin under ``/api``. Pages carry no script; model output
and suite text are escaped by the templates (autoescaping) and by the charts.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from champion._errors import InputError
from champion._registry import STAGES
from champion._report.html import charts, environment, pairwise_rows, viability
from champion._report.svg import TrendPoint, trend
from champion._report.view import ModelView, RunView
from champion._store import Store
from champion._store.production import ProductionSummary
from champion._web.compare import RunDiff, diff_runs
from champion._web.pages import dashboard_pages
from champion._web.rollout import task_rollout
from champion._web.runs import RunCache, RunRow, TaskRow
from champion._web.security import BearerTokenMiddleware
from champion._web.workflows import workflow_pages

__all__ = ["create_dashboard"]

_SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
     b" form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class _SecurityHeaders:
    """Adds a script-free content security policy and friends to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + _SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)


def _href(*parts: str, **query: str | None) -> str:
    path = "/" + "/".join(quote(p, safe="") for p in parts)
    args = {k: v for k, v in query.items() if v is not None}
    return path + ("?" + urlencode(args) if args else "")


# -- JSON forms -------------------------------------------------------------------

def _row_json(row: RunRow) -> dict[str, Any]:
    return {"run_id": row.run_id, "started_at": row.started_at.isoformat(),
            "status": row.status, "champion": row.champion, "runner_up": row.runner_up,
            "champion_median_ms": row.champion_median_ms,
            "champion_pass_rate": row.champion_pass_rate, "calls": row.calls,
            "champion_changed": row.champion_changed, "suite_changed": row.suite_changed,
            "identity_changes": list(row.identity_changes), "purpose": row.purpose}


def _entry_json(entry: Any) -> dict[str, Any]:
    def model(value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        return {"id": getattr(value, "id", None), "key": getattr(value, "key", None),
                "median_ms": getattr(value, "median_ms", None),
                "p90_ms": getattr(value, "p90_ms", None),
                "pass_rate": getattr(value, "pass_rate", None)}

    promoted = getattr(entry, "promoted_at", None)
    return {"run_id": getattr(entry, "run_id", None),
            "promoted_at": promoted.isoformat() if promoted is not None else None,
            "champion": model(getattr(entry, "champion", None)),
            "runner_up": model(getattr(entry, "runner_up", None))}


#: Production figures on a task page are at most this old (a cached page shows them).
PRODUCTION_REFRESH_S = 10.0


def _production_json(summary: ProductionSummary) -> dict[str, Any]:
    return {"calls": summary.calls, "served": summary.served, "errors": summary.errors,
            "fallbacks": summary.fallbacks, "p50_ms": summary.p50_ms, "p95_ms": summary.p95_ms,
            "error_rate": summary.error_rate, "fallback_rate": summary.fallback_rate,
            "first": summary.first.isoformat() if summary.first else None,
            "last": summary.last.isoformat() if summary.last else None,
            "by_model": dict(summary.by_model)}


def _task_json(row: TaskRow) -> dict[str, Any]:
    return {"task": row.task, "runs": row.runs,
            "latest": _row_json(row.latest) if row.latest else None,
            "registered": {stage: _entry_json(e) for stage, e in row.registered.items()}}


def _cells_json(view: RunView, models: list[ModelView] | None = None,
                outputs: bool = False) -> list[dict[str, Any]]:
    rows = []
    for m in models or view.models:
        for case_id in view.case_order:
            cell = view.cells.get((m.line.model, case_id))
            if cell is None:
                continue
            item: dict[str, Any] = {
                "model": m.line.model, "case": case_id, "state": cell.state,
                "passes": cell.line.passes, "trials": cell.line.trials,
                "median_ms": cell.line.median_ms, "got": cell.line.got}
            if outputs:
                item["outputs"] = [{"text": o.text, "got": o.got, "correct": o.correct,
                                    "error": o.error, "count": o.count}
                                   for o in cell.outputs]
            rows.append(item)
    return rows


def _diff_json(diff: RunDiff) -> dict[str, Any]:
    return {
        "base": diff.base.result.run_id, "head": diff.head.result.run_id,
        "same_suite": diff.same_suite, "champion_changed": diff.champion_changed,
        "champion": {"base": diff.base.result.champion, "head": diff.head.result.champion},
        "added": diff.added, "removed": diff.removed, "margin": diff.margin,
        "models": [{"model": m.model, "status": [m.before_status, m.after_status],
                    "pass_rate": [m.before_pass_rate, m.after_pass_rate],
                    "median_ms": [m.before_median_ms, m.after_median_ms],
                    "ratio": m.ratio, "p_value": m.p_value, "slower": m.slower}
                   for m in diff.models],
        "cases": [{"model": c.model, "case": c.case_id, "before": c.before,
                   "after": c.after, "passes": [c.before_passes, c.after_passes]}
                  for c in diff.cases],
    }


# -- the application -------------------------------------------------------------

class _Responses:
    """Rendered responses, reused while what they show is unchanged (same stamp).

    One request renders a stale page while the others asking for it wait and
    reuse its result.
    """

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[Any, bytes, str | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._rendering: dict[str, threading.Lock] = {}

    def hit(self, key: str, stamp: Any) -> Response | None:
        """The stored response for ``key`` if it was rendered for ``stamp``."""
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != stamp:
                return None
            self._items.move_to_end(key)
        return Response(item[1], media_type=item[2])

    def get(self, key: str, stamp: Any, render: Callable[[], Response]) -> Response:
        hit = self.hit(key, stamp)
        if hit is not None:
            return hit
        with self._lock:
            rendering = self._rendering.setdefault(key, threading.Lock())
        with rendering:
            hit = self.hit(key, stamp)
            if hit is not None:
                return hit
            try:
                response = render()
            except Exception:
                with self._lock:  # nothing to reuse: forget the key
                    self._rendering.pop(key, None)
                raise
            with self._lock:
                self._items[key] = (stamp, bytes(response.body), response.media_type)
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    evicted, _item = self._items.popitem(last=False)
                    self._rendering.pop(evicted, None)
            return response


def _key(request: Request) -> str:
    return f"{request.url.path}?{request.url.query}"


class _Dashboard:
    def __init__(self, store: Store) -> None:
        self.runs = RunCache(store)
        self.responses = _Responses()
        self.env: Environment = environment(PackageLoader("champion._web", "templates"))
        self.env.globals.update(href=_href, stages=STAGES)

    def page(self, template: str, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(template).render(**context))

    def _stamp(self, run_ids: list[str] | None, cached_only: bool = False) -> Any:
        """What a response depends on: the given runs, or (None) every run and the registry.

        With ``cached_only``, None unless every part is known without asking the store.
        """
        if run_ids is None:
            stamp = self.runs.store_stamp(cached_only)
            # Production samples arrive all the time: pages show them at most this old.
            return None if stamp is None else (stamp, int(time.time() // PRODUCTION_REFRESH_S))
        stamps = tuple(self.runs.stamp(run_id, cached_only) for run_id in run_ids)
        return None if cached_only and None in stamps else stamps

    def endpoint(self, render: Callable[[Request], Response],
                 runs_of: Callable[[Request], list[str]] | None = None
                 ) -> Callable[[Request], Awaitable[Response]]:
        """An endpoint that reuses the rendered response while what it shows is unchanged.

        ``runs_of`` names the runs a page shows; without it the page spans
        every run. A reused response is sent straight from the event loop;
        reading the store and rendering happen in a worker thread.
        """
        async def serve(request: Request) -> Response:
            key = _key(request)
            run_ids = runs_of(request) if runs_of else None
            stamp = self._stamp(run_ids, cached_only=True)
            if stamp is not None:
                hit = self.responses.hit(key, stamp)
                if hit is not None:
                    return hit
            return await run_in_threadpool(self._render, key, run_ids, render, request)

        return serve

    def _render(self, key: str, run_ids: list[str] | None,
                render: Callable[[Request], Response], request: Request) -> Response:
        return self.responses.get(key, self._stamp(run_ids), lambda: render(request))

    # data shared by a page and its JSON twin

    def _task(self, task: str) -> tuple[list[RunRow], RunView | None, dict[str, Any]]:
        rows = self.runs.runs(task)
        if not rows:
            raise InputError(f"no runs of task {task!r}")
        latest = self.runs.view(rows[-1].run_id)
        return rows, latest, self.runs.registered().get(task, {})

    def _pair(self, request: Request, run_id: str) -> tuple[RunView, ModelView, ModelView]:
        view = self.runs.view(run_id)
        if not view.models:
            raise InputError(f"run {run_id!r} has no models")
        names = [m.line.model for m in view.models]
        a = request.query_params.get("a") or names[0]
        b = request.query_params.get("b") or (names[1] if len(names) > 1 else names[0])
        first, second = view.model(a), view.model(b)
        if first is None or second is None:
            raise InputError(f"run {run_id!r} has no model {a if first is None else b!r}")
        return view, first, second

    def _diff(self, request: Request) -> RunDiff:
        base_id, head_id = request.query_params.get("base"), request.query_params.get("head")
        if not base_id or not head_id:
            raise InputError("compare needs ?base=RUN_ID&head=RUN_ID")
        head = self.runs.view(head_id)
        base = self.runs.run_of_task(base_id, head.result.task)
        return diff_runs(base, head)

    # pages

    def overview(self, request: Request) -> Response:
        return self.page("overview.html", tasks=self.runs.overview())

    def task(self, request: Request) -> Response:
        task = request.path_params["task"]
        rows, latest, registered = self._task(task)
        points = [TrendPoint(label=r.started_at.strftime("%m-%d %H:%M"),
                             value=r.champion_median_ms,
                             note=(f"{r.champion} median {r.champion_median_ms:.1f} ms"
                                   if r.champion and r.champion_median_ms is not None
                                   else "no champion")
                             + (" (champion changed)" if r.champion_changed else ""),
                             changed=r.champion_changed, href=_href("runs", r.run_id))
                  for r in rows]
        return self.page("task.html", task=task, rows=rows, view=latest,
                         model_href=lambda model: _href("tasks", task, "models", model),
                         registered=registered, trend=trend(points),
                         charts=charts(latest) if latest else None,
                         production=self.runs.store.production_summary(task),
                         rollout=task_rollout(self.runs.store, task))

    def model(self, request: Request) -> Response:
        task, model = request.path_params["task"], request.path_params["model"]
        found = self.runs.model_trend(task, model)
        points, digest = [], None
        for p in found.points:
            changed = digest is not None and p.digest is not None and p.digest != digest
            digest = p.digest or digest
            points.append(TrendPoint(
                label=p.started_at.strftime("%m-%d %H:%M"), value=p.median_ms,
                note=f"{p.status}, rank {p.rank}, {p.pass_rate:.0%} correct"
                + (" (model changed under its name)" if changed else ""),
                changed=changed, href=_href("runs", p.run_id)))
        return self.page("model.html", task=task, trend=found,
                         chart=trend(points, title=f"{model} median latency"))

    def run(self, request: Request) -> Response:
        view = self.runs.view(request.path_params["run_id"])
        items = _items(request)
        siblings = self.runs.runs(view.result.task)
        return self.page("run.html", view=view, run=view.result, charts=charts(view),
                         viability=viability(view, items), items=items,
                         pairwise=pairwise_rows(view), siblings=siblings)

    def side_by_side(self, request: Request) -> Response:
        view, first, second = self._pair(request, request.path_params["run_id"])
        return self.page("side_by_side.html", view=view, run=view.result, first=first,
                         second=second)

    def compare(self, request: Request) -> Response:
        diff = self._diff(request)
        return self.page("compare.html", diff=diff,
                         runs=self.runs.runs(diff.head.result.task))

    # JSON

    def api_tasks(self, request: Request) -> Response:
        return JSONResponse({"tasks": [_task_json(row) for row in self.runs.overview()]})

    def api_task(self, request: Request) -> Response:
        task = request.path_params["task"]
        rows, latest, registered = self._task(task)
        return JSONResponse({
            "task": task, "runs": [_row_json(r) for r in rows],
            "registered": {stage: _entry_json(e) for stage, e in registered.items()},
            "production": _production_json(self.runs.store.production_summary(task)),
            **task_rollout(self.runs.store, task),
            "latest": latest.data if latest else None})

    def api_model(self, request: Request) -> Response:
        found = self.runs.model_trend(request.path_params["task"], request.path_params["model"])
        return JSONResponse({
            "task": found.task, "model": found.model, "key": found.key,
            "points": [{"run_id": p.run_id, "started_at": p.started_at.isoformat(),
                        "status": p.status, "rank": p.rank, "median_ms": p.median_ms,
                        "p90_ms": p.p90_ms, "pass_rate": p.pass_rate, "trials": p.trials,
                        "median_change_pct": p.median_change_pct,
                        "suite_changed": p.suite_changed, "digest": p.digest}
                       for p in found.points]})

    def api_run(self, request: Request) -> Response:
        view = self.runs.view(request.path_params["run_id"])
        return JSONResponse({**view.data, "case_order": view.case_order,
                             "cells": _cells_json(view)})

    def api_side_by_side(self, request: Request) -> Response:
        view, first, second = self._pair(request, request.path_params["run_id"])
        lines = {m.line.model: m for m in (first, second)}
        return JSONResponse({
            "run_id": view.result.run_id,
            "models": [d for d in view.data["models"] if d["model"] in lines],
            "cells": _cells_json(view, [first, second], outputs=True)})

    def api_compare(self, request: Request) -> Response:
        return JSONResponse(_diff_json(self._diff(request)))


def _items(request: Request) -> int:
    try:
        return max(1, min(10**9, int(request.query_params.get("items", "100"))))
    except ValueError:
        return 100


def _not_found(env: Environment, request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    message = str(exc.detail) if isinstance(exc, HTTPException) else str(exc)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status)
    return HTMLResponse(env.get_template("error.html").render(message=message, status=status),
                        status_code=status)


def _warm(app: _Dashboard) -> None:
    """Read what the first pages need before anyone asks (best effort)."""
    try:
        for row in app.runs.overview():
            if row.latest is not None:
                app.runs.view(row.latest.run_id)
    except Exception:  # a store that fails here fails again, visibly, on the request
        return


def _added(render: Callable[[Request, Store], Response], store: Store
           ) -> Callable[[Request], Response]:
    """An added page's render function, bound to the store."""
    return lambda request: render(request, store)


def create_dashboard(store: Store, token: str | None = None) -> Starlette:
    """The dashboard over ``store`` (an ASGI app); with a ``token`` every request must
    bear it. Pages added with :func:`~champion._web.pages.register_page` (or the
    ``champion.pages`` entry-point group) are served beside the dashboard's own."""
    app = _Dashboard(store)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        threading.Thread(target=_warm, args=(app,), name="champion-dashboard-warm",
                         daemon=True).start()
        yield

    handler: Callable[[Request, Exception], Response] = partial(_not_found, app.env)
    def one_run(request: Request) -> list[str]:
        return [request.path_params["run_id"]]

    def two_runs(request: Request) -> list[str]:
        ids = [request.query_params.get(name) for name in ("base", "head")]
        if not all(ids):
            raise InputError("compare needs ?base=RUN_ID&head=RUN_ID")
        return [run_id for run_id in ids if run_id]

    pages: list[tuple[str, Callable[[Request], Response],
                      Callable[[Request], list[str]] | None]] = [
        ("/", app.overview, None),
        ("/tasks/{task}", app.task, None),
        ("/tasks/{task}/models/{model:path}", app.model, None),
        ("/runs/{run_id}", app.run, one_run),
        ("/runs/{run_id}/side-by-side", app.side_by_side, one_run),
        ("/compare", app.compare, None),  # lists the task's runs too
        ("/api/tasks", app.api_tasks, None),
        ("/api/tasks/{task}", app.api_task, None),
        ("/api/tasks/{task}/models/{model:path}", app.api_model, None),
        ("/api/runs/{run_id}", app.api_run, one_run),
        ("/api/runs/{run_id}/side-by-side", app.api_side_by_side, one_run),
        ("/api/compare", app.api_compare, two_runs),
    ]
    pages += workflow_pages(app)
    pages += [(page.path, _added(page.render, store), None) for page in dashboard_pages()]
    routes: list[Route | Mount] = [Route(path, app.endpoint(render, runs_of))
                                   for path, render, runs_of in pages]
    routes += [
        Mount("/static", StaticFiles(packages=[("champion._web", "static")]), name="static"),
    ]
    middleware = [Middleware(_SecurityHeaders)]
    if token:
        middleware.insert(0, Middleware(BearerTokenMiddleware, token=token))
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                     exception_handlers={InputError: handler, HTTPException: handler})
