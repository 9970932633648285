"""Reports: run JSON, Markdown, HTML, terminal."""

from typing import TYPE_CHECKING, Any

from champion._report.json_report import run_to_json, write_json
from champion._report.markdown import render_markdown

if TYPE_CHECKING:
    from champion._report.html import render_html

__all__ = ["render_html", "render_markdown", "run_to_json", "write_json"]


def __getattr__(name: str) -> Any:
    # The HTML report loads Jinja2: only when it is asked for.
    if name == "render_html":
        from champion._report.html import render_html

        return render_html
    raise AttributeError(f"module 'champion._report' has no attribute {name!r}")
