"""Which cases of a run carried images, with a thumbnail for the HTML report.

The run keeps each image's name, type, size, dimensions and SHA-256 (the
suite as it ran). A thumbnail is the image itself as a ``data:`` URI, shown
small: taken from a ``data:`` URI case, or read again from its file when the
file still has the recorded content. Images past :data:`THUMBNAIL_BYTES` are
named, not embedded, so a report stays small.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from champion._results import RunResult

__all__ = ["THUMBNAIL_BYTES", "CaseImageInfo", "case_images"]

#: Largest image embedded as a thumbnail, in bytes.
THUMBNAIL_BYTES = 256 * 1024
_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")


@dataclass(frozen=True, slots=True)
class CaseImageInfo:
    """One image of a case, as a report shows it."""

    name: str
    media_type: str
    width: int | None
    height: int | None
    size: int | None
    sha256: str
    thumbnail: str | None

    @property
    def description(self) -> str:
        """``red.png, PNG 3×2, 0.1 KB``."""
        parts = [self.name, self.media_type.removeprefix("image/").upper()
                 + (f" {self.width}×{self.height}" if self.width and self.height else "")]
        if self.size is not None:
            parts.append(f"{self.size / 1024:.1f} KB")
        return ", ".join(parts)


def case_images(result: RunResult, thumbnails: bool = True) -> dict[str, list[CaseImageInfo]]:
    """Case id → its images, for the cases that carried any."""
    found: dict[str, list[CaseImageInfo]] = {}
    cases = result.suite_json.get("cases") if isinstance(result.suite_json, dict) else None
    for case in cases if isinstance(cases, list) else ():
        images = case.get("images") if isinstance(case, dict) else None
        if not images or not isinstance(images, list):
            continue
        found[str(case.get("id"))] = [_info(image, thumbnails) for image in images
                                      if isinstance(image, dict)]
    return found


def _info(image: dict[str, Any], thumbnails: bool) -> CaseImageInfo:
    source = str(image.get("source") or "")
    media_type = str(image.get("media_type") or "image")
    sha256 = str(image.get("sha256") or "")
    name = f"data:{media_type}" if source.startswith("data:") else Path(source).name

    def number(key: str) -> int | None:
        value = image.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    size = number("size")
    thumbnail = None
    if thumbnails and media_type in _TYPES and size is not None and size <= THUMBNAIL_BYTES:
        thumbnail = _thumbnail(source, image.get("path"), media_type, sha256)
    return CaseImageInfo(name, media_type, number("width"), number("height"), size, sha256,
                         thumbnail)


def _thumbnail(source: str, path: Any, media_type: str, sha256: str) -> str | None:
    """The image as a data: URI when its bytes are at hand and match the recorded hash."""
    if source.startswith("data:"):
        _head, _comma, payload = source.partition(",")
        try:
            data = base64.b64decode(payload, validate=True)
        except ValueError:
            return None
    elif isinstance(path, str):
        try:
            with open(path, "rb") as handle:
                data = handle.read(THUMBNAIL_BYTES + 1)
        except OSError:
            return None
    else:
        return None
    if hashlib.sha256(data).hexdigest() != sha256:
        return None
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
