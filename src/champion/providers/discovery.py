"""Expanding ``ollama/*`` into every installed model, and filtering candidates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatch

from champion.errors import CandidateError, ProviderError
from champion.providers.candidate import Candidate, public_url

__all__ = ["CandidateFilter", "discover", "expand", "with_local_size"]


@dataclass(frozen=True, slots=True)
class CandidateFilter:
    """The cookbook's candidate query: drop by name pattern or by size."""

    exclude: tuple[str, ...] = ()
    max_size_gb: float | None = None

    def keep(self, candidate: Candidate) -> bool:
        """Whether the candidate passes; unknown sizes pass the size limit."""
        names = (candidate.id, candidate.model)
        if any(fnmatch(name, pattern) for pattern in self.exclude for name in names):
            return False
        return not (self.max_size_gb is not None and candidate.size_gb is not None
                    and candidate.size_gb > self.max_size_gb)


async def discover(candidate: Candidate) -> list[Candidate]:
    """``ollama/*`` → one candidate per model in ``/api/tags`` (size from the server)."""
    if candidate.provider != "ollama":
        raise CandidateError(f"{candidate.provider}/*: discovery is available for ollama only")
    from champion.providers.ollama import OllamaProvider, installed_models

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
    from champion.providers.builtin import gguf_size_bytes

    size = gguf_size_bytes(candidate.model)
    return candidate if size is None else candidate.model_copy(update={"size_gb": size / 1e9})


async def expand(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Replace every ``*`` model by the models it discovers; size embedded models."""
    out: list[Candidate] = []
    for candidate in candidates:
        out.extend(await discover(candidate) if candidate.model == "*"
                   else [with_local_size(candidate)])
    return out
