"""Image cases: loaded and checked with the suite, sent whole over both protocols."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from champion import Candidate, RunConfig, load_suite, run_suite
from champion._errors import SuiteError
from champion._report import run_to_json
from champion._store import Store
from champion._suite.fingerprint import suite_fingerprint
from champion.testing import MockOpenAIServer, OllamaModel, OllamaProtocolServer
from tests.conftest import run_cli
from tests.multimodal.images import gif, png

FULL = RunConfig(strategy="full")
SUITE = """\
task: colours
prompt: "What is in the picture?"
output: {kind: text}
check: {type: contains}
repeats: 2
params: {max_tokens: 16, timeout_s: 5}
cases:
  - id: RED
    vars: {}
    images: [red.png]
    expected: "png 3x2 #ff0000"
  - id: TWO
    vars: {}
    images: [pics/blue.png, wide.gif]
    expected: "png 5x7 #0000ff gif 640x480"
  - id: PLAIN
    vars: {}
    expected: ok
"""


@pytest.fixture
def image_suite(tmp_path: Path, write: Callable[[str, str], Path]) -> Path:
    (tmp_path / "pics").mkdir()
    (tmp_path / "red.png").write_bytes(png(3, 2, (255, 0, 0)))
    (tmp_path / "pics" / "blue.png").write_bytes(png(5, 7, (0, 0, 255)))
    (tmp_path / "wide.gif").write_bytes(gif(640, 480))
    return write("colours.yaml", SUITE)


def test_loading_reads_type_size_and_hash(image_suite: Path) -> None:
    suite = load_suite(image_suite)
    red, two, plain = suite.cases
    [image] = red.images
    data = (image_suite.parent / "red.png").read_bytes()
    assert (image.media_type, image.width, image.height) == ("image/png", 3, 2)
    assert image.sha256 == hashlib.sha256(data).hexdigest() and image.size == len(data)
    assert [i.media_type for i in two.images] == ["image/png", "image/gif"]
    assert (two.images[1].width, two.images[1].height) == (640, 480)
    assert plain.images == ()
    assert "images" not in plain.model_dump()  # cases without images dump as before


def test_fingerprint_follows_image_content_not_paths(image_suite: Path, tmp_path: Path,
                                                     ) -> None:
    before = suite_fingerprint(load_suite(image_suite))
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "pics").mkdir()
    for name in ("red.png", "pics/blue.png", "wide.gif"):
        (moved / name).write_bytes((tmp_path / name).read_bytes())
    (moved / "colours.yaml").write_text(image_suite.read_text())
    assert suite_fingerprint(load_suite(moved / "colours.yaml")) == before
    (tmp_path / "red.png").write_bytes(png(3, 2, (254, 0, 0)))  # one byte of colour differs
    assert suite_fingerprint(load_suite(image_suite)) != before


def test_openai_protocol_carries_image_url_parts(image_suite: Path, db_url: str) -> None:
    with MockOpenAIServer("ok") as server:
        result = run_suite(load_suite(image_suite), [Candidate(
            id="vis", provider="openai", model="mock", base_url=server.base_url + "/v1")],
            repeats=2, db=db_url,
            config=FULL)
        chats = [r.json() for r in server.requests if r.path.endswith("/chat/completions")]
    trials = Store(db_url).load_run(result.run_id).trials
    assert len(trials) == 6 and all(t.correct for t in trials), [
        (t.case_id, t.output, t.error) for t in trials]
    assert result.champion == "vis"
    red = (image_suite.parent / "red.png").read_bytes()
    sent = [c for c in chats if isinstance(c["messages"][-1]["content"], list)]
    assert len(sent) == 4  # two image cases × two repeats; the warm-up and PLAIN are text
    parts = sent[0]["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": "What is in the picture?"}
    urls = [p["image_url"]["url"] for p in parts[1:]]
    assert all(u.startswith(("data:image/png;base64,", "data:image/gif;base64,")) for u in urls)
    assert red in server.images  # the server decoded exactly the file's bytes


def test_ollama_protocol_carries_base64_images(image_suite: Path, db_url: str) -> None:
    models = {"llava:7b": OllamaModel(capabilities=("completion", "vision"))}
    with OllamaProtocolServer(models) as server:
        result = run_suite(load_suite(image_suite), [Candidate(
            id="llava:7b", provider="ollama", model="llava:7b", base_url=server.base_url)],
            repeats=2, db=db_url,
            config=FULL)
        chats = [body for kind, _name, body in server.events if kind == "chat"]
    trials = Store(db_url).load_run(result.run_id).trials
    assert all(t.correct for t in trials), [(t.case_id, t.output, t.error) for t in trials]
    with_images = [c for c in chats if c["messages"][-1].get("images")]
    assert len(with_images) == 4
    blue = (image_suite.parent / "pics" / "blue.png").read_bytes()
    two = next(c for c in with_images if len(c["messages"][-1]["images"]) == 2)
    assert base64.b64decode(two["messages"][-1]["images"][0]) == blue
    assert blue in server.images


def test_ollama_model_without_vision_gets_rejected_trials(image_suite: Path,
                                                          db_url: str) -> None:
    models = {"qwen2.5:0.5b": OllamaModel(reply="ok", capabilities=("completion", "tools"))}
    with OllamaProtocolServer(models) as server:
        result = run_suite(load_suite(image_suite), [Candidate(
            id="qwen2.5:0.5b", provider="ollama", model="qwen2.5:0.5b",
            base_url=server.base_url)], repeats=1, db=db_url,
            config=FULL)
        sent_images = [c for kind, _n, c in server.events
                       if kind == "chat" and c["messages"][-1].get("images")]
    trials = {t.case_id: t for t in Store(db_url).load_run(result.run_id).trials}
    assert sent_images == []  # refused before calling: the server lists no vision
    for case in ("RED", "TWO"):
        assert trials[case].error_kind == "rejected"
        assert "cannot take images" in (trials[case].error or "")
        assert "completion, tools (no vision)" in (trials[case].error or "")
    assert trials["PLAIN"].correct
    [line] = run_to_json(result)["models"]
    assert line["status"] == "disqualified"
    assert line["identity"]["capabilities"] == ["completion", "tools"]


def test_openai_server_without_vision_is_recorded_as_rejected(image_suite: Path,
                                                              db_url: str) -> None:
    with MockOpenAIServer("ok", vision=False) as server:
        result = run_suite(load_suite(image_suite), [Candidate(
            id="text-only", provider="openai", model="mock",
            base_url=server.base_url + "/v1")], repeats=1, db=db_url,
            config=FULL)
    trials = {t.case_id: t for t in Store(db_url).load_run(result.run_id).trials}
    assert trials["RED"].error_kind == "rejected"
    assert "image input is not supported" in (trials["RED"].error or "")
    assert trials["PLAIN"].correct


@pytest.mark.parametrize(("images", "content", "problem"), [
    ("[missing.png]", None, "images[0]: missing.png: no such file"),
    ("[notes.png]", b"just some text", "not a PNG, JPEG, WebP or GIF image"),
    ("[empty.png]", b"", "empty image"),
    ('["data:image/png;base64,!!!"]', None, "not valid base64"),
    ('["data:image/png;base64,R0lGODlhAQABAAAAADs="]', None,
     "says image/png but the bytes are image/gif"),
    ("[pics]", None, "not a file"),
])
def test_bad_image_is_a_suite_error_with_file_and_line(
        tmp_path: Path, write: Callable[[str, str], Path], images: str,
        content: bytes | None, problem: str) -> None:
    (tmp_path / "pics").mkdir(exist_ok=True)
    if content is not None:
        (tmp_path / images.strip("[]")).write_bytes(content)
    path = write("bad.yaml", f"""\
        task: bad
        prompt: "Look"
        cases:
          - id: A
            expected: x
          - id: B
            images: {images}
            expected: x
        """)
    with pytest.raises(SuiteError) as caught:
        load_suite(path)
    assert caught.value.line == 7, str(caught.value)
    assert problem in str(caught.value) and "case 'B'" in str(caught.value)
    done = run_cli("validate", str(path))
    assert done.returncode == 2
    assert f"{path}:7: case 'B': images[0]" in done.stderr and problem in done.stderr
    assert "Traceback" not in done.stderr


def test_oversize_image_is_refused(tmp_path: Path, write: Callable[[str, str], Path],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import champion._suite.images as images

    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 1000)
    (tmp_path / "big.png").write_bytes(png(400, 400, (1, 2, 3)) + b"\0" * 2000)
    path = write("big.yaml", """\
        task: big
        prompt: "Look"
        cases:
          - id: A
            images:
              - big.png
            expected: x
        """)
    with pytest.raises(SuiteError, match=r"big.yaml:6: case 'A': images\[0\]: big.png:"
                       r" image too large"):
        load_suite(path)


def test_reports_show_which_cases_carried_images(image_suite: Path, db_url: str) -> None:
    from champion._report import render_html, render_markdown

    with MockOpenAIServer("ok") as server:
        run_suite(load_suite(image_suite), [Candidate(
            id="vis", provider="openai", model="mock", base_url=server.base_url + "/v1")],
            repeats=1, db=db_url,
            config=FULL)
    with Store(db_url) as store:  # rebuilt from the database, as `champion report` does
        stored = store.load_run(store.run_ids()[-1])
    markdown = render_markdown(stored)
    assert "## Cases with images" in markdown
    assert "- RED: red.png, PNG 3×2" in markdown
    assert "- TWO: blue.png, PNG 5×7" in markdown and "wide.gif, GIF 640×480" in markdown
    assert "| RED 🖼 |" in markdown and "| PLAIN |" in markdown
    html = render_html(stored)
    red = base64.b64encode((image_suite.parent / "red.png").read_bytes()).decode()
    assert f'src="data:image/png;base64,{red}"' in html
    assert html.count('class="thumb"') == 3  # RED's image and TWO's two
    # A file changed since the run is named, never shown as if it were the one used.
    (image_suite.parent / "red.png").write_bytes(png(3, 2, (0, 255, 0)))
    changed = render_html(stored)
    assert red not in changed and "🖼 red.png" in changed
