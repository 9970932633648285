"""Targeted hostile files: each is refused with the right message and line, or
loads as plain data; the limits hold exactly at their boundaries."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from champion._errors import CandidateError, SuiteError
from champion._providers.candidate import load_models_file
from champion._suite import load_suite, yaml_reader
from champion._suite.source import MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_VALUES
from tests.conftest import TRIAGE, run_cli
from tests.fuzz.checks import try_models_file, try_suite_file
from tests.fuzz.strategies import PNG_DATA_URI, Raw, to_json, to_yaml

Writer = Callable[[str, bytes | str], Path]

DEEP = 100_000
BASE: dict[str, Any] = yaml.safe_load(TRIAGE)
MODELS: dict[str, Any] = {"models": [
    {"id": "local", "provider": "llamacpp", "model": "builtin:smollm2-135m"},
    {"id": "remote", "provider": "openai", "model": "m1",
     "base_url": "http://127.0.0.1:8000/v1", "price": {"input_per_mtok": 1.0,
                                                      "output_per_mtok": 2.0}},
]}


@pytest.fixture
def put(tmp_path: Path) -> Writer:
    def _put(name: str, content: bytes | str) -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogatepass")
        path.write_bytes(content)
        return path

    return _put


def _refused(path: Path) -> SuiteError:
    with pytest.raises(SuiteError) as raised:
        load_suite(path)
    assert raised.value.path == str(path)
    return raised.value


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def _with_var(value: Any) -> dict[str, Any]:
    suite = copy.deepcopy(BASE)
    suite["cases"][0]["vars"]["extra"] = value
    return suite


# ---------------------------------------------------------------- nesting

@pytest.mark.parametrize("name", ["deep.yaml", "deep.json"])
@pytest.mark.parametrize("text", ["[" * DEEP + "]" * DEEP, '{"a": ' * DEEP + "1" + "}" * DEEP,
                                  "[" * DEEP])
def test_deep_brackets_are_refused_at_their_line(put: Writer, name: str, text: str) -> None:
    error = _refused(put(name, "\n" + text))
    assert f"nesting deeper than {MAX_DEPTH} levels" in error.message
    assert error.line == 2


def test_deep_yaml_block_nesting_names_the_line(put: Writer) -> None:
    text = "".join("  " * level + "a:\n" for level in range(300)) + "  " * 300 + "b\n"
    error = _refused(put("block.yaml", text))
    assert "nesting deeper" in error.message and error.line == MAX_DEPTH + 1


@pytest.mark.parametrize("dump", [to_yaml, to_json])
def test_nesting_limit_is_exact(put: Writer, dump: Callable[[Any], str]) -> None:
    # document, cases, case, vars: four levels above the value
    suffix = ".json" if dump is to_json else ".yaml"
    at_limit = load_suite(put("ok" + suffix, dump(_with_var(_nested(MAX_DEPTH - 4)))))
    assert at_limit.cases[0].vars["extra"] == _nested(MAX_DEPTH - 4)
    error = _refused(put("deep" + suffix, dump(_with_var(_nested(MAX_DEPTH - 3)))))
    assert "nesting deeper" in error.message


def test_the_validate_command_reports_deep_files_without_a_traceback(put: Writer) -> None:
    paths = [put("deep.yaml", "[" * DEEP + "]" * DEEP), put("deep.json", "[" * DEEP)]
    result = run_cli("validate", *map(str, paths))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    for path in paths:
        assert f"error: {path}:1: nesting deeper than {MAX_DEPTH} levels" in result.stderr


# ---------------------------------------------------------------- YAML tricks

def test_alias_bomb_is_refused(put: Writer) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    error = _refused(put("bomb.yaml", "\n".join(lines) + "\n"))
    assert "more than" in error.message and "values" in error.message and error.line


def test_merge_key_bomb_is_refused(put: Writer) -> None:
    keys = ", ".join(f"k{i}: {i}" for i in range(100))
    lines = [f"m0: &m0 {{{keys}}}"]
    lines += [f"m{i}: &m{i} {{<<: [" + ", ".join([f"*m{i - 1}"] * 100) + "]}"
              for i in range(1, 5)]
    error = _refused(put("merge.yaml", "\n".join(lines) + "\n"))
    assert "more than" in error.message and error.line == 3


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "x: 1\na: &a {b: *a}\n",
                                  "m: &m {<<: *m}\n"])
def test_recursive_alias_is_refused(put: Writer, text: str) -> None:
    error = _refused(put("loop.yaml", text))
    assert "recursive alias" in error.message and error.line is not None


def test_anchors_aliases_and_merge_keys_still_work(put: Writer) -> None:
    text = (TRIAGE.replace("repeats: 2", "repeats: *four")
            .replace("max_tokens: 4", "max_tokens: &four 4")
            .replace('vars: {ticket: "charged twice"}', 'vars: &v {ticket: "charged twice"}')
            .replace('vars: {ticket: "refund please"}', "vars: {<<: *v}"))
    text = text.replace("repeats: *four\n", "") + "repeats: *four\n"
    suite = load_suite(put("anchors.yaml", text))
    assert suite.repeats == 4 and suite.cases[2].vars == {"ticket": "charged twice"}


@pytest.mark.parametrize(("value", "problem"), [
    ("!!python/object/apply:os.system ['true']", "not supported"),
    ("!!binary aGVsbG8=", "not supported"),
    ("!!set {a, b}", "not supported"),
    ("!!timestamp 2024-01-01", "not supported"),
    ("!foo bar", "not supported"),
    ("!!int abc", "cannot read 'abc'"),
    ("!!float y", "cannot read 'y'"),
    ("*nowhere", "undefined alias"),
])
def test_yaml_tags_and_aliases_are_refused_at_their_line(put: Writer, value: str,
                                                         problem: str) -> None:
    text = TRIAGE.replace('vars: {ticket: "error 500"}', f"vars: {{ticket: {value}}}")
    error = _refused(put("tag.yaml", text))
    assert problem in error.message
    assert error.line == TRIAGE.splitlines().index('    vars: {ticket: "error 500"}') + 1


def test_duplicate_anchor_is_refused(put: Writer) -> None:
    error = _refused(put("dup.yaml", "a: &x 1\nb: &x 2\n"))
    assert "duplicate anchor" in error.message and error.line == 2


def test_yaml_1_1_scalars_stay_text(put: Writer) -> None:
    text = TRIAGE.replace('"charged twice"', "2024-01-15").replace('"error 500"', "=")
    suite = load_suite(put("plain.yaml", text))
    assert [c.vars["ticket"] for c in suite.cases[:2]] == ["2024-01-15", "="]


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize(("suffix", "value", "problem"), [
    (".json", Raw("NaN"), "NaN or infinity"),
    (".json", Raw("-Infinity"), "NaN or infinity"),
    (".json", Raw("1e400"), "NaN or infinity"),
    (".json", Raw("9" * 5000), "more than 300 digits"),
    (".yaml", Raw(".inf"), "NaN or infinity"),
    (".yaml", Raw(".nan"), "NaN or infinity"),
    (".yaml", Raw("1.0e+400"), "NaN or infinity"),
    (".yaml", Raw("9" * 5000), "more than 300 digits"),
    (".yaml", Raw("0x" + "f" * 4000), "more than 300 digits"),
])
def test_numbers_out_of_range_are_refused_with_their_key_and_line(
        put: Writer, suffix: str, value: Raw, problem: str) -> None:
    dump = to_json if suffix == ".json" else to_yaml
    error = _refused(put("number" + suffix, dump(_with_var(value))))
    assert problem in error.message and "cases.0.vars.extra" in error.message
    assert error.line is not None and error.line > 1


@pytest.mark.parametrize(("key", "value", "problem"), [
    ("repeats", 10**12, "repeats"),
    ("params", {"temperature": "nan"}, "finite"),
    ("params", {"timeout_s": "inf"}, "finite"),
    ("qualify", {"min_pass_rate": "nan"}, "finite"),
])
def test_validated_fields_refuse_huge_and_non_finite_values(
        put: Writer, key: str, value: Any, problem: str) -> None:
    suite = copy.deepcopy(BASE)
    suite[key] = value
    error = _refused(put("field.yaml", to_yaml(suite)))
    assert problem in error.message and error.line is not None


# ---------------------------------------------------------------- bytes and text

def test_over_the_size_limit_is_refused_before_parsing(put: Writer) -> None:
    error = _refused(put("huge.yaml", b"#" * (MAX_DOCUMENT_BYTES + 1)))
    assert "file too large" in error.message


def test_too_many_values_are_refused(put: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    text = '{"task": "t",\n "many": [' + "1," * MAX_VALUES + "1]}"
    error = _refused(put("many.json", text))
    assert f"more than {MAX_VALUES} values" in error.message and error.line == 2
    # YAML composes in pure Python: the same rule, checked on a smaller limit
    monkeypatch.setattr(yaml_reader, "MAX_VALUES", 1000)
    error = _refused(put("many.yaml", '{"task": "t",\n "many": [' + "1," * 1000 + "1]}"))
    assert "more than 1000 values" in error.message and error.line == 2


def test_a_utf8_byte_order_mark_is_fine(put: Writer) -> None:
    assert load_suite(put("bom.yaml", "\ufeff" + TRIAGE)).task == "mini-triage"
    assert load_suite(put("bom.json", "\ufeff" + to_json(BASE))).task == "mini-triage"


@pytest.mark.parametrize(("content", "problem", "line"), [
    (TRIAGE.encode("utf-16"), "UTF-16", 1),
    (TRIAGE.replace("twice", "tw\xefce").encode("latin-1"), "not UTF-8", 11),
    (TRIAGE.encode().replace(b"twice", b"tw\xed\xa0\x80ce"), "not UTF-8", 11),
    (TRIAGE.encode().replace(b"twice", b"tw\x00ce"), "U+0000", 11),
    (bytes(range(256)) * 4, "byte 0x80", 2),  # after the one newline, 0x0a
])
def test_bad_bytes_are_refused_with_their_line(put: Writer, content: bytes, problem: str,
                                               line: int) -> None:
    error = _refused(put("bytes.yaml", content))
    assert problem in error.message and error.line == line


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
@pytest.mark.parametrize(("text", "problem"), [("a\ud800b", "lone surrogate"),
                                               ("a\x00b", "NUL character")])
def test_escaped_surrogates_and_nul_are_refused(put: Writer, suffix: str, text: str,
                                                problem: str) -> None:
    dump = to_json if suffix == ".json" else to_yaml
    error = _refused(put("text" + suffix, dump(_with_var(text))))
    assert problem in error.message and "cases.0.vars.extra" in error.message


def test_messages_are_one_printable_bounded_line(put: Writer) -> None:
    suite = copy.deepcopy(BASE)
    suite["cases"][0]["\x1b[2J\n" + "k" * 10_000] = 1
    error = _refused(put("odd.yaml", to_yaml(suite)))
    assert "\x1b" not in str(error) and "\n" not in str(error)
    assert len(error.message) <= 500
    suite = copy.deepcopy(BASE)
    suite["task"] = "X" * 100_000
    assert len(_refused(put("long.yaml", to_yaml(suite))).message) <= 500


def test_a_bad_prompt_file_is_a_suite_error(put: Writer) -> None:
    cookbook = put("cook.json", to_json({"task_type": "g", "test_cases": [
        {"id": "T1", "expected_verdict": "PASS", "summary": "s"}]}))
    prompt = put("prompt.txt", b"Summary: \xff{summary}")
    with pytest.raises(SuiteError) as raised:
        load_suite(cookbook, prompt_file=prompt)
    assert raised.value.path == str(prompt) and "not UTF-8" in raised.value.message


def test_a_directory_is_not_a_suite(tmp_path: Path) -> None:
    assert "not a file" in _refused(tmp_path).message


def test_a_name_the_system_refuses_is_reported(tmp_path: Path) -> None:
    path = tmp_path / ("x" * 5000 + ".yaml")
    assert "cannot read the file" in _refused(path).message
    with pytest.raises(CandidateError, match="cannot read the file"):
        load_models_file(path)


# ---------------------------------------------------------------- cookbook

def test_cookbook_errors_name_the_line_in_the_file(put: Writer) -> None:
    text = to_json({"task_type": "grading", "prompt": "P {posting}", "test_cases": [
        {"id": "T1", "expected_verdict": "PASS", "posting": "a"},
        {"id": "T2", "expected_verdict": "MAYBE", "posting": "b"},
        {"id": "T3", "expected_verdict": "FAIL", "posting": math.inf},
    ]})
    error = _refused(put("cook.json", text))
    assert "test_cases.2.posting" in error.message or "cases.2" in error.message
    lines = text.splitlines()
    assert error.line == next(i for i, t in enumerate(lines, 1) if "Infinity" in t)
    fixed = text.replace("Infinity", '"c"')
    error = _refused(put("cook.json", fixed))
    assert "'MAYBE' is not among labels" in error.message
    assert error.line == next(i for i, t in enumerate(fixed.splitlines(), 1) if "MAYBE" in t)


# ---------------------------------------------------------------- models files

def _models_error(path: Path) -> str:
    with pytest.raises(CandidateError) as raised:
        load_models_file(path)
    assert str(raised.value).startswith(f"{path}")
    return str(raised.value)


@pytest.mark.parametrize(("change", "problem"), [
    (lambda m: m["models"][1].update(base_url="http://[::1"), "not a valid URL"),
    (lambda m: m["models"][1].update(base_url="ftp://host/"), "expected http(s)"),
    (lambda m: m["models"][1].update(base_url="http://host:99999/"), "not a valid URL"),
    (lambda m: m["models"][0].update(model="a\x01b.gguf"), "control characters"),
    (lambda m: m["models"][1].update(size_gb="inf"), "finite"),
    (lambda m: m["models"][1].update(size_gb=-1), "finite"),
    (lambda m: m["models"][1]["price"].update(input_per_mtok="inf"), "finite"),
    (lambda m: m["models"][1]["price"].update(input_per_mtok="nan"), "input_per_mtok"),
    (lambda m: m["models"][1].update(options=_nested(MAX_DEPTH)), "nesting deeper"),
    (lambda m: m["models"][0].update(provider=["llamacpp"]), "models[0].provider"),
    (lambda m: m.update(models={"a": 1}), "expected a 'models' list"),
])
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_models_file_problems_name_the_file_and_line(
        put: Writer, suffix: str, change: Callable[[dict[str, Any]], None],
        problem: str) -> None:
    models = copy.deepcopy(MODELS)
    change(models)
    dump = to_json if suffix == ".json" else to_yaml
    message = _models_error(put("models" + suffix, dump(models)))
    assert problem in message
    assert message.split(":")[1].isdigit(), message


@pytest.mark.parametrize("content", ["[" * DEEP, '{"models": ' + "[" * DEEP, "\x00",
                                     "models: !!python/object:os.system x\n"])
def test_the_models_command_exits_2_on_a_hostile_models_file(put: Writer, content: str) -> None:
    path = put("models.json" if content.startswith("{") else "models.yaml", content)
    outcome = try_models_file(path)
    assert not outcome.accepted and not outcome.crash
    result = run_cli("models", "--models", str(path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {path}") and "Traceback" not in result.stderr


def test_valid_models_file_still_loads(put: Writer) -> None:
    for dump, suffix in ((to_yaml, ".yaml"), (to_json, ".json")):
        candidates = load_models_file(put("models" + suffix, dump(MODELS)))
        assert [c.id for c in candidates] == ["local", "remote"]


# ---------------------------------------------------------------- every key, every type

WRONG: list[Any] = [None, True, -1, 2**64, 1.5, math.nan, math.inf, "", "x{", [], {},
                    [[1]], _nested(MAX_DEPTH), Raw("!!binary aGk="), Raw("1e400"),
                    Raw("9" * 5000), "\ud800", "\x00", "A" * 100_000]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    document = copy.deepcopy(document)
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_wrong_value_at_any_key_of_a_suite_is_a_suite_error(put: Writer,
                                                              suffix: str) -> None:
    dump = to_json if suffix == ".json" else to_yaml
    refused = 0
    for path in _paths(BASE):
        for value in WRONG:
            outcome = try_suite_file(put("suite" + suffix, dump(_replaced(BASE, path, value))))
            assert not outcome.crash, f"{path} = {value!r:.60}\n{outcome.crash}"
            refused += not outcome.accepted
    assert refused > len(_paths(BASE)) * len(WRONG) // 2


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_wrong_value_at_any_key_of_a_models_file_is_a_candidate_error(
        put: Writer, suffix: str) -> None:
    dump = to_json if suffix == ".json" else to_yaml
    for path in _paths(MODELS):
        for value in WRONG:
            outcome = try_models_file(put("models" + suffix,
                                          dump(_replaced(MODELS, path, value))))
            assert not outcome.crash, f"{path} = {value!r:.60}\n{outcome.crash}"


@pytest.mark.parametrize("images", [None, 5, "x.png", [None], [5], [{"a": 1}], ["/dev/zero"],
                                    ["/"], ["missing.png"], ["data:,x"], [[PNG_DATA_URI]],
                                    ["data:image/png;base64,!!"], ["x" * 5000 + ".png"],
                                    [PNG_DATA_URI] * 3])
def test_odd_images_are_suite_errors_naming_the_case_line(put: Writer, images: Any) -> None:
    suite = copy.deepcopy(BASE)
    suite["cases"][1]["images"] = images
    text = to_yaml(suite)
    outcome = try_suite_file(put("images.yaml", text))
    assert not outcome.crash, outcome.crash
    if images == [PNG_DATA_URI] * 3:
        assert outcome.accepted, outcome.message
    else:
        assert not outcome.accepted and outcome.line is not None, outcome.message
        images_line = next(n for n, t in enumerate(text.splitlines(), 1) if "images:" in t)
        assert outcome.line == images_line, outcome.message
