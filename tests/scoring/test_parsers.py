"""Output parsers, with property tests: they find what is there and never raise."""

from __future__ import annotations

import json

from hypothesis import assume, given
from hypothesis import strategies as st

from champion._scoring import JsonParser, LabelParser

LABELS = ["billing", "technical", "account", "sales"]
parser = LabelParser(LABELS)
words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


def test_label_examples() -> None:
    assert parser.parse("billing").value == "billing"
    assert parser.parse("  [BILLING]  ").value == "billing"
    assert parser.parse("The team is **Technical**.").value == "technical"
    assert parser.parse("account, or maybe sales").value == "account"  # first wins
    assert not parser.parse("accounting").ok  # whole words only
    assert not parser.parse("").ok
    assert parser.parse("nothing here").error == "unparseable"


def test_pass_fail_labels() -> None:
    grading = LabelParser(["PASS", "FAIL"])
    assert grading.parse("Verdict: [FAIL] because...").value == "FAIL"
    assert grading.parse("pass").value == "PASS"
    assert not grading.parse("PASSED").ok


separators = st.sampled_from([" ", "\n", ".", ":", "[", "(", "*", '"'])


@given(prefix=words, before=separators, label=st.sampled_from(LABELS), after=separators,
       suffix=words, upper=st.booleans())
def test_label_is_found_after_any_prefix_without_labels(
        prefix: str, before: str, label: str, after: str, suffix: str, upper: bool) -> None:
    assume(not parser.parse(prefix + before).ok)
    text = prefix + before + (label.upper() if upper else label) + after + suffix
    assert parser.parse(text).value == label


@given(st.text())
def test_label_parser_never_raises(text: str) -> None:
    result = parser.parse(text)
    assert result.ok is (result.value in LABELS)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                   max_size=3),
    max_leaves=8,
)
objects = st.dictionaries(st.text(max_size=8), json_values, max_size=4)


@given(obj=objects, prose=st.text(alphabet="abc .:\n", max_size=30),
       fenced=st.booleans())
def test_json_object_is_found_in_prose_and_fences(obj: dict[str, object], prose: str,
                                                  fenced: bool) -> None:
    body = json.dumps(obj, indent=2 if fenced else None)
    text = f"{prose}\n```json\n{body}\n```\nThanks" if fenced else f"{prose} {body} done"
    result = JsonParser().parse(text)
    assert result.ok and result.value == obj


@given(st.text())
def test_json_parser_never_raises(text: str) -> None:
    result = JsonParser().parse(text)
    assert result.ok is isinstance(result.value, dict)


def test_json_skips_broken_braces_and_non_objects() -> None:
    result = JsonParser().parse('Here {not json} and [1, 2] then {"a": 1}')
    assert result.value == {"a": 1}
    assert not JsonParser().parse("[1, 2, 3]").ok


def test_json_parser_survives_answers_python_cannot_decode() -> None:
    """An integer past Python's digit limit and nesting past the recursion limit are
    not JSON the parser can use: the answer is unparseable, never a crash."""
    huge = '{"order_number": ' + "7" * 5000 + "}"
    assert not JsonParser().parse(huge).ok
    assert JsonParser().parse(huge + ' then {"order_number": 7}').value == {"order_number": 7}
    deep = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    result = JsonParser().parse(deep)
    assert not result.ok and result.error == "JSON nested too deeply"
