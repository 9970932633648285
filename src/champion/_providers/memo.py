"""Per-request preparation done once: encoded bodies, rendered prompts, tokens.

A run sends the same request objects again and again (one per case, every
batch), so providers prepare each once, outside the timed region. Entries are
keyed by the request object itself and checked by identity, so a new request
that happens to reuse a freed object's ``id`` never gets a stale entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from champion._providers.base import GenerateRequest

__all__ = ["RequestMemo"]

T = TypeVar("T")


class RequestMemo(Generic[T]):
    """A bounded memo from request objects to what a provider prepared for them."""

    __slots__ = ("_entries", "_limit")

    def __init__(self, limit: int = 4096) -> None:
        self._entries: dict[int, tuple[GenerateRequest, T]] = {}
        self._limit = limit

    def get(self, request: GenerateRequest, prepare: Callable[[GenerateRequest], T]) -> T:
        """The prepared value for ``request``, made with ``prepare`` on first use."""
        entry = self._entries.get(id(request))
        if entry is not None and entry[0] is request:
            return entry[1]
        if len(self._entries) >= self._limit:
            self._entries.clear()  # a long-lived caller with ever-new requests
        value = prepare(request)
        # Holding the request keeps its id from being reused while the entry lives.
        self._entries[id(request)] = (request, value)
        return value

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()
