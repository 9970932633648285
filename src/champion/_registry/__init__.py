"""The registry: promotions and stages, run history, and the Router that serves them.

Names are imported on first use, so importing one part does not load the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from champion._lazy import lazy_exports

if TYPE_CHECKING:
    from champion._registry.entries import STAGES, RegisteredModel, Registry, RegistryEntry

_LAZY = {
    "STAGES": "champion._registry.entries",
    "RegisteredModel": "champion._registry.entries",
    "Registry": "champion._registry.entries",
    "RegistryEntry": "champion._registry.entries",
}

__all__ = ["STAGES", "RegisteredModel", "Registry", "RegistryEntry"]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
