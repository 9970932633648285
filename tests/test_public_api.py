"""The public surface: a curated, sorted __all__ and no heavy imports."""

from __future__ import annotations

import subprocess
import sys

import champion


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert champion.__all__ == sorted(champion.__all__, key=str)
    assert sorted(dir(champion)) == sorted(champion.__all__)
    for name in champion.__all__:
        value = getattr(champion, name)  # lazy names import on first use
        assert getattr(value, "__module__", "").startswith("champion"), name
    import champion.errors as errors

    lazy = set(champion._LAZY)  # type: ignore[attr-defined]
    assert lazy | set(errors.__all__) - {"AnswerTooLarge", "ErrorKind"} == set(champion.__all__)


def test_errors_form_one_tree() -> None:
    for name in champion.__all__:
        obj = getattr(champion, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, champion.ChampionError)
    assert issubclass(champion.SuiteError, champion.InputError)
    assert issubclass(champion.ProviderTimeout, champion.ProviderError)


def test_import_does_not_load_llama_cpp_or_http_clients() -> None:
    heavy = ("llama_cpp", "httpx", "aiohttp", "sqlalchemy", "pydantic", "alembic", "ray")
    code = f"import sys, champion; print(any(m in sys.modules for m in {heavy!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_only_the_ray_executor_imports_ray() -> None:
    code = ("import sys; import champion.cli.main, champion.runner as r;"
            " r.executor_class('local'); r.executor_names();"
            " print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
