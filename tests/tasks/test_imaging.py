import base64
import io

import numpy as np
import pytest
from PIL import Image

from app.tasks.imaging import ImageError, decode_base64, decode_image
from tests.conftest import png_bytes

LIMITS = {"max_bytes": 1_000_000, "max_pixels": 1_000_000}


def test_decodes_png_and_jpeg():
    image = Image.new("RGB", (40, 30), (10, 200, 30))
    for fmt in ("PNG", "JPEG", "WEBP", "BMP", "GIF"):
        assert decode_image(png_bytes(image, fmt), **LIMITS).size == (40, 30)


def test_refuses_too_many_bytes_before_decoding():
    with pytest.raises(ImageError) as err:
        decode_image(b"x" * 2_000_001, max_bytes=2_000_000, max_pixels=10)
    assert err.value.status == 413


def test_refuses_too_many_pixels_from_the_header():
    data = png_bytes(Image.new("1", (3000, 3000)))  # a few kB on disk, 9 Mpx decoded
    assert len(data) < 50_000
    with pytest.raises(ImageError) as err:
        decode_image(data, max_bytes=1_000_000, max_pixels=1_000_000)
    assert err.value.status == 413 and "3000 x 3000" in str(err.value)


@pytest.mark.parametrize("data", [b"hello world", b"\x89PNG\r\n\x1a\n" + b"\0" * 10, b"GIF89a"])
def test_refuses_what_is_not_an_image(data):
    with pytest.raises(ImageError) as err:
        decode_image(data, **LIMITS)
    assert err.value.status in (400, 415)


def test_refuses_unlisted_formats():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="TIFF")
    with pytest.raises(ImageError) as err:
        decode_image(buffer.getvalue(), **LIMITS)
    assert err.value.status == 415


def test_truncated_file_is_a_clear_400():
    data = png_bytes(Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)))
    with pytest.raises(ImageError) as err:
        decode_image(data[: len(data) // 2], **LIMITS)
    assert err.value.status == 400


def test_empty_file():
    with pytest.raises(ImageError):
        decode_image(b"", **LIMITS)


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (40, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    assert decode_image(buffer.getvalue(), **LIMITS).size == (20, 40)


def test_base64_and_data_urls():
    raw = png_bytes(Image.new("L", (4, 4)))
    text = base64.b64encode(raw).decode()
    assert decode_base64(text, max_bytes=10_000) == raw
    assert decode_base64("data:image/png;base64," + text, max_bytes=10_000) == raw
    with pytest.raises(ImageError):
        decode_base64("not base64 !!", max_bytes=10_000)
    with pytest.raises(ImageError) as err:
        decode_base64("A" * 20_000, max_bytes=10_000)
    assert err.value.status == 413
