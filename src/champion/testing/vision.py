"""What the loopback servers "see" in an image: read from its bytes, for tests.

A vision model on a loopback server answers a chat that carries images with
what it reads from them: the format, width × height and, for a PNG, the
colour of its top-left pixel (``png 3x2 #ff0000``). A test that writes a tiny
image and checks the answer knows the bytes arrived whole.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib
from typing import Any

from champion._suite.images import image_size, sniff_media_type

__all__ = ["decode_base64", "describe_image", "message_text", "png_first_pixel"]


def decode_base64(text: Any) -> bytes | None:
    """Strict base64 (or a ``data:...;base64,`` URI) → bytes; None when malformed."""
    if not isinstance(text, str):
        return None
    if text.startswith("data:"):
        head, comma, text = text.partition(",")
        if not comma or not head.endswith(";base64"):
            return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def png_first_pixel(data: bytes) -> str | None:
    """``#rrggbb`` of an 8-bit PNG's top-left pixel; None for other images.

    Every PNG filter leaves the first pixel of the first row as stored (its
    left and upper neighbours count as zero), so no unfiltering is needed.
    """
    if sniff_media_type(data) != "image/png":
        return None
    at, idat, palette, header = 8, b"", b"", b""
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    if len(header) < 10 or header[8] != 8:
        return None
    try:
        row = zlib.decompressobj().decompress(idat, 8)
    except zlib.error:
        return None
    colour_type, pixel = header[9], row[1:5]
    if colour_type in (2, 6) and len(pixel) >= 3:
        rgb = pixel[:3]
    elif colour_type in (0, 4) and pixel:
        rgb = bytes([pixel[0]] * 3)
    elif colour_type == 3 and pixel and len(palette) >= 3 * (pixel[0] + 1):
        rgb = palette[3 * pixel[0]:3 * pixel[0] + 3]
    else:
        return None
    return "#" + rgb.hex()


def describe_image(data: bytes) -> str:
    """``png 3x2 #ff0000``: format, size and (PNG) first pixel; ``unreadable`` otherwise."""
    kind = sniff_media_type(data)
    if kind is None:
        return "unreadable"
    size = image_size(data)
    parts = [kind.removeprefix("image/"), f"{size[0]}x{size[1]}" if size else "?x?"]
    colour = png_first_pixel(data)
    if colour:
        parts.append(colour)
    return " ".join(parts)


def message_text(content: Any) -> str:
    """A message's text: the string, or the text parts of a content-part list."""
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content
                         if isinstance(part, dict) and part.get("type") == "text")
    return "" if content is None else str(content)
