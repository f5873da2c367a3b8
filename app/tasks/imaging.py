"""Turning uploaded bytes into a Pillow image, safely.

Limits are checked in the cheapest order: byte count, then format and pixel count
from the header (Pillow reads only the header on `open`), and only then the decode.
EXIF orientation is applied, so a phone photo is upright, as people see it.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP", "GIF", "BMP"}


class ImageError(ValueError):
    """The bytes are not an image we can read; `status` says which HTTP error fits."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


WORKING_SIDE = 1024  # no task looks at more than this (VQA letterboxes to 1,024, photos to 512)


def image_pixels(data: bytes) -> int:
    """Width x height from the header alone (0 when it cannot be read: decode says why)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            return width * height
    except Exception:  # any unreadable header: decode_image gives the proper error
        return 0


def decode_image(data: bytes, *, max_bytes: int, max_pixels: int, max_side: int | None = None) -> Image.Image:
    """The first frame, upright. With `max_side`, a JPEG is decoded at a reduced scale
    (1/2, 1/4 or 1/8, never under `max_side`), which is several times faster and
    smaller for a phone photo; `image.info["upload_scale"]` says by how much, so
    positions can be given back in the upload's pixels."""
    if not data:
        raise ImageError("the image is empty")
    if len(data) > max_bytes:
        raise ImageError(f"the image is {len(data):,} bytes; the limit is {max_bytes:,}", status=413)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise ImageError(f"{image.format} images are not supported; send PNG, JPEG, WebP, GIF or BMP", status=415)
            width, height = image.size
            if width < 1 or height < 1 or width * height > max_pixels:
                raise ImageError(f"the image is {width} x {height} pixels; the limit is {max_pixels:,} pixels", status=413)
            if max_side and image.format == "JPEG" and max(width, height) > max_side:
                k = max_side / max(width, height)
                image.draft("RGB", (int(width * k + 1), int(height * k + 1)))
            image.load()
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)  # animated GIF or WebP: the first frame
            scale = image.size[0] / width
            # In place: the image is this function's own, and a copy costs a third of
            # decoding a small PNG.
            ImageOps.exif_transpose(image, in_place=True)
            image.info["upload_scale"] = scale
            return image
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"the image has too many pixels; the limit is {max_pixels:,}", status=413) from exc
    except UnidentifiedImageError as exc:
        raise ImageError("the file is not an image we can read; send PNG, JPEG, WebP, GIF or BMP", status=415) from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or corrupt data
        raise ImageError(f"the image could not be decoded ({exc.__class__.__name__}); is the file complete?") from exc


def upload_box(box: tuple[float, float, float, float], upload_scale: float) -> list[float]:
    """A box found in an image decoded at `upload_scale` (decode_image), in the
    upload's own pixels, to a tenth of a pixel."""
    return [round(v / upload_scale, 1) for v in box]


def letterbox(image: Image.Image, side: int) -> Image.Image:
    """The image scaled to fit a black `side` x `side` square, at its top left (its aspect
    kept: models of people read a stretched body as another pose)."""
    rgb = image.convert("RGB")
    scale = side / max(rgb.size)
    size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
    square = Image.new("RGB", (side, side))
    square.paste(rgb.resize(size, Image.Resampling.BILINEAR), (0, 0))
    return square


def decode_base64(text: str, *, max_bytes: int) -> bytes:
    """Base64 (optionally a `data:` URL) to bytes, refusing oversized input early."""
    if text.startswith("data:"):
        text = text.partition(",")[2]
    if len(text) > max_bytes * 4 // 3 + 8:
        raise ImageError(f"the image is larger than the limit of {max_bytes:,} bytes", status=413)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageError("image_b64 is not valid base64") from exc


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
