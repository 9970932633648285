"""Candidates: model configurations from a models file or ``-m`` specs (DESIGN §3)."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from champion.errors import CandidateError

__all__ = [
    "Candidate",
    "Price",
    "assign_ids",
    "expand_spec",
    "load_models_file",
    "parse_spec",
    "public_url",
]


class Price(BaseModel):
    """USD per million tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class Candidate(BaseModel):
    """One model configuration to benchmark."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = ""
    provider: str
    model: str = ""
    base_url: str | None = None
    api_key_env: str | None = None
    headers: dict[str, str] = {}
    options: dict[str, Any] = {}
    price: Price | None = None
    size_gb: float | None = None

    def resolved_base_url(self) -> str | None:
        """``base_url`` with ``${VAR}`` filled from the environment."""
        if self.base_url is None:
            return None
        return re.sub(r"\$\{(\w+)\}", lambda m: os.environ.get(m.group(1), ""), self.base_url)

    def api_key(self) -> str | None:
        """The API key, read from the environment at call time; never stored."""
        return os.environ.get(self.api_key_env) if self.api_key_env else None


def public_url(url: str | None) -> str | None:
    """A URL without credentials, query string or fragment (safe to store and show)."""
    if not url:
        return None
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def parse_spec(spec: str) -> Candidate:
    """Parse ``PROVIDER/MODEL[@BASE_URL]`` (``builtin`` is handled by the caller)."""
    provider, slash, rest = spec.partition("/")
    if not slash or not provider or not rest:
        raise CandidateError(
            f"-m {spec!r}: expected PROVIDER/MODEL[@BASE_URL], e.g. ollama/qwen2.5:7b"
        )
    model, at, base_url = rest.partition("@")
    if at and not base_url.startswith(("http://", "https://")):
        model, base_url, at = rest, "", ""
    if not model:
        raise CandidateError(f"-m {spec!r}: the model name is empty")
    return Candidate(provider=provider, model=model, base_url=base_url or None)


def expand_spec(spec: str) -> list[Candidate]:
    """``builtin`` → every bundled model; otherwise one parsed spec."""
    if spec == "builtin":
        from champion.providers.builtin import BUILTIN_MODELS

        return [Candidate(provider="llamacpp", model=f"builtin:{name}")
                for name in BUILTIN_MODELS]
    return [parse_spec(spec)]


def default_id(candidate: Candidate) -> str:
    """The MODEL part of the spec; ``builtin:NAME`` and paths shortened to NAME."""
    model = candidate.model
    if model.startswith("builtin:"):
        return model.removeprefix("builtin:")
    if model.endswith(".gguf"):
        return Path(model).stem
    return model


def assign_ids(candidates: list[Candidate]) -> list[Candidate]:
    """Give every candidate an id; prefix the provider only on a clash."""
    named = [c if c.id else c.model_copy(update={"id": default_id(c)}) for c in candidates]
    counts = Counter(c.id for c in named)
    result = [
        c.model_copy(update={"id": f"{c.provider}/{c.id}"}) if counts[c.id] > 1 else c
        for c in named
    ]
    clashes = [name for name, n in Counter(c.id for c in result).items() if n > 1]
    if clashes:
        raise CandidateError(f"two candidates share the id {clashes[0]!r}; give them ids")
    return result


def load_models_file(path: str | Path) -> list[Candidate]:
    """Read ``models.yaml`` (or JSON): ``{models: [...]}``."""
    from champion.suite.source import DocumentSyntaxError, read_document

    file = Path(path)
    if not file.is_file():
        raise CandidateError(f"{file}: no such models file")
    try:
        document = read_document(file)
    except DocumentSyntaxError as exc:
        where = f"{file}:{exc.line}" if exc.line else str(file)
        raise CandidateError(f"{where}: {exc}") from None
    data = document.data
    items = data.get("models") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise CandidateError(f"{file}:1: expected a 'models' list")
    candidates = []
    for index, item in enumerate(items):
        line = document.line_of(("models", index))
        try:
            candidates.append(Candidate.model_validate(item))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            line = document.line_of(("models", index, *error["loc"])) or line
            raise CandidateError(f"{file}:{line}: models[{index}].{where}: {error['msg']}") \
                from None
    return candidates
