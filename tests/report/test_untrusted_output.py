"""Model output is untrusted: it must show as inert text on the terminal and in Markdown."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from champion import Candidate, load_suite, run_suite
from champion._report import render_markdown
from tests.conftest import run_cli

HOSTILE = ("\x1b[2J\x1b[31mPWNED\x1b[0m [bold red]boom[/] <script>alert(1)</script>"
           " [click](http://evil.example) | col | \n# heading \u202egnp.exe")

SUITE = """\
task: hostile
prompt: {user: "Say hello {x}"}
output: {kind: text}
check: {type: exact}
cases:
  - {id: H1, vars: {x: "1"}, expected: hello}
"""


def hostile_model() -> Candidate:
    return Candidate(id="evil", provider="test", model="evil", options={"reply": HOSTILE})


def test_terminal_output_neutralises_control_codes_and_markup(
        write: Callable[[str, str], Path], tmp_path: Path, db_url: str) -> None:
    models = write("m.yaml", "models:\n  - id: evil\n    provider: test\n    model: evil\n"
                   f"    options: {{reply: {json.dumps(HOSTILE)}}}\n")
    result = run_cli("run", str(write("s.yaml", SUITE)), "--models", str(models),
                     "--repeats", "1", "--db", db_url)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "\\x1b[31mPWNED" in result.stdout  # shown, visibly, as text
    assert "[bold red]boom[/]" in result.stdout  # markup printed, not applied


def test_markdown_report_renders_model_output_as_text(
        write: Callable[[str, str], Path], db_url: str) -> None:
    result = run_suite(load_suite(write("s.yaml", SUITE)), [hostile_model()], repeats=1,
                       db=db_url)
    report = render_markdown(result)
    assert "<script>" not in report and "&lt;script&gt;" in report
    assert "[click](" not in report and "\\[click\\](" in report  # not a link
    assert "\x1b" not in report and "\u202e" not in report
    assert "\n# heading" not in report
    # Pipes are escaped: every row of the failed-case table keeps four columns.
    rows = [line for line in report.splitlines() if line.startswith("| H1 |")]
    assert rows
    for row in rows:
        unescaped = row.replace("\\|", "")
        assert unescaped.count("|") in (5, 3), row  # 4-column or 2-column table
