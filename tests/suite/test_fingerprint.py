"""Fingerprints stay put: runs compare only when their suites' fingerprints match."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from champion import load_suite
from champion._suite import Suite
from champion._suite.fingerprint import suite_fingerprint

Write = Callable[[str, str], Path]
ROOT = Path(__file__).resolve().parents[2]

# Taken with the code before check options were typed per check kind: a suite
# file that does not use the newer keys must keep the fingerprint it had.
EXAMPLE_FINGERPRINTS = {
    "crm-extraction.yaml": "d0a504e956d6aac1fe4ade94e522c692ffdbc8ee09bb55a8fdab3592312385ed",
    "destination-city.yaml": "534640f8ecf4e66d28aaf97cd055c9a16e43db820a82d472d9b54e5162727971",
    "job-posting-grading.json":
        "a90055135115a62db37ea4fd4bb8de551bb18a70cfbbf8a7d7ef31365871b776",
    "order-number.yaml": "c87e6bb5fb951afb905c143131c36b32f936c5f7c2883a233074bfbcdb216333",
    "sentiment.yaml": "e259406687f68fec2ac7ffbb022dcadf5c8ba4fb13c270acdb02fa40df4eb4cb",
    "ticket-triage.yaml": "0f4813986d37cffd83330b414b727e337c60d6147797aa5fa563d14bb044cd03",
}


def test_example_suites_keep_their_fingerprints() -> None:
    for name, fingerprint in EXAMPLE_FINGERPRINTS.items():
        assert suite_fingerprint(load_suite(ROOT / "examples" / name)) == fingerprint, name


def test_a_suite_stored_by_release_0_1_loads_and_dumps_as_stored(tmp_path: Path) -> None:
    copy = tmp_path / "release-0.1.db"  # opening the fixture itself leaves WAL files beside it
    shutil.copy(ROOT / "tests/fixtures/release-0.1.db", copy)
    with sqlite3.connect(copy) as db:
        stored = [json.loads(row[0]) for row in db.execute("SELECT suite_json FROM runs")]
    assert stored
    for data in stored:
        assert Suite.model_validate(data).model_dump(mode="json", by_alias=True) == data


def test_new_keys_count_only_when_set(write: Write) -> None:
    head = ("task: t\nprompt: {user: 'x'}\noutput: {kind: json}\n"
            "cases: [{id: a, expected: {total: 1, notes: x}}]\n")
    plain = load_suite(write("a.yaml", head + "check: {type: json_fields}\n"))
    explicit = load_suite(write("b.yaml", head + "check: {type: json_fields, ignore: [],"
                                " fields: {}, function: null, schema: null}\n"))
    ignoring = load_suite(write("c.yaml", head + "check: {type: json_fields, ignore: [notes]}\n"))
    assert suite_fingerprint(plain) == suite_fingerprint(explicit)
    assert suite_fingerprint(ignoring) != suite_fingerprint(plain)
    assert ignoring.model_dump(mode="json", by_alias=True)["check"]["ignore"] == ["notes"]
