"""Every runnable example of the documentation runs, so the docs cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.examples import ROOT, ExampleError, blocks_of, pages_with_examples, run_page


def _params() -> list[object]:
    return [pytest.param(page, id=page.name,
                         marks=[pytest.mark.model] if any(b.model for b in blocks_of(page))
                         else [])
            for page in pages_with_examples()]


@pytest.mark.parametrize("page", _params())
def test_the_page_s_examples_run(page: Path, tmp_path: Path) -> None:
    assert run_page(page, tmp_path)


def test_every_extending_example_is_runnable() -> None:
    page = ROOT / "docs" / "extending.md"
    lines = page.read_text(encoding="utf-8").splitlines()
    starts = [i + 1 for i, line in enumerate(lines) if line.startswith("## ")]
    runnable = [b.line for b in blocks_of(page) if b.kind == "python"]
    for start, end in zip(starts, [*starts[1:], len(lines) + 1], strict=True):
        heading = lines[start - 1].removeprefix("## ")
        fences = [i + 1 for i in range(start, end - 1) if lines[i].strip() == "```python"]
        assert all(fence + 1 in runnable for fence in fences), f"{heading}: a block is not run"
    headings = {lines[s - 1].removeprefix("## ") for s in starts
                if any(s <= line for line in runnable)}
    for worked in ("A provider", "A check", "A strategy", "An executor", "A dashboard page"):
        assert worked in headings, worked


PAGE = """\
Text.

<!-- runnable file=data/note.txt -->
```text
hello
```

<!-- runnable -->
```python
from pathlib import Path
note = Path("data/note.txt").read_text()
```

```python
raise SystemExit("an unmarked block never runs")
```

<!-- runnable -->
```sh
test "$(cat data/note.txt)" = hello
test -f examples/ticket-triage.yaml
```
"""


def test_marked_blocks_run_in_order_in_one_folder(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE + "\n<!-- runnable -->\n```python\nassert note == 'hello\\n'\n```\n")
    assert [b.kind for b in run_page(page, tmp_path / "run")] == ["file", "python", "sh", "python"]


@pytest.mark.parametrize(("tail", "message"), [
    ("<!-- runnable -->\n```python\nassert note == 'bye', 'not bye'\n```\n",
     r"page\.md:\d+: the python block failed:.*not bye"),
    ("<!-- runnable -->\n```sh\nexit 3\n```\n", r"page\.md:\d+: the sh block ended with status 3"),
    ("<!-- runnable exit=3 -->\n```sh\ntrue\n```\n", r"status 0, not 3"),
    ("<!-- runnable -->\n```yaml\na: 1\n```\n", r"a yaml block can only be a file"),
    ("<!-- runnable colour=red -->\n```sh\ntrue\n```\n", r"unknown runnable option 'colour'"),
])
def test_a_failing_or_misplaced_block_names_its_place(tmp_path: Path, tail: str,
                                                      message: str) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE + "\n" + tail)
    with pytest.raises(ExampleError, match=re.compile(message, re.DOTALL)):
        run_page(page, tmp_path / "run")
