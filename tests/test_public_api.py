"""The public surface: a curated, sorted __all__, documented, light to import."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import champion
from tests.conftest import ROOT

API_PAGE = ROOT / "docs" / "python-api.md"


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert champion.__all__ == sorted(champion.__all__, key=str)
    assert len(set(champion.__all__)) == len(champion.__all__)
    assert sorted(dir(champion)) == sorted(champion.__all__)
    for name in champion.__all__:
        value = getattr(champion, name)  # lazy names import on first use
        assert getattr(value, "__module__", "").startswith("champion"), name


#: The one public module besides the root: loopback servers for tests and calibration.
PUBLIC_MODULES = {"testing"}


def test_nothing_public_besides_all_and_the_testing_module() -> None:
    for name in champion.__all__:
        getattr(champion, name)
    for found in pkgutil.walk_packages(champion.__path__, "champion."):
        if not found.name.endswith("__main__"):  # that one runs the command line
            importlib.import_module(found.name)  # every module, so each sits on its package
    public = {name for name in vars(champion) if not name.startswith("_")}
    assert public == set(champion.__all__) | PUBLIC_MODULES
    modules = {name for name, value in vars(champion).items()
               if isinstance(value, types.ModuleType) and not name.startswith("_")}
    assert modules == PUBLIC_MODULES


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no attribute 'resolve_candidates'"):
        champion.resolve_candidates  # noqa: B018 - one name per idea: select_candidates


def test_errors_form_one_tree() -> None:
    for name in champion.__all__:
        obj = getattr(champion, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, champion.ChampionError), name
    assert issubclass(champion.SuiteError, champion.InputError)
    assert issubclass(champion.ProviderTimeout, champion.ProviderError)
    assert issubclass(champion.NoCandidateSelected, champion.InputError)
    assert issubclass(champion.AllModelsFailed, champion.RoutingError)


def test_import_does_not_load_heavy_packages() -> None:
    heavy = ("llama_cpp", "httpx", "aiohttp", "sqlalchemy", "pydantic", "alembic", "starlette",
             "ray")
    code = ("import sys, champion; champion.ChampionError;"
            f" print(sorted(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_name_has_a_docstring_of_its_own() -> None:
    for name in champion.__all__:
        value = getattr(champion, name)
        own = vars(value).get("__doc__") if isinstance(value, type) else value.__doc__
        assert own and own.strip(), name


def test_every_name_is_in_the_api_reference() -> None:
    documented = re.findall(r"^::: champion\.(\w+)\s*$", API_PAGE.read_text(encoding="utf-8"),
                            re.MULTILINE)
    assert len(documented) == len(set(documented)), "a name is documented twice"
    assert set(documented) == set(champion.__all__)


def _raised_texts(path: Path) -> list[tuple[int, str]]:
    """Every literal text inside a ``raise`` statement of the module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            found += [(node.lineno, sub.value) for sub in ast.walk(node.exc)
                      if isinstance(sub, ast.Constant) and isinstance(sub.value, str)]
    return found


def test_library_errors_speak_of_parameters_not_command_line_options() -> None:
    flag = re.compile(r"(?<![\w-])--[a-z]")
    package = ROOT / "src" / "champion"
    offenders = [f"{path.relative_to(package)}:{line}: {text!r}"
                 for path in sorted(package.rglob("*.py"))
                 if path.relative_to(package).parts[0] not in ("_cli", "testing")
                 for line, text in _raised_texts(path) if flag.search(text)]
    assert offenders == []


def test_the_scan_finds_an_option_in_a_raise(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f(x):\n    raise ValueError(f'{x}: try --repeats 3')\n")
    assert _raised_texts(module) == [(2, ": try --repeats 3")]


def test_only_the_ray_executor_imports_ray() -> None:
    code = ("import sys; import champion._cli.main, champion._runner as r;"
            " r.executor_class('local'); r.executor_names();"
            " print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
