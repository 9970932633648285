"""Preflight: what can be known before a measured call stops that model, not the run.

A missing provider package, an unset key variable, a model the server does not
know (the warm-up answers 404) and a constrained-output mode the server refuses
exclude that model, named with the reason; a run in which no candidate passes
exits 2 and stores no complete run. Any other warm-up failure keeps the model
in the run and its trials record their error kind.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from champion import Candidate, RunConfig, run_suite
from champion._errors import InputError
from champion._providers.http import error_for_status
from champion._report import run_to_json
from champion._runner import NoCandidateLeft
from champion._store import Store
from champion.testing.loopback import Request, Responder
from champion.testing.openai_mock import MockOpenAIServer
from champion.testing.scripted import ScriptedModel, ScriptedServerProcess
from tests.conftest import run_cli

FULL = RunConfig(strategy="full")

LABELS = """\
task: preflight
prompt: {user: "Question {n}: answer ok."}
output: {kind: label, labels: [ok, no]}
repeats: 2
params: {max_tokens: 4, timeout_s: 10}
cases: [{id: a, vars: {n: 1}, expected: ok}, {id: b, vars: {n: 2}, expected: ok}]
"""

CITY = """\
task: json-city
prompt: {user: "Which city is {x} in? Answer in JSON."}
output:
  kind: json
  constrain: true
  schema: {type: object, properties: {city: {type: string}}, required: [city]}
check: {type: json_fields, fields: {city: ci}}
repeats: 1
params: {max_tokens: 16, timeout_s: 10}
cases:
  - {id: louvre, vars: {x: the Louvre}, expected: {city: Paris}}
  - {id: prado, vars: {x: the Prado}, expected: {city: Paris}}
"""


class PickyServer(MockOpenAIServer):
    """Refuses ``response_format`` types it does not take the way llama-cpp-python's
    server does: HTTP 500 with a validation error in the body."""

    def __init__(self, accepts: set[str], **options: Any) -> None:
        super().__init__('{"city": "Paris"}', **options)
        self.accepts = accepts
        self.bodies: list[dict[str, Any]] = []

    async def handle(self, request: Request, respond: Responder) -> None:
        if request.path.endswith("/chat/completions"):
            body = request.json() or {}
            self.bodies.append(body)
            kind = (body.get("response_format") or {}).get("type")
            if kind is not None and kind not in self.accepts:
                await respond.json(500, {"error": {
                    "message": "1 validation error: {'type': 'literal_error', 'loc': ('body',"
                               " 'response_format', 'type'), 'msg': \"Input should be 'text'"
                               " or 'json_object'\"}", "type": "internal_server_error"}})
                return
        await super().handle(request, respond)


@pytest.fixture
def labels(tmp_path: Path) -> Path:
    path = tmp_path / "labels.yaml"
    path.write_text(LABELS)
    return path


@pytest.fixture
def city(tmp_path: Path) -> Path:
    path = tmp_path / "city.yaml"
    path.write_text(CITY)
    return path


def _by_model(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["model"]: m for m in document["models"]}


def test_an_unset_key_variable_excludes_that_model_and_names_the_variable(
        labels: Path, tmp_path: Path) -> None:
    os.environ.pop("CHAMPION_TEST_UNSET_KEY", None)
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    with ScriptedServerProcess({"good": ScriptedModel(reply="ok"),
                                "locked": ScriptedModel(reply="ok")}) as server:
        models = tmp_path / "models.yaml"
        models.write_text(
            "models:\n"
            f"  - {{id: good, provider: openai, model: good, base_url: '{server.openai_url}'}}\n"
            f"  - {{id: locked, provider: openai, model: locked, base_url: '{server.openai_url}',"
            " api_key_env: CHAMPION_TEST_UNSET_KEY}\n")
        out = tmp_path / "run.json"
        done = run_cli("run", str(labels), "--models", str(models), "--db", db,
                       "--strategy", "full", "--json", str(out))
        assert done.returncode == 0, done.stderr
        calls = server.stats()
    assert "locked: excluded: environment variable CHAMPION_TEST_UNSET_KEY is not set" \
        in done.stdout
    models_json = _by_model(json.loads(out.read_text()))
    assert models_json["locked"]["status"] == "error"
    assert "CHAMPION_TEST_UNSET_KEY" in models_json["locked"]["error"]
    assert models_json["locked"]["trials"] == 0
    assert models_json["good"]["status"] == "champion"
    assert calls.get("locked", 0) == 0  # never called, not even warmed up

    alone = tmp_path / "alone.yaml"
    alone.write_text("models:\n  - {id: locked, provider: openai, model: locked,"
                     " base_url: 'http://127.0.0.1:9/v1', api_key_env: CHAMPION_TEST_UNSET_KEY}\n")
    refused = run_cli("run", str(labels), "--models", str(alone), "--db", db)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "no candidate passed preflight" in refused.stderr
    assert "CHAMPION_TEST_UNSET_KEY" in refused.stderr
    with Store(db) as store:
        assert len(store.run_ids()) == 1  # the first run only: nothing stored for this one


def test_a_missing_llama_cpp_package_is_named_and_nothing_is_stored(
        labels: Path, tmp_path: Path) -> None:
    hide = tmp_path / "hide"
    hide.mkdir()
    # As if llama-cpp-python were not installed: importing it fails, find_spec says None.
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['llama_cpp'] = None\n")
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    path = os.pathsep.join([str(hide), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = run_cli("run", str(labels), "-m", "builtin", "--db", db,
                   env={"PYTHONPATH": path})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "llama-cpp-python package is not installed" in done.stderr
    assert "pip install 'champion[local]'" in done.stderr
    assert "Traceback" not in done.stderr
    with Store(db) as store:
        assert store.run_ids() == []
    listed = run_cli("models", "-m", "builtin", "--format", "json", env={"PYTHONPATH": path})
    assert listed.returncode == 0, listed.stderr
    # Nothing can run them: their capabilities are unknown, not "completion".
    assert {m["capabilities"] is None for m in json.loads(listed.stdout)["models"]} == {True}


def test_a_model_the_server_does_not_know_is_excluded_at_its_warm_up(
        labels: Path, db_url: str) -> None:
    with ScriptedServerProcess({"known": ScriptedModel(reply="ok")}) as server:
        candidates = [Candidate(id=name, provider="openai", model=name,
                                base_url=server.openai_url) for name in ("known", "ghost")]
        result = run_suite(str(labels), candidates, config=FULL, db=db_url)
        calls = server.stats()
    by_model = _by_model(run_to_json(result))
    assert by_model["ghost"]["status"] == "error"
    assert "not found" in by_model["ghost"]["error"]
    assert by_model["ghost"]["trials"] == 0
    assert by_model["known"]["trials"] == 4 and result.champion == "known"
    assert calls == {"known": 5}  # the warm-up and four trials; ghost only got its 404

    with ScriptedServerProcess({"known": ScriptedModel(reply="ok")}) as server, \
            pytest.raises(NoCandidateLeft) as refused:
        run_suite(str(labels), [Candidate(id="ghost", provider="openai", model="ghost",
                                          base_url=server.openai_url)], config=FULL, db=db_url)
    assert "ghost" in str(refused.value) and isinstance(refused.value, InputError)
    with Store(db_url) as store:
        statuses = [store.load_run(run_id).status for run_id in store.run_ids()]
    assert sorted(statuses) == ["complete", "failed"]  # never a complete run of nothing


def test_auto_sends_a_schema_the_way_the_server_takes_it_and_says_so(
        city: Path, db_url: str) -> None:
    with PickyServer(accepts={"json_object"}) as server:
        result = run_suite(str(city), [Candidate(id="picky", provider="openai", model="mock",
                                                 base_url=server.base_url + "/v1")],
                           config=FULL, db=db_url)
    [line] = result.ranking.models
    assert line.status == "champion" and line.errors == 0
    assert any("json_object" in note for note in line.notes)
    kinds = [(body.get("response_format") or {}).get("type") for body in server.bodies]
    # The warm-up has a trial's shape: refused as json_schema, then taken as json_object.
    assert kinds[:2] == ["json_schema", "json_object"]
    assert kinds[2:] == ["json_object", "json_object"]
    # Production calls the model the way it was measured.
    [model] = result.models
    assert model.candidate["options"]["constrain_with"] == "json_object"


def test_a_server_that_refuses_every_constraint_mode_is_excluded(city: Path,
                                                                 db_url: str) -> None:
    with PickyServer(accepts=set()) as server, pytest.raises(NoCandidateLeft) as refused:
        run_suite(str(city), [Candidate(id="picky", provider="openai", model="mock",
                                        base_url=server.base_url + "/v1")],
                  config=FULL, db=db_url)
    assert "constrain" in str(refused.value)
    with PickyServer(accepts={"json_object"}) as server, pytest.raises(NoCandidateLeft):
        run_suite(str(city), [Candidate(id="strict", provider="openai", model="mock",
                                        base_url=server.base_url + "/v1",
                                        options={"constrain_with": "json_schema"})],
                  config=FULL, db=db_url)


def test_a_server_error_saying_the_request_is_invalid_is_rejected_and_not_retried(
        labels: Path, db_url: str) -> None:
    invalid = error_for_status(500, '{"error": {"message": "1 validation error: Input should'
                                    ' be \'text\' or \'json_object\'"}}')
    assert invalid.kind == "rejected" and not invalid.retryable
    assert error_for_status(500, "out of memory").kind == "unavailable"
    assert error_for_status(404, "not found").kind == "rejected"

    class Invalid(MockOpenAIServer):
        async def handle(self, request: Request, respond: Responder) -> None:
            if request.path.endswith("/chat/completions"):
                self.chat_requests += 1
                await respond.json(500, {"error": {"message": "invalid request: unsupported"
                                                              " parameter 'seed'"}})
                return
            await super().handle(request, respond)

    with Invalid() as server:
        result = run_suite(str(labels), [Candidate(id="m", provider="openai", model="mock",
                                                   base_url=server.base_url + "/v1")],
                           config=FULL, db=db_url)
    [line] = result.ranking.models
    assert line.error_reasons == {"rejected": 2, "skipped": 2}  # two failures in a row: skip
    # One call each, never retried: the warm-up and two trials.
    assert server.chat_requests == 3
