"""Expanding ``ollama/*`` into every installed model, and filtering candidates.

Capabilities are what a model can do, in Ollama's words (``completion``,
``vision``, ``tools``, ``thinking``, ``embedding``, ``insert``): Ollama lists
them in ``/api/show``; an embedded model can complete, and see when it has a
vision projector; other endpoints do not say (unknown).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch

from champion._errors import CandidateError, ProviderError
from champion._providers.candidate import Candidate, public_url

__all__ = ["CandidateFilter", "capabilities", "discover", "expand", "with_local_size"]

#: A candidate's capabilities; None when its backend does not say.
Capabilities = tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class CandidateFilter:
    """The cookbook's candidate query: drop by name pattern, size or capability.

    ``require``: capabilities a model must be known to have; ``exclude_capabilities``:
    capabilities a model must not be known to have (``vision`` and ``insert``
    leave out vision and code-completion models).
    """

    exclude: tuple[str, ...] = ()
    max_size_gb: float | None = None
    require: tuple[str, ...] = ()
    exclude_capabilities: tuple[str, ...] = ()

    def keep(self, candidate: Candidate) -> bool:
        """Whether the candidate passes the name and size tests; unknown sizes pass."""
        names = (candidate.id, candidate.model)
        if any(fnmatch(name, pattern) for pattern in self.exclude for name in names):
            return False
        return not (self.max_size_gb is not None and candidate.size_gb is not None
                    and candidate.size_gb > self.max_size_gb)

    @property
    def by_capability(self) -> bool:
        """Whether the filter looks at capabilities at all."""
        return bool(self.require or self.exclude_capabilities)

    def keep_capabilities(self, found: Capabilities) -> bool:
        """Whether capabilities ``found`` pass: unknown ones fail ``require`` and
        pass ``exclude_capabilities``."""
        if self.require and (found is None or not set(self.require) <= set(found)):
            return False
        return found is None or not set(self.exclude_capabilities) & set(found)


async def _ollama_capabilities(candidates: Sequence[Candidate]) -> list[Capabilities]:
    from champion._providers.ollama import OllamaProvider, model_capabilities

    servers: dict[str | None, OllamaProvider] = {}
    found: list[Capabilities] = []
    try:
        for candidate in candidates:
            server = candidate.resolved_base_url()
            if server not in servers:
                servers[server] = OllamaProvider(candidate)
            found.append(await model_capabilities(servers[server], candidate.model))
    finally:
        for provider in servers.values():
            await provider.aclose()
    return found


async def _embedded_capabilities(candidates: Sequence[Candidate]) -> list[Capabilities]:
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is None:  # nothing can run them: unknown
        return [None for _ in candidates]
    return [("completion", "vision") if c.options.get("clip_model_path") else ("completion",)
            for c in candidates]


_LOOKUPS: dict[str, Callable[[Sequence[Candidate]], Awaitable[list[Capabilities]]]] = {
    "ollama": _ollama_capabilities,
    "llamacpp": _embedded_capabilities,
}


async def capabilities(candidates: Sequence[Candidate]) -> list[Capabilities]:
    """Each candidate's capabilities, in order (None where the backend does not say)."""
    found: list[Capabilities] = [None] * len(candidates)
    for provider, lookup in _LOOKUPS.items():
        places = [i for i, c in enumerate(candidates) if c.provider == provider]
        if places:
            for place, caps in zip(places, await lookup([candidates[i] for i in places]),
                                   strict=True):
                found[place] = caps
    return found


async def discover(candidate: Candidate) -> list[Candidate]:
    """``ollama/*`` → one candidate per model in ``/api/tags`` (size from the server)."""
    if candidate.provider != "ollama":
        raise CandidateError(f"{candidate.provider}/*: discovery is available for ollama only")
    from champion._providers.ollama import OllamaProvider, installed_models

    provider = OllamaProvider(candidate)
    try:
        models = await installed_models(provider)
    except ProviderError as exc:
        raise CandidateError(f"cannot list the models of {public_url(provider.base_url)}:"
                             f" {exc}") from None
    finally:
        await provider.aclose()
    found = []
    for entry in models:
        name = str(entry.get("name") or entry.get("model") or "")
        if not name:
            continue
        size = entry.get("size")
        found.append(Candidate(
            provider="ollama", model=name, base_url=candidate.base_url,
            options=candidate.options, headers=candidate.headers,
            size_gb=size / 1e9 if isinstance(size, int | float) else None,
        ))
    return sorted(found, key=lambda c: c.model)


def with_local_size(candidate: Candidate) -> Candidate:
    """An embedded candidate with the size of its GGUF file, when the file says."""
    if candidate.provider != "llamacpp" or candidate.size_gb is not None:
        return candidate
    from champion._providers.builtin import gguf_size_bytes

    size = gguf_size_bytes(candidate.model)
    return candidate if size is None else candidate.model_copy(update={"size_gb": size / 1e9})


async def expand(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Replace every ``*`` model by the models it discovers; size embedded models."""
    out: list[Candidate] = []
    for candidate in candidates:
        out.extend(await discover(candidate) if candidate.model == "*"
                   else [with_local_size(candidate)])
    return out
