"""The dashboard end to end: a store filled by real runs, uvicorn on loopback, headless Chromium.

The screenshots go to a temporary folder, so a test run leaves the work tree as it
found it; ``make screenshots`` sets ``CHAMPION_SCREENSHOTS=docs`` to update the
pictures in ``docs/`` on purpose.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from champion import Candidate, load_suite, run_suite
from champion._registry import Registry
from champion._registry.check import check_entry
from champion._report import render_html
from champion._runner import RunConfig
from champion._store import Store
from champion._web.dashboard import create_dashboard
from champion._web.runs import RunCache
from tests.conftest import ROOT, run_cli
from tests.web.servers import ServerThread

#: The full grid: these tests count every trial.
FULL = RunConfig(strategy="full")

DOCS = ROOT / "docs"
#: Where the screenshots go: a temporary folder unless this names one (``make screenshots``).
SCREENSHOTS_ENV = "CHAMPION_SCREENSHOTS"
SHOTS = ("dashboard-overview.png", "dashboard-task.png", "dashboard-run.png",
         "dashboard-compare.png", "report.png")
TASK = "ticket-routing"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)>"

CASES = {"T1": ("charged twice", "billing"), "T2": ("error 500 on login", "technical"),
         "T3": ("refund please", "billing"), "T4": ("app crashes", "technical"),
         "T5": ("invoice is wrong", "billing"), "T6": ("timeout when saving", "technical"),
         "T7": ("card declined", "billing"), "T8": ("sso redirect loop", "technical")}

SUITE = f"""\
task: {TASK}
description: Route a support ticket to the team that owns it.
prompt:
  system: Answer with the team name only.
  user: "Ticket: {{ticket}}"
output: {{kind: text}}
check: {{type: exact, ignore_case: true}}
cases:
""" + "".join(f"  - {{id: {cid}, vars: {{ticket: \"{text}\"}}, expected: {gold}}}\n"
              for cid, (text, gold) in CASES.items())

SENTIMENT = """\
task: review-sentiment
prompt: {user: "Review: {review}"}
output: {kind: label, labels: [positive, negative]}
check: {type: label}
cases:
  - {id: S1, vars: {review: "love it"}, expected: positive}
  - {id: S2, vars: {review: "broke in a day"}, expected: negative}
  - {id: S3, vars: {review: "great value"}, expected: positive}
"""

BILLING = "charged|refund|invoice|card"
ALL_RIGHT = [[BILLING, "billing"], [".", "technical"]]
MISSES_T8 = [[BILLING, "billing"], ["sso", "account"], [".", "technical"]]
MISSES_T4 = [[BILLING, "billing"], ["crash", "account"], [".", "technical"]]


def _model(name: str, rules: list[list[str]], delay_ms: float) -> Candidate:
    return Candidate(id=name, provider="test", model=name,
                     options={"rules": rules, "delay_ms": delay_ms})


def _hostile() -> Candidate:
    return Candidate(id="hostile-model", provider="test", model="hostile-model",
                     options={"reply": HOSTILE})


@dataclass
class Filled:
    url: str
    first: str
    second: str
    other: str
    report: Path


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Filled:
    """Two runs of one task (the champion changes, a model slows down) and one of another."""
    folder = tmp_path_factory.mktemp("dashboard")
    (folder / "routing.yaml").write_text(SUITE, encoding="utf-8")
    (folder / "sentiment.yaml").write_text(SENTIMENT, encoding="utf-8")
    url = f"sqlite:///{folder / 'champion.db'}"
    suite = load_suite(folder / "routing.yaml")
    first = run_suite(suite, [
        _model("fast-model", ALL_RIGHT, 2), _model("steady-model", ALL_RIGHT, 15),
        _model("flip-model", MISSES_T8, 4), _hostile()], repeats=2, db=url,
        config=FULL)
    second = run_suite(suite, [
        _model("fast-model", MISSES_T4, 2), _model("steady-model", ALL_RIGHT, 45),
        _model("flip-model", ALL_RIGHT, 4), _hostile()], repeats=2, db=url,
        config=FULL)
    other = run_suite(load_suite(folder / "sentiment.yaml"), [
        _model("fast-model", [["love|great", "positive"], [".", "negative"]], 1),
        _model("steady-model", [[".", "positive"]], 3)], repeats=2, db=url,
        config=FULL)
    assert (first.champion, second.champion) == ("fast-model", "flip-model")
    with Store(url) as store:
        Registry(store).promote(TASK, stage="prod")
    report = folder / "report.html"
    report.write_text(render_html(second), encoding="utf-8")
    return Filled(url, first.run_id, second.run_id, other.run_id, report)


@pytest.fixture(scope="module")
def served(filled: Filled) -> Iterator[str]:
    store = Store(filled.url)
    try:
        with ServerThread(create_dashboard(store, None)) as server:
            yield server.url
    finally:
        store.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    try:
        yield tab
    finally:
        context.close()


def _fingerprints(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.glob("*.png"))}


@pytest.fixture(scope="module")
def docs_before() -> dict[str, str]:
    """The pictures in docs/ before any test of this module ran."""
    return _fingerprints(DOCS)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory, docs_before: dict[str, str]) -> Path:
    """The folder screenshots are written to."""
    named = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(named) if named else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shot(page: Any, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / name), full_page=True)


def test_pages_link_together_and_draw_charts(page: Any, served: str, filled: Filled,
                                             shots: Path) -> None:
    page.goto(served + "/")
    tasks = page.locator("table.tasks a.task")
    assert sorted(tasks.all_inner_texts()) == ["review-sentiment", TASK]
    row = page.locator("table.tasks tr", has_text=TASK)
    assert "flip-model" in row.locator("td").nth(1).inner_text()
    assert row.locator(".stage").inner_text().split() == ["PROD", "flip-model", "→",
                                                          "steady-model"]
    _shot(page, shots, "dashboard-overview.png")

    page.click(f"a.task:text-is('{TASK}')")
    page.wait_for_url(f"**/tasks/{TASK}")
    trend = page.locator("svg.trend")
    assert trend.locator(".pt").count() == 2  # one point per run
    assert trend.locator("path.changed").count() == 1  # the champion changed in run 2
    assert page.locator("svg.scatter circle.pt").count() == 4
    _shot(page, shots, "dashboard-task.png")

    page.locator("table.leaderboard a", has_text="steady-model").click()
    page.wait_for_url(f"**/tasks/{TASK}/models/steady-model")
    assert page.locator("svg.trend .pt").count() == 2
    assert page.locator("tbody tr").count() == 2
    page.go_back()

    page.locator(f"h2 a[href='/runs/{filled.second}']").click()
    page.wait_for_url(f"**/runs/{filled.second}")
    assert page.locator("svg.box-plot circle.pt").count() == 4 * 8 * 2
    assert page.locator("table.matrix details.cell").count() == 4 * 8
    assert page.locator("table.matrix details.cell.fail").count() == 8 + 1  # hostile, T4
    assert page.locator("table.leaderboard tr.champion .model-name").inner_text() == "flip-model"
    _shot(page, shots, "dashboard-run.png")

    page.select_option("select[name=a]", "fast-model")
    page.select_option("select[name=b]", "flip-model")
    page.click("button:text('Side by side')")
    page.wait_for_url("**/side-by-side?*")
    assert page.locator("h1").inner_text() == "fast-model and flip-model"
    matrix = page.locator("table.matrix")
    assert matrix.locator("details.cell[open]").count() == 2 * 8
    wrong = matrix.locator("tr", has_text="T4").locator("details.cell.fail .output.wrong pre")
    assert wrong.inner_text() == "account"

    page.go_back()
    page.click("a.compare-previous")
    page.wait_for_url("**/compare?*")
    changes = page.locator("table.changes tbody tr").all_inner_texts()
    assert len(changes) == 2
    assert any("fast-model" in row and "T4" in row for row in changes)
    assert any("flip-model" in row and "T8" in row for row in changes)
    slower = page.locator("tr", has_text="steady-model").locator(".flag.slower")
    assert slower.count() == 1
    _shot(page, shots, "dashboard-compare.png")
    assert page.dialogs == []


def test_hostile_output_is_inert_in_the_report_and_every_page(
        page: Any, served: str, filled: Filled, shots: Path) -> None:
    pages = [
        filled.report.as_uri(),
        served + "/",
        served + f"/tasks/{TASK}",
        served + f"/tasks/{TASK}/models/hostile-model",
        served + f"/runs/{filled.first}",
        served + f"/runs/{filled.second}",
        served + f"/runs/{filled.second}/side-by-side?a=hostile-model&b=fast-model",
        served + f"/compare?base={filled.first}&head={filled.second}",
    ]
    for url in pages:
        page.goto(url)
        page.locator("details").evaluate_all("all => all.forEach(d => { d.open = true; })")
        page.wait_for_timeout(50)
        assert page.locator("img").count() == 0, url
        scripts = page.locator("script").evaluate_all("all => all.map(s => s.type)")
        assert all(kind == "application/json" for kind in scripts), url
        if "/runs/" in url or url.startswith("file:"):
            assert HOSTILE in page.locator("main").inner_text(), url
    assert page.dialogs == []
    page.goto(filled.report.as_uri())
    _shot(page, shots, "report.png")


def test_json_endpoints(served: str, filled: Filled) -> None:
    with httpx.Client(base_url=served) as client:
        tasks = client.get("/api/tasks").json()["tasks"]
        latest = {t["task"]: t["latest"] for t in tasks}
        assert latest[TASK]["champion"] == "flip-model"
        assert latest[TASK]["champion_changed"] is True
        registered = {t["task"]: t["registered"] for t in tasks}
        assert registered[TASK]["prod"]["champion"]["id"] == "flip-model"
        assert registered["review-sentiment"] == {}

        history = client.get(f"/api/tasks/{TASK}").json()
        assert [r["run_id"] for r in history["runs"]] == [filled.first, filled.second]
        assert history["latest"]["run_id"] == filled.second

        trend = client.get(f"/api/tasks/{TASK}/models/steady-model").json()
        assert [p["run_id"] for p in trend["points"]] == [filled.first, filled.second]
        assert trend["points"][1]["median_change_pct"] > 100  # 15 ms → 45 ms
        assert client.get(f"/api/tasks/{TASK}/models/nobody").status_code == 404

        run = client.get(f"/api/runs/{filled.second}").json()
        assert len(run["cells"]) == 4 * 8
        assert run["champion"] == "flip-model"

        pair = client.get(f"/api/runs/{filled.second}/side-by-side",
                          params={"a": "hostile-model", "b": "fast-model"}).json()
        texts = {o["text"] for c in pair["cells"] if c["model"] == "hostile-model"
                 for o in c["outputs"]}
        assert texts == {HOSTILE}

        diff = client.get("/api/compare", params={"base": filled.first,
                                                  "head": filled.second}).json()
        assert {m["model"] for m in diff["models"] if m["slower"]} >= {"steady-model"}
        assert {(c["model"], c["case"]) for c in diff["cases"]} == {
            ("fast-model", "T4"), ("flip-model", "T8")}

        cross = client.get("/api/compare", params={"base": filled.other,
                                                   "head": filled.second})
        assert cross.status_code == 404


def test_errors_are_escaped_and_the_dashboard_is_read_only(served: str) -> None:
    with httpx.Client(base_url=served) as client:
        missing = client.get("/runs/<b>nope<b>")
        assert missing.status_code == 404
        assert "<b>nope" not in missing.text and "&lt;b&gt;nope&lt;b&gt;" in missing.text
        assert client.get("/api/runs/nope").json()["error"]
        assert client.post("/").status_code == 405
        headers = client.get("/").headers
        assert "script-src" not in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]


def test_token_is_required_when_set(filled: Filled) -> None:
    store = Store(filled.url)
    try:
        client = TestClient(create_dashboard(store, "s3cret"))
        assert client.get("/").status_code == 401
        assert client.get("/api/tasks", headers={"Authorization": "Bearer nope"}
                          ).status_code == 401
        assert client.get("/api/tasks", headers={"Authorization": "Bearer s3cret"}
                          ).status_code == 200
    finally:
        store.close()


def test_an_empty_store_has_an_overview(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'empty.db'}") as store:
        client = TestClient(create_dashboard(store, None))
        assert "No runs yet" in client.get("/").text
        assert client.get("/api/tasks").json() == {"tasks": []}
        assert client.get("/tasks/none").status_code == 404


def test_a_run_still_running_is_shown_without_a_ranking(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from champion._ranking import Ranking
    from champion._records import ModelRun, Trial
    from champion._results import RunResult

    result = RunResult(
        run_id="live0001", task=TASK, suite_version="1", strategy="full", repeats=2, cases=1,
        seed=1, started_at=datetime.now(UTC), finished_at=None, status="running",
        models=[ModelRun(model="m", provider="test", model_name="m")], trials=[],
        ranking=Ranking(()), case_info={"T1": {"expected": "billing"}}, case_order=["T1"])
    with Store(f"sqlite:///{tmp_path / 'live.db'}") as store:
        store.begin_run(result)
        store.add_model(result.run_id, result.models[0])
        store.add_trials(result.run_id, [Trial(model="m", case_id="T1", batch=0, position=0,
                                               correct=True, output="billing", got="billing",
                                               latency_ms=3.0)])
        client = TestClient(create_dashboard(store, None))
        page = client.get("/runs/live0001")
        assert page.status_code == 200
        assert "no ranking yet (running, 1 calls stored)" in page.text
        assert client.get(f"/tasks/{TASK}").status_code == 200
        assert client.get("/").status_code == 200


def test_serve_refuses_a_public_host_without_a_token(filled: Filled) -> None:
    done = run_cli("serve", "--host", "0.0.0.0", "--db", filled.url,
                   env={"CHAMPION_TOKEN": ""})
    assert done.returncode == 2
    assert "CHAMPION_TOKEN" in done.stderr


def test_a_run_is_read_from_the_store_once(filled: Filled) -> None:
    store = Store(filled.url)
    reads: list[str] = []
    iter_trials, count_trials = store.iter_trials, store.count_trials

    def reading(run_id: str, model: str | None = None) -> Any:
        reads.append(run_id)
        return iter_trials(run_id, model)

    def counting(run_id: str) -> int:
        reads.append(f"count {run_id}")
        return count_trials(run_id)

    store.iter_trials = reading  # type: ignore[method-assign]
    store.count_trials = counting  # type: ignore[method-assign]
    try:
        cache = RunCache(store, stamp_ttl_s=0)
        first = cache.view(filled.second)
        assert cache.view(filled.second) is first
        cache.runs(TASK)
        cache.overview()
        assert reads == [filled.second]
        # A run that changed (here: more calls stored) is read again.
        summary = store.run_summary
        store.run_summary = lambda run_id: replace(  # type: ignore[method-assign]
            summary(run_id), calls=summary(run_id).calls + 1)
        assert cache.view(filled.second) is not first
        assert reads == [filled.second, filled.second]
    finally:
        store.close()


def test_check_runs_are_marked_on_the_task_page_and_the_run_page(tmp_path: Path) -> None:
    (tmp_path / "sentiment.yaml").write_text(SENTIMENT, encoding="utf-8")
    rules = [["love|great", "positive"], [".", "negative"]]
    with Store(f"sqlite:///{tmp_path / 'checks.db'}") as store:
        benchmark = run_suite(load_suite(tmp_path / "sentiment.yaml"), [
            _model("fast-model", rules, 1), _model("steady-model", rules, 3)], repeats=1,
            db=store, config=FULL)
        entry = Registry(store).promote("review-sentiment", stage="prod")
        check = check_entry(store, entry).check_run
        client = TestClient(create_dashboard(store, None))
        runs_table = client.get("/tasks/review-sentiment").text.split("<h2>Runs</h2>", 1)[1]
        rows = {run: runs_table.split(f"<code>{run}</code></a>", 1)[1].split("</td>", 1)[0]
                for run in (benchmark.run_id, check)}
        assert 'class="flag check"' in rows[check]
        assert "check" not in rows[benchmark.run_id]
        assert 'class="flag check"' in client.get(f"/runs/{check}").text
        assert "check" not in client.get(f"/runs/{benchmark.run_id}").text.split("<h1>")[1] \
            .split("</p>")[0]
        listed = client.get("/api/tasks/review-sentiment").json()["runs"]
        assert [(r["run_id"], r["purpose"]) for r in listed] == [
            (benchmark.run_id, "benchmark"), (check, "check")]


def test_screenshots_leave_docs_alone(shots: Path, docs_before: dict[str, str]) -> None:
    """Last in this module: the browser tests above wrote their pictures to ``shots``."""
    if os.environ.get(SCREENSHOTS_ENV):
        pytest.skip(f"{SCREENSHOTS_ENV} is set: docs/ is being updated on purpose")
    if not any(shots.iterdir()):
        pytest.skip("no browser test ran before this one")
    assert sorted(path.name for path in shots.iterdir()) == sorted(SHOTS)
    assert _fingerprints(DOCS) == docs_before
