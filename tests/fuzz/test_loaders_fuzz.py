"""Suite files and models files survive anything: generated and targeted inputs.

Whatever a file holds, loading it either succeeds with plain, usable data or
raises the loader's own error (SuiteError, CandidateError) naming the file;
the CLI turns that into ``error: path[:line]: message`` and exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from champion._errors import SuiteError
from champion._suite import load_suite
from tests.conftest import run_cli
from tests.fuzz.checks import Outcome, try_models_file, try_suite_file
from tests.fuzz.strategies import (
    FuzzFile,
    Raw,
    models_files,
    suite_files,
    to_json,
    to_yaml,
    valid_suites,
)


def fuzz(examples: int) -> settings:
    """Random every run, nothing stored in the working tree; slow examples are fine."""
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _write(folder: Path, file: FuzzFile) -> Path:
    path = folder / file.name
    path.write_bytes(file.content)
    return path


def _assert_sound(outcome: Outcome, file: FuzzFile) -> None:
    assert not outcome.crash, f"{file.family} {file.name}: {file.content[:400]!r}\n{outcome.crash}"
    if file.valid:
        assert outcome.accepted, f"valid document refused: {outcome.message}"


@fuzz(150)
@given(file=suite_files())
def test_suite_files_load_or_raise_suite_error(folder: Path, file: FuzzFile) -> None:
    _assert_sound(try_suite_file(_write(folder, file)), file)


@fuzz(120)
@given(file=models_files())
def test_models_files_load_or_raise_candidate_error(folder: Path, file: FuzzFile) -> None:
    _assert_sound(try_models_file(_write(folder, file)), file)


@fuzz(3)
@given(files=st.lists(suite_files(), min_size=8, max_size=8))
def test_validate_command_never_shows_a_traceback(tmp_path_factory: pytest.TempPathFactory,
                                                  files: list[FuzzFile]) -> None:
    folder = tmp_path_factory.mktemp("cli")
    paths = [folder / f"{index}-{file.name}" for index, file in enumerate(files)]
    for path, file in zip(paths, files, strict=True):
        path.write_bytes(file.content)
    result = run_cli("validate", *map(str, paths))
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    refused = [p for p in paths if f"error: {p}" in result.stderr]
    accepted = [p for p in paths if result.stdout.count(f"{p}: task ") == 1]
    assert sorted(refused + accepted) == sorted(paths), output
    assert result.returncode == (2 if refused else 0), output


def _scalar_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _scalar_paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _scalar_paths(v, (*prefix, i))]
    return [prefix]


@fuzz(60)
@given(document=valid_suites(), data=st.data(), as_json=st.booleans())
def test_a_bad_value_is_reported_at_its_own_line(folder: Path, document: dict[str, Any],
                                                 data: st.DataObject, as_json: bool) -> None:
    path = data.draw(st.sampled_from(_scalar_paths(document)))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = Raw("__MARK__")
    text = to_json(document) if as_json else to_yaml(document)
    line = text[: text.index("__MARK__")].count("\n") + 1
    file = folder / ("marked.json" if as_json else "marked.yaml")
    file.write_text(text.replace("__MARK__", "NaN" if as_json else ".nan"), encoding="utf-8")
    with pytest.raises(SuiteError) as raised:
        load_suite(file)
    assert "NaN or infinity" in raised.value.message
    assert raised.value.line == line, text
