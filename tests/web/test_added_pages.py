"""Pages added to the dashboard are served like its own: token, CSP, escaping, errors."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape

import pytest
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.testclient import TestClient

from champion import DashboardPage, InputError, Store, create_dashboard, register_page
from champion._web.pages import pages


def _tasks(request: Request, store: Store) -> Response:
    return JSONResponse({"tasks": store.tasks()})


def _task(request: Request, store: Store) -> Response:
    task = request.path_params["task"]
    if task not in store.tasks():
        raise InputError(f"no task {task!r}")
    return HTMLResponse(f"<p>{escape(task)}</p>")


@pytest.fixture
def added() -> Iterator[None]:
    register_page(DashboardPage("probe-tasks", "/probe/tasks", _tasks))
    register_page(DashboardPage("probe-task", "/probe/tasks/{task}", _task))
    yield
    pages.remove("probe-tasks")
    pages.remove("probe-task")


def test_an_added_page_is_served_with_the_dashboard_s_headers(added: None, db_url: str) -> None:
    with Store(db_url) as store, TestClient(create_dashboard(store)) as client:
        listed = client.get("/probe/tasks")
        assert listed.status_code == 200 and listed.json() == {"tasks": []}
        assert "default-src 'none'" in listed.headers["content-security-policy"]
        missing = client.get("/probe/tasks/nope")
        assert missing.status_code == 404 and "no task" in missing.text


def test_an_added_page_needs_the_token_like_every_page(added: None, db_url: str) -> None:
    with Store(db_url) as store, TestClient(create_dashboard(store, token="s3cret")) as client:
        assert client.get("/probe/tasks").status_code == 401
        allowed = client.get("/probe/tasks", headers={"Authorization": "Bearer s3cret"})
        assert allowed.status_code == 200


def test_a_page_is_served_only_while_registered(db_url: str) -> None:
    with Store(db_url) as store, TestClient(create_dashboard(store)) as client:
        assert client.get("/probe/tasks").status_code == 404


def test_a_path_must_start_with_a_slash() -> None:
    with pytest.raises(ValueError, match="must start with '/'"):
        register_page(DashboardPage("bad", "probe", _tasks))
    assert "bad" not in pages
