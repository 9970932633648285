"""The README's plain pip install builds llama-cpp-python exactly as ``make install`` does."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _flags(text: str) -> list[str]:
    return re.findall(r"-DGGML_\w+=\w+", text)


def test_readme_cmake_args_are_the_makefiles_portable_ones() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    portable = makefile.split("PORTABLE_CMAKE_ARGS :=", 1)[1].split("\n\n", 1)[0]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index('export CMAKE_ARGS="'):]
    block = block[:block.index("pip install")]
    assert _flags(block) == _flags(portable) and "-DGGML_NATIVE=OFF" in _flags(block)
    assert "pip install --no-cache-dir 'champion[local]'" in readme
