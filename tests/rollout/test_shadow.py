"""Shadow traffic through a real gateway on scripted servers: agreement reported within its
bound, a hanging or failing shadow never touching the caller's answer or latency, the
in-flight bound, outcomes in the store within a second, prompts as hashes unless
--record-text, and the agreement counter on /metrics."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from champion import Store, run_suite
from champion._cli.main import cli
from champion._registry.entries import Registry
from champion._web.gateway.rollout import RolloutSettings
from champion.testing import MockOpenAIServer
from tests.rollout.helpers import TASK, chat, gateway, number_of, triage, wait_for
from tests.router.fakes import candidate
from tests.router.test_registry_end_to_end import suite


def wrong_on_three_in_ten(prompt: str) -> str:
    """Disagrees with the champion on calls numbered 0, 1, 2 of every ten."""
    right = triage(prompt)
    if number_of(prompt) % 10 < 3:
        return "technical" if right == "billing" else "billing"
    return right


@contextmanager
def promoted(db: str, delay_ms: float = 0.0) -> Iterator[None]:
    """``fast`` the champion (answering after ``delay_ms``) and ``slow`` its runner-up,
    promoted on prod."""
    with MockOpenAIServer(triage, model="fast") as fast, \
            MockOpenAIServer(triage, model="slow", delay_ms=max(20.0, 2 * delay_ms)) as slow:
        run_suite(suite(), [candidate("fast", fast), candidate("slow", slow)], repeats=1, db=db)
        with Store(db) as store:
            Registry(store).promote(TASK)
        fast.delay_s = delay_ms / 1000
        yield


def _shadowing(url: str, *, sample: float = 1.0, in_flight: int = 32) -> RolloutSettings:
    return RolloutSettings(shadows=(f"{TASK}=openai/shadow@{url}/v1",), shadow_sample=sample,
                           shadow_in_flight=in_flight, tick_s=0.2)


def _outcomes(db: str, results: tuple[str, ...] = ("agree", "disagree")) -> list[dict[str, object]]:
    with Store(db) as store:
        return store.shadow_outcomes(TASK, results=results, limit=100_000)


def _shadow_cli(db: str, *args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(cli, ["shadow", TASK, "--db", db, "--format", "json", *args],
                                catch_exceptions=False)
    return result.exit_code, json.loads(result.output)


def test_a_shadow_that_disagrees_on_3_in_10_is_reported_within_its_bound(db_url: str) -> None:
    with promoted(db_url), MockOpenAIServer(wrong_on_three_in_ten) as shadow, \
            gateway(db_url, rollout=_shadowing(shadow.base_url)) as server, \
            httpx.Client() as client:
        answers = [chat(client, server.url, n) for n in range(200)]
        wait_for(lambda: len(_outcomes(db_url)) == 200)
        scrape = client.get(server.url + "/metrics").text
    assert all(r.status_code == 200 and r.headers["x-champion-served-by"] == "fast"
               for r in answers)
    code, report = _shadow_cli(db_url, "--min-agreement", "0.9")
    [figures] = report["shadows"]  # type: ignore[misc]
    assert figures["model"] == "shadow" and figures["calls"] == 200
    assert figures["agreement"] == pytest.approx(0.7)
    assert figures["agreement_lower95"] < 0.7 < figures["agreement_upper95"] < 0.9
    assert figures["disagreement_kinds"] == {"value": 60} and figures["skipped"] == 0
    assert figures["latency_ms"]["median"] > 0 and figures["champion_latency_ms"]["median"] > 0
    assert code == 3 and report["ok"] is False  # surely under 90%: a cron alert
    assert _shadow_cli(db_url, "--min-agreement", "0.7")[0] == 0
    assert _shadow_cli(db_url, "--since", "1h")[1]["shadows"][0]["calls"] == 200  # type: ignore[index]
    counted = {s.labels["result"]: s.value for f in text_string_to_metric_families(scrape)
               for s in f.samples if s.name == "champion_shadow_agreement_total"}
    assert counted == {"agree": 140.0, "disagree": 60.0}
    # Without --record-text only the prompt's hash is kept.
    rows = _outcomes(db_url)
    assert all(len(str(r["prompt_sha256"])) == 64 for r in rows)
    assert all(r["prompt_text"] is None and r["shadow_text"] is None and r["prompt_vars"] is None
               for r in rows)
    table = CliRunner().invoke(cli, ["shadow", TASK, "--db", db_url])
    assert "70.0%" in table.output and "texts not recorded" in table.output


def _took(call: Callable[..., httpx.Response]) -> tuple[float, httpx.Response]:
    """Milliseconds one call took, seen by the caller, and its answer."""
    start = time.perf_counter()
    response = call()
    return (time.perf_counter() - start) * 1000, response


@pytest.mark.parametrize("fault", ["hang", "error500", "reset"])
def test_a_hanging_or_failing_shadow_never_changes_the_callers_answer_or_latency(
        db_url: str, fault: str) -> None:
    with promoted(db_url, delay_ms=10), \
            MockOpenAIServer(triage, mode=fault) as shadow, gateway(db_url) as plain, \
            gateway(db_url, rollout=_shadowing(shadow.base_url, in_flight=8)) as shadowed, \
            httpx.Client() as client:
        for warm in range(5):
            chat(client, plain.url, warm)
            chat(client, shadowed.url, warm)
        without: list[float] = []
        with_shadow: list[float] = []
        answers = []
        for number in range(120):  # interleaved, so both see the same machine
            without.append(_took(lambda n=number: chat(client, plain.url, n))[0])
            took, response = _took(lambda n=number: chat(client, shadowed.url, n))
            with_shadow.append(took)
            answers.append((response.status_code, response.json()["model"],
                            response.json()["choices"][0]["message"]["content"]))
        if fault != "hang":
            wait_for(lambda: len(_outcomes(db_url)) >= 120)
    expected = [(200, "fast", triage(f"#{n} {'charged' if n % 2 == 0 else 'error'}"))
                for n in range(120)]
    assert answers == expected
    median_without, median_with = statistics.median(without), statistics.median(with_shadow)
    assert median_with <= median_without * 1.25 + 2.0, (median_without, median_with)
    rows = _outcomes(db_url)
    assert {r["result"] for r in rows} <= {"disagree"}
    if fault != "hang":
        assert {r["kind"] for r in rows} == {"unavailable"}
    else:  # at most 8 hang at once: the rest were skipped and counted
        with Store(db_url) as store:
            counts = store.shadow_counts(TASK)["shadow"]
        assert counts[("skipped", "in_flight_bound")] >= 120 - 8


def test_shadow_outcomes_are_in_the_store_within_a_second(db_url: str) -> None:
    with promoted(db_url), MockOpenAIServer(triage) as shadow, \
            gateway(db_url, rollout=RolloutSettings(
                shadows=(f"{TASK}=openai/shadow@{shadow.base_url}/v1",), shadow_sample=1.0,
                tick_s=1.0)) as server, httpx.Client() as client:
        took = []
        for number in range(3):
            chat(client, server.url, number)
            took.append(wait_for(lambda n=number: len(_outcomes(db_url)) == n + 1, 5, 0.01))
    assert max(took) < 1.5, took  # the writer flushes every second; the shadow takes ~1 ms


def test_the_runner_up_as_shadow_and_texts_with_record_text(db_url: str) -> None:
    with promoted(db_url), gateway(db_url, record_text=True, rollout=RolloutSettings(
            shadows=(f"{TASK}=runner-up",), shadow_sample=1.0, tick_s=0.2)) as server, \
            httpx.Client() as client:
        for number in range(4):
            chat(client, server.url, number)
        wait_for(lambda: len(_outcomes(db_url)) == 4)
    rows = _outcomes(db_url)
    assert {r["shadow_model"] for r in rows} == {"slow"} and {r["served_by"] for r in rows} == {
        "fast"}
    assert {r["result"] for r in rows} == {"agree"}  # "Billing." parses as billing too
    first = min(rows, key=lambda r: r["id"])  # type: ignore[arg-type, return-value]
    assert first["prompt_vars"] == {"ticket": "charged twice #0"}
    assert first["prompt_text"] == "system: Answer with one word.\n\nuser: Ticket: charged twice #0"
    assert first["champion_value"] == '"billing"' and first["shadow_text"] == "billing"
    assert first["shadow_ms"] is not None and first["shadow_ms"] > 15  # the slow model


def test_a_shadow_spec_that_names_nothing_is_refused(db_url: str) -> None:
    with promoted(db_url):
        result = CliRunner().invoke(cli, ["gateway", "--db", db_url, "--port", "0",
                                          "--shadow", f"{TASK}=nobody"])
        bad_form = CliRunner().invoke(cli, ["gateway", "--db", db_url, "--shadow", "nope"])
    assert result.exit_code == 2 and "neither runner-up nor a registered model" in result.output
    assert bad_form.exit_code == 2 and "TASK=MODEL" in bad_form.output


def test_outcomes_and_skipped_counts_written_together(db_url: str) -> None:
    from champion._providers.base import GenerateRequest, Message
    from champion._registry.rollout.compare import ServedCall
    from champion._registry.rollout.outcomes import ShadowRecorder
    from champion._registry.rollout.shadow import ShadowOutcome
    from champion._registry.routes import OutputFormat, Route
    from tests.router.fakes import triage_suite

    route = Route(TASK, triage_suite(), OutputFormat(triage_suite()), None, None,  # type: ignore[arg-type]
                  1.0, 0.0)
    served = ServedCall(route, GenerateRequest((Message("user", "x"),)), "fast", "billing",
                        "billing", 1.0)
    with Store(db_url) as store:
        recorder = ShadowRecorder(store, "prod")
        recorder.skipped = lambda: {(TASK, "shadow"): 7}
        recorder.record(ShadowOutcome(TASK, "shadow", served, "disagree", "timeout", None))
        recorder.stop()  # one batch: an outcome and a count
        assert (recorder.writer.written, recorder.writer.failed) == (2, 0)
        assert store.shadow_counts(TASK) == {"shadow": {("disagree", "timeout"): 1,
                                                        ("skipped", "in_flight_bound"): 7}}
