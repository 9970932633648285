"""Prompt templates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from champion._suite.template import Template, TemplateSyntaxError


def test_placeholders_and_literal_braces() -> None:
    template = Template('Ticket: {ticket} -> {{"team": "{team}"}} {ticket}')
    assert template.placeholders == ("ticket", "team")
    assert template.render({"ticket": "t", "team": "x"}) == 'Ticket: t -> {"team": "x"} t'


def test_objects_render_as_json() -> None:
    assert Template("{data}").render({"data": {"a": [1, "é"]}}) == '{"a": [1, "é"]}'


@pytest.mark.parametrize("text", ["{", "a } b", "{0}", "{a.b}", "{a!r}", "{a:>3}"])
def test_bad_templates_are_rejected(text: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        Template(text)


@given(st.text())
def test_values_are_inserted_verbatim(value: str) -> None:
    # Braces inside a value are not re-interpreted.
    assert Template("<{v}>").render({"v": value}) == f"<{value}>"
