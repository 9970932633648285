"""Images on a case: files next to the suite or ``data:`` URIs, checked at load.

A case's ``images`` are read once when the suite loads: the file must exist,
be at most :data:`MAX_IMAGE_BYTES`, and be a PNG, JPEG, WebP or GIF by its
magic bytes (the file name's extension is not trusted). What was read is kept
with the case (excluded from dumps) so a run encodes each image once, outside
the timed region, without reading the file again.

A loaded image records its media type, size, SHA-256 and pixel dimensions;
the suite's fingerprint uses the content hash, so two runs compare only when
the images are the same bytes, wherever the files lie.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "MAX_IMAGE_BYTES",
    "MEDIA_TYPES",
    "CaseImage",
    "ImageError",
    "image_size",
    "load_image",
    "sniff_media_type",
]

#: Largest image a case may carry, in bytes (20 MiB).
MAX_IMAGE_BYTES = 20 * 1024 * 1024
#: The media types a case may carry.
MEDIA_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
_DATA_URI = re.compile(r"data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[\w.+-]+)*)(;base64)?,(.*)",
                       re.DOTALL)


class ImageError(ValueError):
    """An image cannot be used: missing, unreadable, too large, or not an image."""


class CaseImage(BaseModel):
    """One image of a case, as written (``source``) and as read.

    ``source`` is the path as written in the suite (relative to the suite
    file) or a ``data:`` URI. The other fields are filled by :func:`load_image`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    path: str | None = None
    media_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    content: bytes = Field(default=b"", exclude=True, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"source": value} if isinstance(value, str) else value

    @property
    def is_data_uri(self) -> bool:
        """The image is written into the suite as a ``data:`` URI."""
        return self.source.startswith("data:")

    @property
    def name(self) -> str:
        """A short name for reports: the file name, or ``data:TYPE``."""
        if self.is_data_uri:
            return f"data:{self.media_type or 'image'}"
        return Path(self.source).name

    def read(self) -> bytes:
        """The image's bytes: kept from loading, else read again and checked.

        Raises:
            ImageError: the file is gone or no longer has the recorded content.
        """
        if self.content:
            return self.content
        again = load_image(self.source, Path(self.path).parent if self.path else Path.cwd())
        if self.sha256 is not None and again.sha256 != self.sha256:
            raise ImageError(f"{self.name}: the image changed since the suite was loaded")
        return again.content

    def base64(self) -> str:
        """The image's bytes in base64 (what both HTTP protocols carry)."""
        return base64.b64encode(self.read()).decode("ascii")


def sniff_media_type(data: bytes) -> str | None:
    """The media type the magic bytes say, among :data:`MEDIA_TYPES`; None otherwise."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels from the image's header; None when it does not say."""
    try:
        kind = sniff_media_type(data)
        if kind == "image/png" and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return width, height
        if kind == "image/gif":
            width, height = struct.unpack("<HH", data[6:10])
            return width, height
        if kind == "image/webp":
            return _webp_size(data)
        if kind == "image/jpeg":
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


# Start-of-frame markers; C4 (Huffman tables), C8 and CC (arithmetic coding) are not frames.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            at += 2
            continue
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        at += 2 + length
    return None


def load_image(source: str, base: Path) -> CaseImage:
    """Read and check one image: a path (relative to ``base``) or a ``data:`` URI.

    Raises:
        ImageError: saying what is wrong (no such file, too large, not a PNG,
            JPEG, WebP or GIF, a malformed ``data:`` URI).
    """
    if not isinstance(source, str) or not source.strip():
        raise ImageError("an image must be a file path or a data: URI")
    if source.startswith("data:"):
        data, declared = _from_data_uri(source)
        path = None
    else:
        file = base / source
        data = _read_file(file, source)
        declared, path = None, str(file.resolve())
    what = "the data: URI" if path is None else source
    if not data:
        raise ImageError(f"{what}: empty image")
    kind = sniff_media_type(data)
    if kind is None:
        raise ImageError(f"{what}: not a PNG, JPEG, WebP or GIF image (by its first bytes)")
    if declared is not None and declared != kind:
        raise ImageError(f"{what}: says {declared} but the bytes are {kind}")
    size = image_size(data)
    return CaseImage(source=source, path=path, media_type=kind, size=len(data),
                     sha256=hashlib.sha256(data).hexdigest(),
                     width=size[0] if size else None, height=size[1] if size else None,
                     content=data)


def _too_large(what: str, size: int) -> ImageError:
    return ImageError(f"{what}: image too large: {size / 2**20:.1f} MiB"
                      f" (the limit is {MAX_IMAGE_BYTES // 2**20} MiB)")


def _read_file(file: Path, shown: str) -> bytes:
    try:
        if not file.is_file():
            raise ImageError(f"{shown}: " + ("not a file" if file.exists() else "no such file"))
        size = file.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise _too_large(shown, size)
        with file.open("rb") as handle:
            data = handle.read(MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        raise ImageError(f"{shown}: cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise _too_large(shown, len(data))
    return data


def _from_data_uri(uri: str) -> tuple[bytes, str | None]:
    match = _DATA_URI.fullmatch(uri)
    if match is None:
        raise ImageError("malformed data: URI (expected data:image/TYPE;base64,...)")
    declared, is_base64, payload = match.group(1), match.group(3), match.group(4)
    if not is_base64:
        raise ImageError("a data: URI image must be base64 (data:image/TYPE;base64,...)")
    if len(payload) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise _too_large("the data: URI", len(payload) * 3 // 4)
    try:
        data = base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("the data: URI is not valid base64") from None
    if declared is None:
        return data, None
    declared = {"image/jpg": "image/jpeg"}.get(declared.lower(), declared.lower())
    if declared not in MEDIA_TYPES:
        raise ImageError(f"the data: URI says {declared}; expected one of "
                         + ", ".join(MEDIA_TYPES))
    return data, declared
