"""Reports: run JSON, Markdown, terminal."""

from champion.report.json_report import run_to_json, write_json
from champion.report.markdown import render_markdown

__all__ = ["render_markdown", "run_to_json", "write_json"]
