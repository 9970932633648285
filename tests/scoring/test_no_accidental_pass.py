"""No answer passes by accident: a property test over every check kind and every example.

For every bundled example suite and for generated suites of every built-in
check kind:

- the gold answer, rendered the way a model would answer (decorated, fenced,
  re-cased where the check ignores case, numbers within tolerance, keys in
  any order, extra keys), is judged correct;
- an answer that differs from the gold (another case's answer, an empty
  object, a wrong-typed value, valid JSON with no field, a field missing, an
  empty answer, ...) is never judged correct.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from champion import load_suite
from champion._scoring import Scorer, check_kind, check_kind_names
from champion._scoring.values import is_number
from champion._suite import Case, Suite, validate_suite

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOT_SUITES = {"models.yaml", "workflow.yaml", "workflow-items.yaml"}
# A judged suite's verdicts come from a model (tests/judge), not from comparing answers.
EXAMPLE_SUITES = {name: suite for name, suite in (
    (path.name, load_suite(path)) for path in sorted(EXAMPLES.iterdir())
    if path.suffix in (".yaml", ".json") and path.name not in NOT_SUITES)
    if not check_kind(suite.check_spec.type).asks_model}
SCORERS = {name: Scorer(suite) for name, suite in EXAMPLE_SUITES.items()}

property_test = settings(max_examples=30, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.too_slow])


def equals_expected(output: str, case: Case) -> bool:
    """The ``python`` check of the generated suites."""
    return bool(output.strip() == case.expected)


@dataclass(frozen=True)
class Drawn:
    """A suite, its scorer and one of its cases."""

    suite: Suite
    scorer: Scorer
    case: Case

    @property
    def options(self) -> Any:
        return self.suite.check_spec.options

    def others(self) -> list[Case]:
        return [case for case in self.suite.cases if case.id != self.case.id]


# ---------------------------------------------------------------- generated suites

_WORDS = ["amber", "birch", "cobalt", "dune", "ember", "fjord", "granite", "harbor", "indigo",
          "juniper", "krypton", "lagoon", "meadow", "nectar", "onyx", "prairie", "quartz"]
_FIELDS = ["client", "amount", "email", "date", "team", "city", "total", "note"]
_REGEXES = [r"\b\d{4}-\d{2}-\d{2}\b", r"order #\d{3,6}", r"^(?:yes|no)\.?$", r"[A-Z]{3}-\d{2}",
            r"\bcolou?r\b"]


def _head(kind: str, check: dict[str, Any], output: dict[str, Any] | None = None
          ) -> dict[str, Any]:
    return {"task": f"gen-{kind}", "prompt": {"user": "Q {q}"},
            "output": output or {"kind": "text"}, "check": check}


def _cases(golds: list[Any]) -> list[dict[str, Any]]:
    return [{"id": f"C{index}", "vars": {"q": index}, "expected": gold}
            for index, gold in enumerate(golds)]


_distinct_words = st.lists(st.sampled_from(_WORDS), min_size=2, max_size=4, unique=True)
_gold_texts = st.lists(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3)
                       .map(" ".join), min_size=2, max_size=4, unique=True)


@st.composite
def _label_suite(draw: st.DrawFn) -> dict[str, Any]:
    labels = [word.upper() for word in draw(_distinct_words)]
    suite = _head("label", {"type": "label"}, {"kind": "label", "labels": labels})
    return suite | {"cases": _cases(draw(st.lists(st.sampled_from(labels), min_size=2,
                                                      max_size=4)))}


@st.composite
def _exact_suite(draw: st.DrawFn) -> dict[str, Any]:
    check = {"type": "exact", "ignore_case": draw(st.booleans())}
    if draw(st.booleans()):
        words = draw(_distinct_words)
        golds = [{"answer": word, "rank": index, "ok": index % 2 == 0}
                 for index, word in enumerate(words)]
        return _head("exact", check, {"kind": "json"}) | {"cases": _cases(golds)}
    return _head("exact", check) | {"cases": _cases(draw(_gold_texts))}


@st.composite
def _contains_suite(draw: st.DrawFn) -> dict[str, Any]:
    check = {"type": "contains", "ignore_case": draw(st.booleans())}
    return _head("contains", check) | {"cases": _cases(draw(_gold_texts))}


@st.composite
def _regex_suite(draw: st.DrawFn) -> dict[str, Any]:
    patterns = draw(st.lists(st.sampled_from(_REGEXES), min_size=2, max_size=4, unique=True))
    check = {"type": "regex", "ignore_case": draw(st.booleans())}
    return _head("regex", check) | {"cases": _cases(patterns)}


@st.composite
def _json_fields_suite(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=4, unique=True))
    rules = {name: draw(st.sampled_from(["exact", "ci", "contains", "numeric", None]))
             for name in names}
    tolerance = draw(st.sampled_from([0, 0.5, 1, 2]))
    fields = {name: ({"numeric": tolerance} if rule == "numeric" else rule)
              for name, rule in rules.items() if rule is not None}
    ignored = draw(st.lists(st.sampled_from(["trace", "comment"]), unique=True))
    golds = []
    for index in range(draw(st.integers(2, 4))):
        gold: dict[str, Any] = {}
        for offset, (name, rule) in enumerate(rules.items()):
            if rule == "numeric":
                gold[name] = draw(st.sampled_from([10, 250, 48000, 7.5])) + 100 * index
            elif rule is None and draw(st.booleans()):
                gold[name] = draw(st.sampled_from([index, index % 2 == 0, [index], None]))
            else:
                gold[name] = f"{_WORDS[(3 * index + offset) % len(_WORDS)]} {index}"
        gold.update({name: draw(st.sampled_from(["x", 1, None])) for name in ignored})
        golds.append(gold)
    check: dict[str, Any] = {"type": "json_fields", "fields": fields}
    if ignored:
        check["ignore"] = ignored
    return _head("json_fields", check, {"kind": "json"}) | {"cases": _cases(golds)}


@st.composite
def _json_schema_suite(draw: st.DrawFn) -> dict[str, Any]:
    words = draw(_distinct_words)
    schema = {"type": "object", "required": ["team", "seats"],
              "properties": {"team": {"enum": words}, "seats": {"type": "integer"}}}
    golds = [{"team": word, "seats": index} for index, word in enumerate(words)]
    check = {"type": "json_schema", "schema": schema}
    return _head("json_schema", check, {"kind": "json"}) | {"cases": _cases(golds)}


@st.composite
def _python_suite(draw: st.DrawFn) -> dict[str, Any]:
    check = {"type": "python", "function": f"{__name__}:equals_expected"}
    return _head("python", check) | {"cases": _cases(draw(_gold_texts))}


GENERATED = {"label": _label_suite(), "exact": _exact_suite(), "contains": _contains_suite(),
             "regex": _regex_suite(), "json_fields": _json_fields_suite(),
             "json_schema": _json_schema_suite(), "python": _python_suite()}


def _built(data: dict[str, Any]) -> tuple[Suite, Scorer]:
    suite = Suite.model_validate(data)
    validate_suite(suite)  # the generated suite obeys the rules a suite file does
    return suite, Scorer(suite)


#: What the properties run over: each example suite, and generated suites of each check kind.
TARGETS = [f"example:{name}" for name in EXAMPLE_SUITES] + [f"{kind} check" for kind in GENERATED]


@st.composite
def drawn(draw: st.DrawFn, target: str) -> Drawn:
    """A case of the example suite or of a generated suite that ``target`` names."""
    if target.startswith("example:"):
        name = target.removeprefix("example:")
        suite, scorer = EXAMPLE_SUITES[name], SCORERS[name]
    else:
        suite, scorer = _built(draw(GENERATED[target.removesuffix(" check")]))
    return Drawn(suite, scorer, draw(st.sampled_from(suite.cases)))


# ---------------------------------------------------------------- gold answers, rendered

def _json_text(draw: st.DrawFn, value: dict[str, Any]) -> str:
    items = draw(st.permutations(list(value.items())))
    body = json.dumps(dict(items), indent=draw(st.sampled_from([None, 2])),
                      ensure_ascii=draw(st.booleans()))
    wrapper = draw(st.sampled_from(["{}", "```json\n{}\n```", "Here it is: {} Hope it helps."]))
    return wrapper.replace("{}", body, 1)


def _recased(draw: st.DrawFn, text: str) -> str:
    return draw(st.sampled_from([text, text.upper(), text.lower(), text.title()]))


def _padded(draw: st.DrawFn, text: str) -> str:
    return draw(st.sampled_from(["", " ", "\n"])) + text + draw(st.sampled_from(["", "\n", "  "]))


def _label_answer(draw: st.DrawFn, it: Drawn) -> str:
    label = next(label for label in it.suite.output.labels
                 if label.casefold() == str(it.case.expected).casefold())
    shape = draw(st.sampled_from(["{}", "[{}]", "Answer: {}", "**{}**.", "{}\n\nBecause ..."]))
    return shape.replace("{}", _recased(draw, label))


def _gold_exact(draw: st.DrawFn, it: Drawn) -> str:
    if it.suite.output.kind == "label":
        return _label_answer(draw, it)
    if it.suite.output.kind == "json":
        return _json_text(draw, it.case.expected)
    text = str(it.case.expected)
    return _padded(draw, _recased(draw, text) if it.options.ignore_case else text)


def _gold_contains(draw: st.DrawFn, it: Drawn) -> str:
    text = str(it.case.expected)
    text = _recased(draw, text) if it.options.ignore_case else text
    return draw(st.sampled_from(["", "I think: ", "The answer is "])) + text + \
        draw(st.sampled_from(["", ".", ", surely."]))


def _gold_regex(draw: st.DrawFn, it: Drawn) -> str:
    return draw(st.from_regex(str(it.case.expected)))


def _gold_json_fields(draw: st.DrawFn, it: Drawn) -> str:
    rules, answer = it.options.fields, {}
    for name, gold in it.case.expected.items():
        rule = rules.get(name, "exact")
        if name in it.options.ignore:
            if draw(st.booleans()):
                answer[name] = draw(st.sampled_from(["anything", 0, None, [1]]))
            continue
        if isinstance(rule, dict) and is_number(gold):
            step = rule["numeric"] * draw(st.sampled_from([-1, -0.5, -0.25, 0, 0.25, 0.5, 1]))
            answer[name] = gold + step
        elif rule == "ci" and isinstance(gold, str):
            answer[name] = _padded(draw, _recased(draw, gold))
        elif rule == "contains" and isinstance(gold, str):
            answer[name] = "see " + _recased(draw, gold) + " below"
        elif isinstance(gold, str):
            answer[name] = _padded(draw, gold)
        else:
            answer[name] = gold
    if draw(st.booleans()):
        answer["confidence"] = "high"  # a field nobody expects is no error
    return _json_text(draw, answer)


def _gold_json_schema(draw: st.DrawFn, it: Drawn) -> str:
    return _json_text(draw, it.case.expected)


def _gold_python(draw: st.DrawFn, it: Drawn) -> str:
    return _padded(draw, str(it.case.expected))


GOLD = {"label": lambda draw, it: _label_answer(draw, it), "exact": _gold_exact,
        "contains": _gold_contains, "regex": _gold_regex, "json_fields": _gold_json_fields,
        "json_schema": _gold_json_schema, "python": _gold_python}


# ---------------------------------------------------------------- answers that differ

_NO_ANSWER = ["", "   ", "{}", "[]", "null", "I cannot tell.", '{"answer": null}']


def _wrong_typed(value: Any) -> list[Any]:
    """Values of other JSON types, including ones that print like ``value``."""
    if isinstance(value, bool):
        return [int(value), str(value).lower(), None]
    if is_number(value):
        return [str(value), value != 0, None, [value]]
    if isinstance(value, str):
        return [len(value), True, None, [value], {"value": value}]
    return ["null" if value is None else json.dumps(value), 0, False, {}]


def _clearly_differs(rule: Any, gold: Any, other: Any) -> bool:
    """``other`` is not ``gold`` under ``rule`` by a wide margin (the test's own oracle)."""
    if isinstance(rule, dict) and is_number(gold) and is_number(other):
        return bool(abs(other - gold) > rule["numeric"])
    if isinstance(gold, str) and isinstance(other, str):
        a, b = gold.strip().casefold(), other.strip().casefold()
        return a != b and a not in b and b not in a
    return json.dumps(gold) != json.dumps(other)


def _wrong_label(draw: st.DrawFn, it: Drawn) -> list[str]:
    gold = str(it.case.expected)
    shape = draw(st.sampled_from(["{}", "[{}]", "Answer: {}"]))
    others = [shape.replace("{}", label) for label in it.suite.output.labels
              if label.casefold() != gold.casefold()]
    return [*others, f"{gold}ED", f"un{gold}", f"{gold}-ish", *_NO_ANSWER]


def _wrong_exact(draw: st.DrawFn, it: Drawn) -> list[str]:
    if it.suite.output.kind == "label":
        return _wrong_label(draw, it)
    gold = it.case.expected
    if isinstance(gold, dict):
        variants = [case.expected for case in it.others()
                    if _clearly_differs("exact", gold, case.expected)]
        for key in gold:
            variants += [{**gold, key: wrong} for wrong in _wrong_typed(gold[key])]
            variants.append({name: value for name, value in gold.items() if name != key})
        variants += [{**gold, "extra": 1}, {}]
        return [_json_text(draw, variant) for variant in variants] + ["", "[]"]
    text = str(gold)
    fold = str.casefold if it.options.ignore_case else str
    answers = [str(case.expected) for case in it.others()]
    answers += [text + " and more", "not " + text, text[:-1], json.dumps(text), text.swapcase(),
                "{}", ""]
    return [answer for answer in answers if fold(answer.strip()) != fold(text.strip())]


def _wrong_contains(draw: st.DrawFn, it: Drawn) -> list[str]:
    gold = str(it.case.expected)
    fold = str.casefold if it.options.ignore_case else str
    answers = [str(case.expected) for case in it.others()]
    answers += [gold[1:], gold[:-1], gold.upper(), gold.title(), *_NO_ANSWER]
    return [answer for answer in answers if fold(gold) not in fold(answer)]


def _wrong_regex(draw: st.DrawFn, it: Drawn) -> list[str]:
    flags = re.IGNORECASE if it.options.ignore_case else 0
    match = draw(st.from_regex(str(it.case.expected)))
    answers = [draw(st.from_regex(str(case.expected))) for case in it.others()]
    answers += [match.swapcase(), match.upper(), match.lower(), *_NO_ANSWER]
    return [answer for answer in answers
            if re.search(str(it.case.expected), answer, flags) is None]


def _wrong_json_fields(draw: st.DrawFn, it: Drawn) -> list[str]:
    gold, rules = it.case.expected, it.options.fields
    variants: list[dict[str, Any]] = [{}, {"answer": "see above"}, {"unrelated": 1}]
    for key in (name for name in gold if name not in it.options.ignore):
        rule = rules.get(key, "exact")
        variants.append({name: gold[name] for name in gold if name != key})
        variants += [{**gold, key: wrong} for wrong in _wrong_typed(gold[key])
                     if _clearly_differs(rule, gold[key], wrong)]
        for case in it.others():
            other = case.expected
            if key in other and _clearly_differs(rule, gold[key], other[key]):
                variants += [other, {**gold, key: other[key]}]
    return [_json_text(draw, variant) for variant in variants] + ["No JSON here.", ""]


def _wrong_json_schema(draw: st.DrawFn, it: Drawn) -> list[str]:
    gold = it.case.expected
    variants = [{}, {"team": gold["team"]}, {"seats": gold["seats"]},
                {**gold, "seats": str(gold["seats"])}, {**gold, "team": gold["team"].upper()},
                {**gold, "seats": True}, {**gold, "seats": None}]
    return [_json_text(draw, variant) for variant in variants] + ["", "[]"]


def _wrong_python(draw: st.DrawFn, it: Drawn) -> list[str]:
    gold = str(it.case.expected)
    answers = [str(case.expected) for case in it.others()]
    return [*answers, gold + "!", gold.upper(), "", "{}"] if gold.upper() != gold else \
        [*answers, gold + "!", "", "{}"]


WRONG = {"label": _wrong_label, "exact": _wrong_exact, "contains": _wrong_contains,
         "regex": _wrong_regex, "json_fields": _wrong_json_fields,
         "json_schema": _wrong_json_schema, "python": _wrong_python}


# ---------------------------------------------------------------- the properties

def test_every_built_in_check_kind_is_covered() -> None:
    built_in = {name for name in check_kind_names()
                if type(check_kind(name)).__module__.startswith("champion._scoring.kinds")
                and not check_kind(name).asks_model}
    assert built_in == set(GOLD) == set(WRONG) == set(GENERATED)
    assert {suite.check_spec.type for suite in EXAMPLE_SUITES.values()} <= built_in


@pytest.mark.parametrize("target", TARGETS)
@property_test
@given(data=st.data())
def test_the_gold_answer_is_judged_correct(target: str, data: st.DataObject) -> None:
    it = data.draw(drawn(target))
    answer = data.draw(st.composite(lambda draw: GOLD[it.suite.check_spec.type](draw, it))())
    verdict = it.scorer.score(answer, it.case)
    assert verdict.correct, (it.suite.task, it.case.id, answer, verdict)


@pytest.mark.parametrize("target", TARGETS)
@property_test
@given(data=st.data())
def test_an_answer_that_differs_from_the_gold_is_never_correct(target: str,
                                                                data: st.DataObject) -> None:
    it = data.draw(drawn(target))
    answers = data.draw(st.composite(lambda draw: WRONG[it.suite.check_spec.type](draw, it))())
    assert answers
    for answer in answers:
        verdict = it.scorer.score(answer, it.case)
        assert not verdict.correct, (it.suite.task, it.case.id, it.case.expected, answer, verdict)
