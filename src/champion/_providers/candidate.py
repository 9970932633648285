"""Candidates: model configurations from a models file or ``-m`` specs."""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from champion._errors import CandidateError

__all__ = [
    "Candidate",
    "NodeNeeds",
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


class NodeNeeds(BaseModel):
    """What an embedded candidate needs of the cluster node it runs on (the models
    file's ``placement``; the ``ray`` executor reads it, the local executor ignores it).

    Attributes:
        num_cpus: CPUs the model's actor holds; default the candidate's
            ``n_threads`` option, else 1.
        num_gpus: GPUs it holds (Ray sets ``CUDA_VISIBLE_DEVICES`` to them).
        memory_gb: memory it holds (Ray's logical ``memory`` resource).
        resources: custom resources a node must advertise (``ray start
            --resources '{"vram_gb": 24}'``), amounts it holds.
        labels: node labels the node must carry (``ray start --labels``): a value,
            ``!value``, ``in(a,b)`` or ``!in(a,b)``.
        node: one node only, by its Ray node id, address or host name (where the
            model file is).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    num_cpus: float | None = Field(default=None, gt=0)
    num_gpus: float = Field(default=0.0, ge=0)
    memory_gb: float | None = Field(default=None, gt=0)
    resources: dict[str, float] = {}
    labels: dict[str, str] = {}
    node: str | None = None


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
    placement: NodeNeeds | None = None

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
            f"model spec {spec!r}: expected PROVIDER/MODEL[@BASE_URL], e.g. ollama/qwen2.5:7b"
        )
    model, at, base_url = rest.partition("@")
    if at and not base_url.startswith(("http://", "https://")):
        model, base_url, at = rest, "", ""
    if not model:
        raise CandidateError(f"model spec {spec!r}: the model name is empty")
    return Candidate(provider=provider, model=model, base_url=base_url or None)


def expand_spec(spec: str) -> list[Candidate]:
    """``builtin`` → every bundled model; otherwise one parsed spec."""
    if spec == "builtin":
        from champion._providers.builtin import BUILTIN_MODELS

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
    """Read ``models.yaml`` (or JSON): ``{models: [...]}``.

    Raises:
        CandidateError: ``path:line: problem``, whatever the file holds.
    """
    from champion._suite.problems import plain_error
    from champion._suite.source import (
        DocumentError,
        clean_message,
        describe_path,
        missing_file,
        read_document,
    )

    file = Path(path)

    def fail(line: int | None, message: str) -> CandidateError:
        where = f"{file}:{line}" if line is not None else str(file)
        return CandidateError(f"{where}: {clean_message(message)}")

    problem = missing_file(file)
    if problem is not None:
        raise fail(None, problem.replace("no such file", "no such models file"))
    try:
        document = read_document(file)
    except DocumentError as exc:
        raise fail(exc.line, str(exc)) from None
    data = document.data
    items = data.get("models") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise fail(document.line_of(("models",)) or 1, "expected a 'models' list")
    candidates = []
    for index, item in enumerate(items):
        try:
            candidate = Candidate.model_validate(item)
        except ValidationError as exc:
            at, about, message = plain_error(exc.errors()[0], Candidate)
            line = document.line_of(("models", index, *at))
            where = f"models[{index}]" + (f".{describe_path(about)}" if about else "")
            raise fail(line, f"{where}: {message}") from None
        unusable = _unusable(candidate)
        if unusable is not None:
            key, message = unusable
            raise fail(document.line_of(("models", index, key)),
                       f"models[{index}].{key}: {message}")
        candidates.append(candidate)
    return candidates


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def _unusable(candidate: Candidate) -> tuple[str, str] | None:
    """What validation lets through but a provider could not use: (key, problem)."""
    texts = {"id": candidate.id, "provider": candidate.provider, "model": candidate.model,
             "base_url": candidate.base_url or "", "api_key_env": candidate.api_key_env or "",
             "headers": "".join(f"{k}{v}" for k, v in candidate.headers.items())}
    for key, text in texts.items():
        if _CONTROL_CHARACTER.search(text):
            return key, "control characters are not allowed"
    if candidate.base_url is not None:
        from urllib.parse import urlsplit

        import httpx

        # ${VAR} is filled at run time; any value must leave a valid URL.
        url = re.sub(r"\$\{\w+\}", "0", candidate.base_url)
        try:
            parsed = httpx.URL(url)
            urlsplit(url).port  # noqa: B018 - raises on a port out of range
        except (httpx.InvalidURL, ValueError):
            return "base_url", f"not a valid URL: {candidate.base_url!r}"
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return "base_url", f"expected http(s)://HOST[:PORT]/..., got {candidate.base_url!r}"
    price = candidate.price
    numbers = [("size_gb", candidate.size_gb)] + ([] if price is None else [
        ("price", price.input_per_mtok), ("price", price.output_per_mtok)])
    for key, number in numbers:
        if number is not None and not (math.isfinite(number) and number >= 0):
            return key, "expected a finite number, 0 or more"
    return None
