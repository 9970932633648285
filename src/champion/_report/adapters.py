"""LoRA adapters in a run, each beside its base model when both ran.

An adapter's key is its base model's key with ``+lora:<sha256[:12]>`` added
(see the embedded provider), so the base is found by key, never by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from champion._ranking import ModelRanking

__all__ = ["AdapterLine", "adapter_lines", "memory_text"]

_MARK = "+lora:"


@dataclass(frozen=True, slots=True)
class AdapterLine:
    """One adapter: its line, its base's line when the base ran too, and what it is."""

    adapter: ModelRanking
    base: ModelRanking | None
    file: str
    sha256: str
    scale: float | None


def adapter_lines(models: Sequence[ModelRanking]) -> dict[str, AdapterLine]:
    """Adapter model id → its :class:`AdapterLine`, for every adapter in the run."""
    by_key = {m.key: m for m in models if m.key}
    found = {}
    for line in models:
        if _MARK not in line.key:
            continue
        lora: dict[str, Any] = line.identity.get("lora") or {}
        scale = lora.get("scale")
        found[line.model] = AdapterLine(
            adapter=line, base=by_key.get(line.key.split(_MARK, 1)[0]),
            file=str(lora.get("file") or "?"),
            sha256=str(lora.get("sha256") or line.key.split(_MARK, 1)[1]),
            scale=float(scale) if isinstance(scale, int | float) else None)
    return found


def memory_text(line: ModelRanking) -> str:
    """The memory a model took, ``130 MB`` or ``3.0 GB``, with the share in VRAM
    when its server said; ``—`` when unknown."""
    if line.memory_mb is None:
        return "—"
    text = _size(line.memory_mb)
    loaded = line.identity.get("loaded")
    vram = loaded.get("size_vram") if isinstance(loaded, dict) else None
    if isinstance(vram, int):
        text += f" ({_size(vram / 1e6)} in VRAM)"
    return text


def _size(megabytes: float) -> str:
    return f"{megabytes / 1000:.1f} GB" if megabytes >= 1000 else f"{megabytes:.0f} MB"
