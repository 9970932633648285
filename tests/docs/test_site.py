"""The documentation site builds strictly and offline, covers the API and the CLI, and the
README is a short front door whose links land on pages of the site."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import champion
from champion._cli.main import COMMANDS
from tests.conftest import ROOT

DOCS = ROOT / "docs"
#: The order of the site's sections.
SECTIONS = ["Home", "Getting started", "Concepts", "Suites and checks",
            "Candidates and providers", "Running", "Ranking and statistics",
            "Reports and dashboard", "From benchmark to production", "Operations", "Reference",
            "Extending", "Changelog"]


def _nav_pages(nav: list[object]) -> list[str]:
    pages: list[str] = []
    for item in nav:
        assert isinstance(item, dict)
        for value in item.values():
            pages += _nav_pages(value) if isinstance(value, list) else [str(value)]
    return pages


def _config() -> dict[str, object]:
    class Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml may use !!python/name tags; this test only reads plain keys.
    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    assert isinstance(config, dict)
    return config


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                            "-f", str(ROOT / "mkdocs.yml"), "-d", str(target)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
                           check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "WARNING" not in built.stdout + built.stderr
    return target


def test_the_nav_has_every_page_in_the_sections_order() -> None:
    config = _config()
    nav = config["nav"]
    assert isinstance(nav, list)
    assert [next(iter(item)) for item in nav] == SECTIONS
    pages = _nav_pages(nav)
    assert len(pages) == len(set(pages))
    assert sorted(pages) == sorted(p.name for p in DOCS.glob("*.md"))


def test_the_site_is_offline(site: Path) -> None:
    theme = _config()["theme"]
    assert isinstance(theme, dict) and theme["font"] is False  # no web fonts
    fetched = re.compile(r"""<(?:link|script|img|iframe|source)\b[^>]*?\b(?:href|src)=["']"""
                         r"""(?:https?:)?//""", re.IGNORECASE)
    css_import = re.compile(r"""(?:@import|url\()\s*["']?(?:https?:)?//""", re.IGNORECASE)
    pages = list(site.rglob("*.html"))
    assert len(pages) >= len(list(DOCS.glob("*.md")))
    for page in pages:
        assert not fetched.search(page.read_text(encoding="utf-8")), page.name
    for asset in [*site.rglob("*.css"), *site.rglob("*.js")]:
        assert not css_import.search(asset.read_text(encoding="utf-8")), asset.name


def test_every_public_name_has_its_entry_in_the_built_api_reference(site: Path) -> None:
    page = (site / "python-api.html").read_text(encoding="utf-8")
    missing = [name for name in champion.__all__ if f'id="champion.{name}"' not in page]
    assert missing == []


def test_every_command_renders_in_the_cli_reference(site: Path) -> None:
    page = (site / "cli.html").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f'id="champion-{command}"' in page, command
    for option in ("--strategy-option", "--max-in-flight", "--rollback", "--verify"):
        assert option in page, option


def test_the_readme_is_short_and_links_into_the_site() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    nav = set(_nav_pages(_config()["nav"]))  # type: ignore[arg-type]
    links = re.findall(r"\]\((docs/[^)#\s]+)(#[^)\s]*)?\)", readme)
    pages = [target for target, _anchor in links if target.endswith(".md")]
    assert len(set(pages)) >= 8
    for target in pages:
        assert target.removeprefix("docs/") in nav, target
    for target, anchor in links:
        assert (ROOT / target).exists(), target
        if anchor:
            assert anchor.removeprefix("#") in _anchors(ROOT / target), f"{target}{anchor}"


def _anchors(page: Path) -> set[str]:
    """The ids the site gives a page's headings (the toc extension's slugs)."""
    from markdown.extensions.toc import slugify

    headings = re.findall(r"^#{1,6} (.+)$", page.read_text(encoding="utf-8"), re.MULTILINE)
    return {slugify(re.sub(r"[`*]", "", heading), "-") for heading in headings}


PRIVATE = re.compile(r"^\s*(?:from\s+champion\.(?!testing\b)\w|import\s+champion\.(?!testing\b)\w)",
                     re.MULTILINE)


@pytest.mark.parametrize("page", [ROOT / "README.md", *sorted(DOCS.glob("*.md"))],
                         ids=lambda p: p.name)
def test_examples_import_only_from_the_package(page: Path) -> None:
    assert not PRIVATE.findall(page.read_text(encoding="utf-8"))


def test_the_import_rule_catches_a_submodule() -> None:
    assert PRIVATE.findall("from champion._registry.router import Router\n")
    assert PRIVATE.findall("    import champion._store\n")
    assert not PRIVATE.findall("from champion import Router\nfrom champion.testing import X\n")
