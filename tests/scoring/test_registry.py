"""The registry of check kinds and output kinds: in process, through entry points, in docs."""

from __future__ import annotations

import re
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from champion import SuiteError, load_suite
from champion._scoring import (
    CheckKind,
    CheckOptions,
    CheckResult,
    OutputFormat,
    OutputKind,
    Parsed,
    ParsedAnswer,
    Parser,
    Scorer,
    check_kind,
    check_kind_names,
    output_kind_names,
    register_check,
    register_output,
    unregister_check,
    unregister_output,
)
from champion._scoring.registry import forget_entry_points
from champion._suite import Case, OutputSpec, Suite
from champion._suite.document import SourceDocument

Write = Callable[[str, str], Path]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_built_in_kinds_are_registered() -> None:
    assert set(check_kind_names()) >= {"label", "exact", "contains", "regex", "json_fields",
                                       "json_schema", "python"}
    assert set(output_kind_names()) >= {"label", "json", "text"}


def test_the_router_and_the_scorer_share_one_output_format() -> None:
    from champion._registry import routes

    assert routes.OutputFormat is OutputFormat


# ---------------------------------------------------------------- a check registered in process

class StartsOptions(CheckOptions):
    words: int = 1


class StartsWith(CheckKind[StartsOptions]):
    """Correct when the answer starts with the expected first ``words`` words."""

    name = "starts_with"
    Options = StartsOptions

    def validate(self, suite: Suite, options: StartsOptions, source: SourceDocument) -> None:
        for index, case in enumerate(suite.cases):
            if len(str(case.expected).split()) < options.words:
                raise source.error(("cases", index, "expected"),
                                   f"case {case.id!r}: fewer than {options.words} words")

    def build(self, suite: Suite, options: StartsOptions) -> Callable[[ParsedAnswer, Case],
                                                                      CheckResult]:
        def check(answer: ParsedAnswer, case: Case) -> CheckResult:
            want = str(case.expected).split()[:options.words]
            return CheckResult(answer.text.split()[:options.words] == want, "starts otherwise")

        return check


@pytest.fixture
def starts_with() -> Iterator[None]:
    register_check(StartsWith)
    yield
    unregister_check("starts_with")


def _suite(write: Write, check: str, cases: str = "  - {id: A, expected: Hello there}\n",
           output: str = "") -> Path:
    return write("s.yaml", f"task: t\nprompt: {{user: 'Say hi'}}\n{output}check: {check}\n"
                 f"cases:\n{cases}")


def test_a_registered_check_loads_validates_and_scores(write: Write, starts_with: None) -> None:
    suite = load_suite(_suite(write, "{type: starts_with, words: 2}"))
    assert suite.check_spec.options == StartsOptions(words=2)
    scorer = Scorer(suite)
    assert scorer.score("Hello there friend", suite.cases[0]).correct
    verdict = scorer.score("Hello you", suite.cases[0])
    assert not verdict.correct and verdict.reason == "starts otherwise"
    # Its own options, typed, with a did-you-mean; its own rules, at their line.
    with pytest.raises(SuiteError, match=r"unknown key 'word' for check type starts_with;"
                                         r" did you mean 'words'\?") as raised:
        load_suite(_suite(write, "\n  type: starts_with\n  word: 2"))
    assert raised.value.line == 5
    with pytest.raises(SuiteError, match=r"check\.words: Input should be a valid integer"):
        load_suite(_suite(write, "{type: starts_with, words: many}"))
    with pytest.raises(SuiteError, match="case 'A': fewer than 3 words") as raised:
        load_suite(_suite(write, "{type: starts_with, words: 3}"))
    assert raised.value.line == 5
    # It compares with expected, so every case needs one.
    with pytest.raises(SuiteError, match="case 'B' has no expected answer, and check type"
                                         " starts_with"):
        load_suite(_suite(write, "{type: starts_with}",
                          "  - {id: A, expected: Hi}\n  - {id: B}\n"))


def test_a_registered_check_dumps_flat_and_loads_back(write: Write, starts_with: None) -> None:
    suite = load_suite(_suite(write, "{type: starts_with, words: 2}"))
    dumped = suite.model_dump(mode="json", by_alias=True)
    assert dumped["check"] == {"type": "starts_with", "fields": {}, "function": None,
                               "ignore_case": False, "schema": None, "words": 2}
    assert Suite.model_validate({**dumped, "source": suite.source}) == suite


def test_names_are_unique_unless_replaced(starts_with: None) -> None:
    class Other(StartsWith):
        pass

    with pytest.raises(ValueError, match="already registered"):
        register_check(Other)
    register_check(StartsWith)  # the same kind again is fine
    try:
        assert isinstance(register_check(Other, replace=True), Other)
    finally:
        register_check(StartsWith, replace=True)


def test_an_unknown_check_type_lists_what_is_known(write: Write) -> None:
    with pytest.raises(SuiteError) as raised:
        load_suite(_suite(write, "{type: starts_wit}"))
    assert "unknown check type 'starts_wit'" in raised.value.message
    assert "exact, json_fields" in raised.value.message  # the known names follow


# ---------------------------------------------------------------- an output kind

class FirstNumber(OutputKind):
    """The first number in the answer."""

    name = "number"

    def parser(self, output: OutputSpec) -> Parser:
        class _Parser:
            def parse(self, text: str) -> Parsed:
                found = re.search(r"-?\d+(?:\.\d+)?", text)
                return Parsed(float(found.group()), True) if found else \
                    Parsed(None, False, "no number")

        return _Parser()

    def gold_problem(self, output: OutputSpec, expected: Any) -> str | None:
        return None if isinstance(expected, int | float) else "expected is not a number"


def test_a_registered_output_kind_parses_for_scorer_and_router(write: Write) -> None:
    register_output(FirstNumber)
    try:
        path = _suite(write, "{type: exact}", "  - {id: A, expected: 42}\n",
                      output="output: {kind: number}\n")
        suite = load_suite(path)
        scorer = Scorer(suite)
        assert scorer.score("The answer is 42.", suite.cases[0]).correct
        assert not scorer.score("The answer is 41.", suite.cases[0]).correct
        assert not scorer.score("No idea", suite.cases[0]).parsed_ok
        assert OutputFormat(suite).parse("about 3.5 km").value == 3.5
        with pytest.raises(SuiteError, match="case 'A': expected is not a number"):
            load_suite(_suite(write, "{type: exact}", "  - {id: A, expected: many}\n",
                              output="output: {kind: number}\n"))
    finally:
        unregister_output("number")


# ---------------------------------------------------------------- entry points

_PLUGIN = '''
from champion._scoring import CheckKind, CheckOptions, CheckResult


class Shouting(CheckKind[CheckOptions]):
    name = "shouting"
    needs_expected = False

    def build(self, suite, options):
        return lambda answer, case: CheckResult(answer.text.isupper(), "not shouting")
'''


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A distribution on sys.path declaring entry points, as ``pip install`` leaves one."""
    site = tmp_path / "site"
    info = site / "champion_shouting-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: champion-shouting\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[champion.checks]\nshouting = champion_shouting:Shouting\n"
        "broken = champion_shouting_missing:Nothing\n"
        "misnamed = champion_shouting:Shouting\n")
    (site / "champion_shouting.py").write_text(_PLUGIN)
    monkeypatch.syspath_prepend(str(site))
    forget_entry_points()
    yield site
    for name in ("shouting", "misnamed", "broken"):
        unregister_check(name)
    sys.modules.pop("champion_shouting", None)
    forget_entry_points()


def test_a_check_from_an_entry_point_loads_when_a_suite_names_it(
        write: Write, installed_plugin: Path) -> None:
    assert {"shouting", "broken"} <= set(check_kind_names())
    suite = load_suite(_suite(write, "{type: shouting}", "  - {id: A}\n"))
    scorer = Scorer(suite)
    assert scorer.score("HELLO", suite.cases[0]).correct
    assert not scorer.score("hello", suite.cases[0]).correct
    assert type(check_kind("shouting")).__module__ == "champion_shouting"


def test_an_entry_point_that_fails_is_a_suite_error_at_its_line(
        write: Write, installed_plugin: Path) -> None:
    with pytest.raises(SuiteError, match=r"check type 'broken': entry point"
                                         r" 'champion_shouting_missing:Nothing' did not load:"
                                         r" ModuleNotFoundError") as raised:
        load_suite(_suite(write, "\n  type: broken", "  - {id: A, expected: x}\n"))
    assert raised.value.line == 4
    with pytest.raises(SuiteError, match="gives a kind named 'shouting'"):
        load_suite(_suite(write, "{type: misnamed}", "  - {id: A, expected: x}\n"))


# ---------------------------------------------------------------- docs/checks.md

def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOCS.read_text(), re.M | re.S)


def test_every_suite_in_the_checks_page_loads(write: Write) -> None:
    module = types.ModuleType("docs_custom_check")
    [custom] = [block for block in _blocks("python") if "register_check" in block]
    exec(compile(custom, str(DOCS), "exec"), module.__dict__)  # registers max_words
    try:
        suites = [block for block in _blocks("yaml") if block.startswith("task:")]
        assert len(suites) == 9
        for number, text in enumerate(suites):
            assert load_suite(write(f"doc-{number}.yaml", text)).cases
    finally:
        unregister_check("max_words")


def test_the_custom_check_of_the_checks_page_scores(write: Write) -> None:
    module = types.ModuleType("docs_custom_check")
    [custom] = [block for block in _blocks("python") if "register_check" in block]
    exec(compile(custom, str(DOCS), "exec"), module.__dict__)
    try:
        [text] = [block for block in _blocks("yaml") if "type: max_words" in block]
        suite = load_suite(write("summary.yaml", text))
        scorer, case = Scorer(suite), suite.cases[0]
        assert scorer.score("Lumen Health hires a senior data engineer in Lisbon.", case).correct
        long = scorer.score("Lumen Health " + "is hiring and " * 10, case)
        assert not long.correct and long.reason == "32 words, over 20"
        assert not scorer.score("A hospital is hiring.", case).correct
        with pytest.raises(SuiteError, match="did you mean 'max_words'"):
            load_suite(write("typo.yaml", text.replace("max_words: 20", "max_word: 20")))
    finally:
        unregister_check("max_words")


def test_the_checks_page_shows_messages_validate_prints(write: Write) -> None:
    """The error lines quoted in the page are what validate says about such files."""
    quoted = re.findall(r"^error: \S+?:\d+: (.*)$", DOCS.read_text(), re.M)
    assert len(quoted) == 3
    crm = (Path(__file__).resolve().parents[2] / "examples" / "crm-extraction.yaml").read_text()
    typo = write("crm.yaml", crm.replace("    email: ci", "    emial: ci"))
    invoices = write("invoices.yaml", textwrap.dedent("""\
        task: invoices
        prompt: {user: 'Text: {text}'}
        output: {kind: json}
        check: {type: json_fields, fields: {invoice: exact}}
        cases:
          - {id: INV_1, vars: {text: a}, expected: {invoice: 88310}}
          - id: INV_2
            vars: {text: b}
            expected: {invoce: 88311}
        """))
    triage = write("triage.yaml", "task: t\nprompt: {user: x}\nchekc: {type: exact}\n"
                   "cases: [{id: a, expected: b}]\n")
    for path, message in zip((typo, invoices, triage), quoted, strict=True):
        with pytest.raises(SuiteError) as raised:
            load_suite(path)
        assert raised.value.message == message
