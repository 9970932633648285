"""What ``champion models`` shows of each candidate: its backend, size, capabilities,
and for an embedded model where its ``.gguf`` file is (never assembling one to say so)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from champion._providers.builtin import gguf_location
from champion._providers.candidate import Candidate
from champion._providers.discovery import Capabilities

__all__ = ["CandidateListing", "listings"]


@dataclass(frozen=True, slots=True)
class CandidateListing:
    """One candidate as listed.

    ``path`` and ``file`` are set for embedded models only: the ``.gguf`` path
    (for a bundled model not assembled yet, where it will be) and ``present``,
    ``not assembled yet`` or ``missing``.
    """

    id: str
    provider: str
    model: str
    base_url: str | None
    size_gb: float | None
    capabilities: tuple[str, ...] | None
    path: str | None = None
    file: str | None = None
    #: Why the file is missing, when it is.
    file_error: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON object of ``champion models --format json``."""
        return {"id": self.id, "provider": self.provider, "model": self.model,
                "base_url": self.base_url, "size_gb": self.size_gb,
                "capabilities": list(self.capabilities) if self.capabilities is not None
                else None, "path": self.path, "file": self.file,
                "file_error": self.file_error}


def listings(candidates: Sequence[Candidate],
             found: Sequence[Capabilities]) -> list[CandidateListing]:
    """Each candidate with its capabilities (from :func:`discovery.capabilities`)."""
    out = []
    for candidate, caps in zip(candidates, found, strict=True):
        path = file = error = None
        if candidate.provider == "llamacpp":
            location = gguf_location(candidate.model)
            path = None if location.path is None else str(location.path)
            file, error = location.state, location.reason
        out.append(CandidateListing(
            id=candidate.id, provider=candidate.provider, model=candidate.model,
            base_url=candidate.resolved_base_url(), size_gb=candidate.size_gb,
            capabilities=caps, path=path, file=file, file_error=error))
    return out
