"""The dashboard's workflow pages: the chain, shared models, projections per stage,
the latest verify run, the JSON twins, and model output kept inert."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from champion import Candidate, load_suite, run_suite
from champion._runner import RunConfig
from champion._store import Store
from champion._web.dashboard import create_dashboard
from champion._workflow import load_workflow
from champion._workflow.items import load_items
from champion._workflow.plan import plan_workflow
from champion._workflow.promotion import WorkflowRegistry
from champion._workflow.verify import verify_plan
from tests.web.servers import ServerThread

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)>"
ECHO = f"""\
task: echo
prompt: {{user: "Echo: {{text}}"}}
output: {{kind: text}}
check: {{type: exact}}
cases:
  - {{id: E1, vars: {{text: x}}, expected: "{HOSTILE}"}}
"""
ROUTING = """\
task: routing
prompt: {user: "Ticket: {ticket}"}
output: {kind: label, labels: [billing, technical]}
cases:
  - {id: R1, vars: {ticket: "charged twice"}, expected: billing}
  - {id: R2, vars: {ticket: "error 500"}, expected: technical}
"""
WORKFLOW = """\
workflow: inbox
description: Echo, then route.
budget: {memory_gb: 4}
steps:
  - {id: echo, task: echo}
  - {id: route, task: routing, after: [echo], inputs: {ticket: item.text}}
"""
ITEMS = """\
- {id: one, vars: {text: charged twice}, cases: {route: R1}}
- {id: two, vars: {text: error 500}, cases: {route: R2}}
"""


@dataclass
class Filled:
    url: str
    verify_id: str


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Filled:
    folder = tmp_path_factory.mktemp("workflow-pages")
    for name, text in (("echo.yaml", ECHO), ("routing.yaml", ROUTING),
                       ("w.yaml", WORKFLOW), ("items.yaml", ITEMS)):
        (folder / name).write_text(text, encoding="utf-8")
    url = f"sqlite:///{folder / 'champion.db'}"
    both = Candidate(id="both-model", provider="test", model="both-model", options={
        "rules": [["Echo", HOSTILE], ["charged", "billing"], [".", "technical"]],
        "delay_ms": 1})
    slow = Candidate(id="slow-router", provider="test", model="slow-router", options={
        "rules": [["charged", "billing"], [".", "technical"]], "delay_ms": 10})
    config = RunConfig(strategy="full")
    run_suite(load_suite(folder / "echo.yaml"), [both, slow], repeats=2, db=url, config=config)
    run_suite(load_suite(folder / "routing.yaml"), [both, slow], repeats=2, db=url,
              config=config)
    with Store(url) as store:
        workflow = load_workflow(folder / "w.yaml", store.tasks())
        registry = WorkflowRegistry(store)
        registry.promote(workflow, items=100, stage="prod")
        registry.promote(workflow, items=20, stage="dev")
        plan = plan_workflow(workflow, store, 2)
        verified = verify_plan(plan, load_items(folder / "items.yaml", plan), store)
    assert verified.status == "complete"
    return Filled(url, verified.id)


@pytest.fixture(scope="module")
def served(filled: Filled) -> Iterator[str]:
    store = Store(filled.url)
    try:
        with ServerThread(create_dashboard(store, None)) as server:
            yield server.url
    finally:
        store.close()


def test_the_json_twins(served: str, filled: Filled) -> None:
    with httpx.Client(base_url=served) as client:
        listed = client.get("/api/workflows").json()["workflows"]
        assert [w["workflow"] for w in listed] == ["inbox"]
        assert set(listed[0]["stages"]) == {"dev", "prod"}
        data = client.get("/api/workflows/inbox").json()
        assert data["plan_from"] == "promoted on prod"
        assert [(s["id"], s["model"], s["champion"]) for s in data["plan"]["steps"]] == [
            ("echo", "both-model", "both-model"), ("route", "both-model", "both-model")]
        assert data["shared_models"] == ["both-model"]
        stages = {s["stage"]: s for s in data["stages"]}
        assert data["items"] == [20, 50, 100]
        assert set(stages["prod"]["projected_ms"]) == set(stages["dev"]["projected_ms"]) \
            == {"20", "50", "100"}
        assert stages["prod"]["projected_ms"]["100"] > stages["prod"]["projected_ms"]["50"]
        verify = data["verify"]
        assert verify["id"] == filled.verify_id and verify["status"] == "complete"
        assert [(s["step"], s["calls"]) for s in verify["steps"]] == [("echo", 2),
                                                                      ("route", 2)]
        assert (verify["correct"], verify["graded"]) == (2, 2)
        assert {c["output"] for c in verify["calls"] if c["step"] == "echo"} == {HOSTILE}
        missing = client.get("/api/workflows/nope")
        assert missing.status_code == 404 and "no workflow 'nope'" in missing.json()["error"]


def test_the_page_shows_the_chain_and_keeps_model_output_inert(
        chromium: Any, served: str, tmp_path: Path) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(served + "/")
        page.click("header a:text('Workflows')")
        page.wait_for_url("**/workflows")
        page.click("a.task:text-is('inbox')")
        page.wait_for_url("**/workflows/inbox")
        steps = page.locator(".chain .step")
        assert steps.count() == 2 and page.locator(".chain .arrow").count() == 1
        assert page.locator(".chain .step.is-shared .badge.shared").count() == 2
        projection = page.locator("h2:text('Projection') + section tbody tr")
        assert projection.count() == 2  # dev and prod
        page.locator("details").evaluate_all("all => all.forEach(d => { d.open = true; })")
        assert HOSTILE in page.locator("main").inner_text()
        assert page.locator("img").count() == 0
        assert page.locator("script").count() == 0
        # make screenshots sets CHAMPION_SCREENSHOTS to docs/; else a temporary folder.
        shots = Path(os.environ.get("CHAMPION_SCREENSHOTS") or tmp_path)
        page.screenshot(path=str(shots / "dashboard-workflow.png"), full_page=True)
    finally:
        context.close()
    assert dialogs == []


def test_a_workflow_page_follows_new_promotions(filled: Filled) -> None:
    from starlette.testclient import TestClient

    with Store(filled.url) as store, TestClient(create_dashboard(store, None)) as client:
        before = {s["stage"]: s["items"] for s in client.get("/api/workflows/inbox").json()[
            "stages"]}
        workflow = load_workflow(Path(filled.url.removeprefix("sqlite:///")).with_name(
            "w.yaml"), store.tasks())
        WorkflowRegistry(store).promote(workflow, items=7, stage="dev")
        deadline = time.monotonic() + 5  # pages are reused while the store's stamp is fresh
        while True:
            after = {s["stage"]: s["items"] for s in client.get(
                "/api/workflows/inbox").json()["stages"]}
            if after != before or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert before == {"dev": 20, "prod": 100} and after == {"dev": 7, "prod": 100}
        page = client.get("/workflows/inbox")
        assert page.status_code == 200 and "plan for 7 items" in page.text
        assert HOSTILE not in page.text and "&lt;script&gt;" in page.text
