"""The embedded provider on the real bundled model: deadline, template fallback, grammars."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from champion import Candidate, ProviderTimeout, load_suite, run_suite
from champion._providers.base import Constraint, GenerateRequest, Message
from champion._providers.builtin import builtin_path
from champion._providers.llamacpp import LlamaCppProvider

pytestmark = pytest.mark.model

COUNT = (Message("user", "Count from 1 to 300, separated by commas."),)
SKY = (Message("system", "Answer with one word."), Message("user", "What colour is the sky?"))


def provider(model: str) -> LlamaCppProvider:
    return LlamaCppProvider(Candidate(id="m", provider="llamacpp", model=model))


def test_the_deadline_stops_generation_inside_llama_cpp() -> None:
    async def scenario() -> tuple[int | None, float, float]:
        model = provider("builtin:smollm2-135m")
        await model.load()
        try:
            full = await model.generate(GenerateRequest(COUNT, max_tokens=300, timeout_s=60))
            start = time.perf_counter()
            with pytest.raises(ProviderTimeout, match=r"within 0\.1 s"):
                await model.generate(GenerateRequest(COUNT, max_tokens=300, timeout_s=0.1))
            return full.completion_tokens, full.latency_ns / 1e9, time.perf_counter() - start
        finally:
            await model.aclose()

    tokens, full_s, stopped_s = asyncio.run(scenario())
    assert tokens == 300  # the answer runs to max_tokens when nothing stops it...
    assert stopped_s < 0.1 + 0.5 < full_s  # ...and the deadline cuts it short


def test_a_model_without_chat_template_gets_a_plain_prompt(tmp_path: Path) -> None:
    # A same-length rename of the metadata key keeps every offset of the file.
    data = builtin_path("smollm2-135m").read_bytes()
    assert data.count(b"tokenizer.chat_template") == 1
    base = tmp_path / "base.gguf"
    base.write_bytes(data.replace(b"tokenizer.chat_template", b"tokenizer.chat_templatX"))

    async def answer(model: str) -> tuple[bool, int | None, str]:
        llm = provider(model)
        await llm.load()
        try:
            done = await llm.generate(GenerateRequest(SKY, max_tokens=8))
            return llm.identity().details["chat_template"], done.prompt_tokens, done.text
        finally:
            await llm.aclose()

    chat, chat_tokens, _ = asyncio.run(answer("builtin:smollm2-135m"))
    plain, plain_tokens, text = asyncio.run(answer(str(base)))
    assert chat is True and plain is False
    # The chat template wraps each message in role markers; the plain prompt does not.
    assert chat_tokens is not None and plain_tokens is not None and plain_tokens < chat_tokens
    assert text.strip()


def test_json_schema_constraint_yields_valid_json(tmp_path: Path, db_url: str) -> None:
    suite_path = tmp_path / "json.yaml"
    suite_path.write_text("""\
task: constrained-json
prompt:
  user: "Give the city and country of the Eiffel Tower as JSON. {hint}"
output:
  kind: json
  constrain: true
  schema:
    type: object
    properties: {city: {type: string}, country: {type: string}}
    required: [city, country]
check: {type: json_schema}
params: {max_tokens: 40}
cases:
  - {id: A, vars: {hint: ""}, expected: null}
  - {id: B, vars: {hint: "Keys: city, country."}, expected: null}
""")
    result = run_suite(load_suite(suite_path), ["llamacpp/builtin:smollm2-135m"], repeats=1,
                       db=db_url)
    [line] = result.ranking.models
    assert line.json_valid_rate == 1.0 and line.passes == 2
    assert all(t.parsed_ok and t.output.lstrip().startswith("{") for t in result.trials)


def test_label_constraint_is_a_grammar_over_the_labels() -> None:
    async def scenario() -> str:
        llm = provider("builtin:smollm2-135m")
        await llm.load()
        try:
            request = GenerateRequest(SKY, max_tokens=8,
                                      constraint=Constraint(labels=("teal", "crimson")))
            return (await llm.generate(request)).text
        finally:
            await llm.aclose()

    assert asyncio.run(scenario()) in ("teal", "crimson")


def test_an_answer_cut_by_max_tokens_says_length_and_closing_mid_answer_is_safe() -> None:
    async def scenario() -> tuple[str | None, str | None, str]:
        model = provider("builtin:smollm2-135m")
        await model.load()
        try:
            cut = await model.generate(GenerateRequest(COUNT, max_tokens=5, timeout_s=60))
            whole = await model.generate(GenerateRequest(SKY, max_tokens=64, timeout_s=60))
            # Closing while an answer is being generated: the generation stops at its
            # next token and only then is the model freed (no crash, no hang).
            running = asyncio.ensure_future(
                model.generate(GenerateRequest(COUNT, max_tokens=300, timeout_s=60)))
            await asyncio.sleep(0.3)
            running.cancel()
            await model.aclose()
            outcome = "cancelled" if running.cancelled() else repr(running.exception())
            return cut.finish_reason, whole.finish_reason, outcome
        finally:
            await model.aclose()

    cut, whole, closed = asyncio.run(scenario())
    assert cut == "length"
    assert whole == "stop"
    assert closed == "cancelled"
