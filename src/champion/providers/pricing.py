"""List prices from LiteLLM's bundled price map, read offline.

The map ships inside the ``litellm`` package as a JSON file; it is read
directly (importing litellm would try to fetch a newer map from the network).
Prices there are USD per token; champion works in USD per million tokens.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["ListPrice", "litellm_price"]

ListPrice = tuple[float, float, str]
_MAP_FILE = "model_prices_and_context_window_backup.json"
_HOST_PREFIXES = {"openrouter.ai": "openrouter/", "api.cloudflare.com": "cloudflare/",
                  "api.groq.com": "groq/", "api.together.xyz": "together_ai/",
                  "api.deepinfra.com": "deepinfra/", "api.mistral.ai": "mistral/"}


@lru_cache(maxsize=1)
def _price_map() -> tuple[dict[str, Any], str] | None:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / _MAP_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        version = importlib.metadata.version("litellm")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return data, version


def litellm_price(model: str, base_url: str | None) -> ListPrice | None:
    """(input, output) USD per million tokens and the source, or None when unknown."""
    loaded = _price_map()
    if loaded is None:
        return None
    prices, version = loaded
    keys = [model]
    for host, prefix in _HOST_PREFIXES.items():
        if base_url and host in base_url:
            keys.insert(0, prefix + model)
    for key in keys:
        entry = prices.get(key)
        if not isinstance(entry, dict):
            continue
        given_in, given_out = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
        if isinstance(given_in, int | float) and isinstance(given_out, int | float):
            return given_in * 1e6, given_out * 1e6, f"litellm {version} ({key})"
    return None
