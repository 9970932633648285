"""LoRA adapters on the bundled SmolLM2, in process, and the memory a model took."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from champion import Candidate, RunConfig, load_suite, run_suite
from champion._report import run_to_json
from champion._store import Store
from tests.multimodal.images import png
from tests.multimodal.lora import write_adapter

pytest.importorskip("llama_cpp")

SUITE = """\
task: capitals
prompt: "{question}"
output: {kind: text}
check: {type: contains}
repeats: 1
params: {max_tokens: 8, timeout_s: 60}
cases:
  - id: FRANCE
    vars: {question: "What is the capital of France?"}
    expected: Paris
  - id: COLOURS
    vars: {question: "Name three colours."}
    expected: red
  - id: PICTURE
    vars: {question: "What colour is this?"}
    images: [red.png]
    expected: red
"""


def smollm2(name: str, **options: object) -> Candidate:
    return Candidate(id=name, provider="llamacpp", model="builtin:smollm2-135m",
                     options={"n_ctx": 512, **options})


@pytest.fixture(scope="module")
def adapter_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], Path]:
    folder = tmp_path_factory.mktemp("lora")
    (folder / "red.png").write_bytes(png(2, 2, (255, 0, 0)))
    (folder / "capitals.yaml").write_text(SUITE)
    zero = write_adapter(folder / "zero.gguf", 0.0)
    hot = write_adapter(folder / "hot.gguf", 1.0)
    db = f"sqlite:///{folder / 'champion.db'}"
    result = run_suite(load_suite(folder / "capitals.yaml"), [
        smollm2("base"), smollm2("zero", lora_path=str(zero)),
        smollm2("hot", lora_path=str(hot), lora_scale=1.0)], db=db,
        config=RunConfig(strategy="full"))
    trials = Store(db).load_run(result.run_id).trials
    outputs = {(t.model, t.case_id): t for t in trials}
    return {"json": run_to_json(result), "trials": outputs, "hot": hot, "zero": zero,
            "result": result}, folder


def test_zero_adapter_keeps_greedy_answers_and_a_real_one_changes_them(
        adapter_run: tuple[dict[str, object], Path]) -> None:
    data, _folder = adapter_run
    trials = data["trials"]
    assert isinstance(trials, dict)
    for case in ("FRANCE", "COLOURS"):
        base, zero, hot = (trials[(m, case)] for m in ("base", "zero", "hot"))
        assert base.error is None and zero.error is None and hot.error is None
        assert base.output and zero.output == base.output, case
        assert hot.output != base.output, case


def test_base_and_adapters_have_their_own_keys_and_identities(
        adapter_run: tuple[dict[str, object], Path]) -> None:
    import hashlib

    data, _folder = adapter_run
    run = data["json"]
    assert isinstance(run, dict)
    lines = {m["model"]: m for m in run["models"]}
    keys = {name: line["key"] for name, line in lines.items()}
    assert keys["base"] == "llamacpp/builtin:smollm2-135m@in-process"
    hot_hash = hashlib.sha256(Path(str(data["hot"])).read_bytes()).hexdigest()
    assert keys["hot"] == f"{keys['base']}+lora:{hot_hash[:12]}"
    assert len(set(keys.values())) == 3
    digests = {name: line["identity"]["digest"] for name, line in lines.items()}
    assert len(set(digests.values())) == 3
    assert lines["hot"]["identity"]["lora"] == {"file": "hot.gguf", "sha256": hot_hash,
                                                 "scale": 1.0}
    assert lines["hot"]["identity"]["base_digest"] == digests["base"]


def test_embedded_model_without_projector_rejects_image_cases(
        adapter_run: tuple[dict[str, object], Path]) -> None:
    data, _folder = adapter_run
    trials = data["trials"]
    assert isinstance(trials, dict)
    picture = trials[("base", "PICTURE")]
    assert picture.error_kind == "rejected"
    assert "cannot take images: no vision projector" in (picture.error or "")


def test_embedded_run_records_memory(adapter_run: tuple[dict[str, object], Path]) -> None:
    data, _folder = adapter_run
    run = data["json"]
    assert isinstance(run, dict)
    for line in run["models"]:
        assert line["memory_mb"] is not None and line["memory_mb"] > 0, line["model"]


def test_reports_put_each_adapter_beside_its_base(
        adapter_run: tuple[dict[str, object], Path]) -> None:
    from champion._report import render_html, render_markdown
    from champion._results import RunResult

    data, _folder = adapter_run
    result = data["result"]
    assert isinstance(result, RunResult)
    markdown = render_markdown(result)
    adapters = markdown.split("## Adapters", 1)[1].split("##", 1)[0]
    rows = [line for line in adapters.splitlines() if line.startswith("| ")][1:]
    firsts = [row.split("|")[1].strip() for row in rows]
    assert sorted(firsts) == ["hot", "zero", "↳ base base", "↳ base base"]
    for index, name in enumerate(firsts):  # each adapter's row, then its base's under it
        if name in ("hot", "zero"):
            assert rows[index].split("|")[2].strip() == "base"
            assert firsts[index + 1] == "↳ base base"
    assert "hot.gguf" in adapters and "zero.gguf" in adapters
    assert "## Memory" in markdown
    html = render_html(result)
    assert "LoRA hot.gguf" in html and "on base base:" in html
    assert ">Memory</th>" in html and " MB</td>" in html


def test_missing_adapter_file_is_a_clear_error(write: Callable[[str, str], Path],
                                               tmp_path: Path, db_url: str) -> None:
    from champion._errors import CandidateError
    from champion._providers.registry import create_provider

    with pytest.raises(CandidateError, match=r"no such LoRA adapter file: .*nope.gguf"):
        create_provider(smollm2("x", lora_path=str(tmp_path / "nope.gguf")))


class _SeeingHandler:
    """Stands in for a multimodal chat handler (no vision model is bundled): it is
    built and called the way llama-cpp-python builds and calls Llava15ChatHandler,
    and answers with what it reads from the image bytes it was given."""

    built: ClassVar[list[str]] = []

    def __init__(self, clip_model_path: str, verbose: bool = True) -> None:
        self.built.append(clip_model_path)

    def __call__(self, *, llama: object, messages: list[dict[str, object]],
                 **options: object) -> object:
        from champion.testing.vision import decode_base64, describe_image

        assert options.get("stream") is True
        seen = []
        for message in messages:
            content = message["content"]
            for part in content if isinstance(content, list) else ():
                if part["type"] == "image_url":
                    seen.append(describe_image(decode_base64(part["image_url"]["url"]) or b""))
        for word in " ".join(seen).split(" "):
            yield {"choices": [{"delta": {"content": word + " "}, "finish_reason": None}]}
        yield {"choices": [{"delta": {}, "finish_reason": "stop"}]}


def test_projector_sends_images_through_the_chat_handler(
        tmp_path: Path, write: Callable[[str, str], Path], db_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from llama_cpp import llama_chat_format

    monkeypatch.setattr(llama_chat_format, "SeeingChatHandler", _SeeingHandler, raising=False)
    (tmp_path / "red.png").write_bytes(png(4, 3, (255, 0, 0)))
    projector = tmp_path / "mmproj.gguf"
    projector.write_bytes(b"GGUF projector stand-in")
    suite = write("see.yaml", """\
        task: see
        prompt: "What is this?"
        check: {type: contains}
        repeats: 1
        params: {max_tokens: 8}
        cases:
          - id: RED
            images: [red.png]
            expected: "png 4x3 #ff0000"
          - id: TEXT
            expected: "no image"
        """)
    result = run_suite(load_suite(suite), [smollm2(
        "seeing", clip_model_path=str(projector), chat_handler="SeeingChatHandler")],
        db=db_url, config=RunConfig(strategy="full"))
    trials = {t.case_id: t for t in Store(db_url).load_run(result.run_id).trials}
    assert trials["RED"].correct, trials["RED"]
    assert trials["TEXT"].error is None  # text cases still use the model's own template
    assert _SeeingHandler.built == [str(projector)]
    [line] = run_to_json(result)["models"]
    assert line["identity"]["projector"]["file"] == "mmproj.gguf"
    assert line["identity"]["projector"]["chat_handler"] == "SeeingChatHandler"


def test_unknown_chat_handler_is_an_error_of_the_model(
        tmp_path: Path, write: Callable[[str, str], Path], db_url: str) -> None:
    projector = tmp_path / "mmproj.gguf"
    projector.write_bytes(b"x")
    suite = write("one.yaml", """\
        task: one
        prompt: "Hi"
        repeats: 1
        cases: [{id: A, expected: x}]
        """)
    result = run_suite(load_suite(suite), [smollm2(
        "odd", clip_model_path=str(projector), chat_handler="NoSuchChatHandler")], db=db_url)
    [line] = run_to_json(result)["models"]
    assert line["status"] == "error" and "NoSuchChatHandler" in line["error"]
