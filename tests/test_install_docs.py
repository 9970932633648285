"""The documented plain pip install builds llama-cpp-python exactly as ``make install`` does."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _flags(text: str) -> list[str]:
    return re.findall(r"-DGGML_\w+=\w+", text)


def test_the_documented_cmake_args_are_the_makefiles_portable_ones() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    portable = makefile.split("PORTABLE_CMAKE_ARGS :=", 1)[1].split("\n\n", 1)[0]
    page = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    block = page[page.index('export CMAKE_ARGS="'):]
    block = block[:block.index("pip install")]
    assert _flags(block) == _flags(portable) and "-DGGML_NATIVE=OFF" in _flags(block)
    assert "pip install --no-cache-dir 'champion[local]'" in page


def test_the_makefile_installs_the_docs_extra_and_builds_the_site() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"pip install .*-e '\.\[[a-z,]*\bdocs\b[a-z,]*\]'", makefile)
    assert "mkdocs build" in makefile
    assert "make docs DOCS_FLAGS=--strict" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
