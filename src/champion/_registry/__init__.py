"""The registry: promotions and stages, run history, and the Router that serves them.

Names are imported on first use, so importing one part does not load the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from champion._registry.entries import STAGES, RegisteredModel, Registry, RegistryEntry

_LAZY = {
    "STAGES": "champion._registry.entries",
    "RegisteredModel": "champion._registry.entries",
    "Registry": "champion._registry.entries",
    "RegistryEntry": "champion._registry.entries",
}

__all__ = ["STAGES", "RegisteredModel", "Registry", "RegistryEntry"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'champion._registry' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
