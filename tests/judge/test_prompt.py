"""The judge's prompt and how its verdict is read."""

from __future__ import annotations

import pytest

from champion._judge.prompt import DEFAULT_TEMPLATE, JudgePrompt, parse_verdict
from champion._judge.spec import JudgeOptions, JudgeSpec, JudgeTemplateSpec

OPTIONS = JudgeOptions(rubric="PASS when it names the capital.",
                       judge=JudgeSpec(model="ollama/judge"))


@pytest.mark.parametrize(("text", "verdict", "reason"), [
    ("PASS", "PASS", None),
    ("[FAIL] It invents a salary.", "FAIL", "It invents a salary."),
    ("Verdict: pass. It names the company.", "PASS", "It names the company."),
    ("**FAIL**\nThe role is wrong.", "FAIL", "The role is wrong."),
    ("FAIL: it does not PASS the rubric", "FAIL", "it does not PASS the rubric"),
])
def test_the_first_verdict_word_decides_and_the_rest_is_the_reason(
        text: str, verdict: str, reason: str | None) -> None:
    parsed = parse_verdict(text)
    assert (parsed.verdict, parsed.reason) == (verdict, reason)


@pytest.mark.parametrize("text", ["", "I cannot tell.", "bypass; failure", "PASS or FAIL",
                                  "PASS/FAIL: pass", "[PASS | FAIL]",
                                  "PASS, FAIL, then why: it is not Tokyo"])
def test_no_verdict_is_no_verdict_never_a_fail(text: str) -> None:
    parsed = parse_verdict(text)
    assert parsed.verdict is None and parsed.reason


def test_the_default_prompt_carries_rubric_inputs_reference_and_answer() -> None:
    system, user = JudgePrompt(OPTIONS).render({"country": "France", "n": 3}, "Paris",
                                               "Lyon")
    assert system == DEFAULT_TEMPLATE.system
    assert "PASS when it names the capital." in user
    assert "country: France\nn: 3" in user
    assert "Reference answer:\nParis" in user and user.rstrip().endswith("then why:")
    assert "Answer to grade:\nLyon" in user
    _system, without = JudgePrompt(OPTIONS).render({"country": "France"}, None, "Lyon")
    assert "Reference" not in without


def test_a_template_sees_the_case_vars_and_changes_the_fingerprint() -> None:
    custom = OPTIONS.model_copy(update={"template": JudgeTemplateSpec(
        system="{rubric}", user="Country {country}. Answer {answer}. {{PASS}}?")})
    prompt = JudgePrompt(custom)
    assert prompt.render({"country": "Peru"}, None, "Lima") == (
        "PASS when it names the capital.", "Country Peru. Answer Lima. {PASS}?")
    assert prompt.var_placeholders() == {"country"}
    fingerprints = {JudgePrompt(o).fingerprint for o in (
        OPTIONS, custom, OPTIONS.model_copy(update={"rubric": "other"}),
        OPTIONS.model_copy(update={"max_tokens": 8}))}
    assert len(fingerprints) == 4
    other_judge = OPTIONS.model_copy(update={"judge": JudgeSpec(model="ollama/other")})
    assert JudgePrompt(other_judge).fingerprint == JudgePrompt(OPTIONS).fingerprint
