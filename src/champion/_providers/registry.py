"""Provider classes, looked up by name and imported lazily.

``import champion`` never imports llama_cpp or an HTTP stack; a factory checks
its optional dependency first and says how to install it. Third-party
providers register through the ``champion._providers`` entry-point group (the
object is a :class:`~champion._providers.base.Provider` subclass).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from champion._errors import CandidateError, InputError, MissingDependency
from champion._plugins import Registry
from champion._providers.base import Provider
from champion._providers.candidate import Candidate

__all__ = ["create_provider", "provider_factory", "provider_names", "providers",
           "register_provider"]

ProviderFactory = Callable[[], type[Provider]]

#: Every provider class, by name.
providers: Registry[type[Provider]] = Registry("provider", "champion._providers")

#: What Getting started tells users to install for the embedded provider.
LOCAL_INSTALL = ("pip install 'champion[local]' with the portable build flags:"
                 " CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
                 " -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF'")


def provider_factory(name: str) -> Callable[[ProviderFactory], ProviderFactory]:
    """Register a factory that returns the provider class for ``name``."""
    return providers.register(name)


def register_provider(provider: type[Provider]) -> type[Provider]:
    """Make ``provider`` available under its :attr:`~Provider.name` in this process.

    Returns the class, so it also works as a class decorator. A package registers
    for every ``champion`` command through the ``champion._providers`` entry-point
    group instead.
    """
    providers.add(provider.name, provider)
    return provider


def provider_names() -> list[str]:
    """Names of every registered provider."""
    return providers.names()


def create_provider(candidate: Candidate) -> Provider:
    """Instantiate the provider for a candidate.

    Raises:
        MissingDependency: the provider's package is not installed.
        CandidateError: no such provider, or the candidate is unusable.
    """
    try:
        cls = providers.get(candidate.provider)
    except MissingDependency:
        raise
    except InputError as exc:
        raise CandidateError(str(exc)) from None
    return cls(candidate)


def _require(module: str, package: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise MissingDependency(f"the {package} package is not installed: {LOCAL_INSTALL}",
                                package)


@provider_factory("llamacpp")
def _llamacpp() -> type[Provider]:
    _require("llama_cpp", "llama-cpp-python")
    from champion._providers.llamacpp import LlamaCppProvider

    return LlamaCppProvider


@provider_factory("openai")
def _openai() -> type[Provider]:
    from champion._providers.openai import OpenAIProvider

    return OpenAIProvider


@provider_factory("ollama")
def _ollama() -> type[Provider]:
    from champion._providers.ollama import OllamaProvider

    return OllamaProvider


@provider_factory("test")
def _test() -> type[Provider]:
    from champion._providers.test import TestProvider

    return TestProvider
