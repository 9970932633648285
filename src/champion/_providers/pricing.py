"""List prices from LiteLLM's bundled price map, read offline.

The map ships inside the ``litellm`` package as a JSON file; it is read
directly (importing litellm would try to fetch a newer map from the network).
Prices there are USD per token; champion works in USD per million tokens.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
from functools import lru_cache
from pathlib import Path

__all__ = ["ListPrice", "litellm_price"]

ListPrice = tuple[float, float, str]
_MAP_FILE = "model_prices_and_context_window_backup.json"
_HOST_PREFIXES = {"openrouter.ai": "openrouter/", "api.cloudflare.com": "cloudflare/",
                  "api.groq.com": "groq/", "api.together.xyz": "together_ai/",
                  "api.deepinfra.com": "deepinfra/", "api.mistral.ai": "mistral/"}


@lru_cache(maxsize=1)
def _price_map() -> tuple[dict[str, tuple[float, float]], str] | None:
    """Model key → (input, output) USD per token, and the litellm version.

    The bundled map is a few MB of JSON; its prices are kept in a small index
    under the user's cache folder, keyed by the map file's size and time, so a
    run does not spend a noticeable part of its start-up parsing it.
    """
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / _MAP_FILE
    try:
        stat = path.stat()
    except OSError:
        return None
    index = _cache_folder() / f"litellm-prices-{stat.st_size}-{stat.st_mtime_ns}.json"
    try:
        cached = json.loads(index.read_text(encoding="utf-8"))
        return {k: (v[0], v[1]) for k, v in cached["prices"].items()}, str(cached["version"])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        pass
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    prices = {key: (entry["input_cost_per_token"], entry["output_cost_per_token"])
              for key, entry in data.items() if isinstance(entry, dict)
              and isinstance(entry.get("input_cost_per_token"), int | float)
              and isinstance(entry.get("output_cost_per_token"), int | float)}
    try:
        version = importlib.metadata.version("litellm")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        index.write_text(json.dumps({"version": version, "prices": prices}), encoding="utf-8")
    except OSError:
        pass  # a read-only home only costs parsing the map next time
    return prices, version


def _cache_folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "champion"


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
        price = prices.get(key)
        if price is not None:
            return price[0] * 1e6, price[1] * 1e6, f"litellm {version} ({key})"
    return None
