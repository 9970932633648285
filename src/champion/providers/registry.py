"""Provider factories, looked up by name and imported lazily.

``import champion`` never imports llama_cpp or an HTTP stack; a factory checks
its optional dependency first and says how to install it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from champion.errors import CandidateError
from champion.providers.base import Provider
from champion.providers.candidate import Candidate

__all__ = ["create_provider", "provider_factory", "provider_names"]

ProviderFactory = Callable[[], type[Provider]]
_FACTORIES: dict[str, ProviderFactory] = {}


def provider_factory(name: str) -> Callable[[ProviderFactory], ProviderFactory]:
    """Register a factory that returns the provider class for ``name``."""

    def register(factory: ProviderFactory) -> ProviderFactory:
        _FACTORIES[name] = factory
        return factory

    return register


def provider_names() -> list[str]:
    """Names of every registered provider."""
    return sorted(_FACTORIES)


def create_provider(candidate: Candidate) -> Provider:
    """Instantiate the provider for a candidate."""
    factory = _FACTORIES.get(candidate.provider)
    if factory is None:
        raise CandidateError(
            f"unknown provider {candidate.provider!r}; known: " + ", ".join(provider_names())
        )
    return factory()(candidate)


def _require(module: str, package: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise CandidateError(
            f"this provider needs the {package!r} package: pip install 'champion[local]'"
            " (see README: llama-cpp-python must be built with portable CMAKE_ARGS)"
        )


@provider_factory("llamacpp")
def _llamacpp() -> type[Provider]:
    _require("llama_cpp", "llama-cpp-python")
    from champion.providers.llamacpp import LlamaCppProvider

    return LlamaCppProvider


@provider_factory("openai")
def _openai() -> type[Provider]:
    from champion.providers.openai import OpenAIProvider

    return OpenAIProvider


@provider_factory("ollama")
def _ollama() -> type[Provider]:
    from champion.providers.ollama import OllamaProvider

    return OllamaProvider


@provider_factory("test")
def _test() -> type[Provider]:
    from champion.providers.test import TestProvider

    return TestProvider
