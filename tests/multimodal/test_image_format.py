"""Reading an image's type and size from its first bytes."""

from __future__ import annotations

import base64
import struct
from pathlib import Path

import pytest

from champion._suite.images import ImageError, image_size, load_image, sniff_media_type
from champion.testing.vision import describe_image, png_first_pixel
from tests.multimodal.images import gif, png


def jpeg(width: int, height: int) -> bytes:
    app0 = (b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00"
            + b"\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def webp(chunk: bytes, body: bytes) -> bytes:
    payload = b"WEBP" + chunk + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def test_every_format_by_magic_bytes_with_its_size() -> None:
    vp8x = webp(b"VP8X", b"\x00" * 4 + (99).to_bytes(3, "little") + (49).to_bytes(3, "little"))
    bits = (320 - 1) | ((200 - 1) << 14)
    vp8l = webp(b"VP8L", b"\x2f" + bits.to_bytes(4, "little"))
    vp8 = webp(b"VP8 ", b"\x00\x00\x00\x9d\x01\x2a" + struct.pack("<HH", 64, 48))
    cases = [(png(7, 5, (1, 2, 3)), "image/png", (7, 5)), (gif(9, 4), "image/gif", (9, 4)),
             (jpeg(800, 600), "image/jpeg", (800, 600)), (vp8x, "image/webp", (100, 50)),
             (vp8l, "image/webp", (320, 200)), (vp8, "image/webp", (64, 48))]
    for data, kind, size in cases:
        assert sniff_media_type(data) == kind
        assert image_size(data) == size, kind
    assert sniff_media_type(b"%PDF-1.7") is None and image_size(b"\x89PNG") is None


def test_first_pixel_of_a_png_whatever_its_filter() -> None:
    assert png_first_pixel(png(2, 2, (18, 52, 86))) == "#123456"
    assert describe_image(png(3, 2, (255, 0, 0))) == "png 3x2 #ff0000"
    assert describe_image(jpeg(10, 20)) == "jpeg 10x20"
    assert describe_image(b"nope") == "unreadable"


def test_data_uri_images(tmp_path: Path) -> None:
    data = jpeg(4, 4)
    image = load_image("data:image/jpg;base64," + base64.b64encode(data).decode(), tmp_path)
    assert (image.media_type, image.path, image.read()) == ("image/jpeg", None, data)
    assert image.name == "data:image/jpeg"
    with pytest.raises(ImageError, match="must be base64"):
        load_image("data:image/png,rawbytes", tmp_path)
    with pytest.raises(ImageError, match="expected one of"):
        load_image("data:text/plain;base64,aGk=", tmp_path)


def test_a_file_changed_after_loading_is_not_sent(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(png(2, 2, (0, 0, 0)))
    loaded = load_image("a.png", tmp_path)
    stored = loaded.model_validate(loaded.model_dump())  # as rebuilt from a stored run
    assert stored.read() == loaded.read()
    (tmp_path / "a.png").write_bytes(png(2, 2, (9, 9, 9)))
    with pytest.raises(ImageError, match="changed since the suite was loaded"):
        stored.read()
