"""The public surface: a curated, sorted __all__ and no heavy imports."""

from __future__ import annotations

import subprocess
import sys

import champion


def test_all_is_sorted_and_complete() -> None:
    public = sorted(name for name in dir(champion)
                    if not name.startswith("_") and name not in {"annotations"}
                    and not isinstance(getattr(champion, name), type(champion)))
    assert champion.__all__ == sorted(champion.__all__, key=str)
    assert sorted(champion.__all__) == public


def test_errors_form_one_tree() -> None:
    for name in champion.__all__:
        obj = getattr(champion, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, champion.ChampionError)
    assert issubclass(champion.SuiteError, champion.InputError)
    assert issubclass(champion.ProviderTimeout, champion.ProviderError)


def test_import_does_not_load_llama_cpp_or_http_clients() -> None:
    heavy = ("llama_cpp", "httpx", "sqlalchemy.dialects.postgresql")
    code = f"import sys, champion; print(any(m in sys.modules for m in {heavy!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
