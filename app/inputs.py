"""Reading request bodies: images, pixels and base64, for every router that takes them.

Each reader takes whichever body a client sent (a multipart form, JSON, or a raw
image) and gives back the same thing, so the routers only check options and call
their task. Images are decoded by `app.tasks.imaging` with the settings' limits (size
in bytes and pixels, checked before decoding); JSON is parsed once, by pydantic or,
for the plain pixels body REST clients send, by orjson straight into numpy.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import orjson
from fastapi import Request
from PIL import Image
from pydantic import BaseModel, Field, ValidationError, field_validator
from starlette.datastructures import UploadFile

from app.config import Settings
from app.errors import BadRequest, UnsupportedMediaType, parse_json_body, validation_message
from app.limits import DecodeBudget
from app.openapi import form_or_json_body
from app.tasks import digits as digits_task
from app.tasks.imaging import WORKING_SIDE, decode_base64, decode_image, image_pixels
from app.worlds.base import AskOptions

# -- digits and the autoencoder: a 28 x 28 image ----------------------------------------


def _in_range(pixels: np.ndarray) -> bool:
    return bool(np.isfinite(pixels).all() and pixels.min() >= 0 and pixels.max() <= 1)


class DigitsJson(BaseModel):
    pixels: list[list[float]] | None = Field(None, description="28 x 28 values in 0..1, MNIST layout (white ink on black)")
    image_b64: str | None = Field(None, description="a PNG/JPEG image, base64 or a data: URL")
    mc_samples: int | None = Field(None, ge=0)
    model: str | None = None

    @field_validator("pixels")
    @classmethod
    def _check_pixels(cls, rows: list[list[float]] | None) -> np.ndarray | None:
        """Checked and converted once: `pixels` holds a float32 [28, 28] array from here
        on (the annotation is what the JSON looks like, for the OpenAPI schema)."""
        if rows is None:
            return rows
        if len(rows) != digits_task.SIDE or any(len(r) != digits_task.SIDE for r in rows):
            raise ValueError("pixels must be 28 rows of 28 numbers")
        pixels = np.asarray(rows, dtype=np.float32)
        if not _in_range(pixels):
            raise ValueError("pixels must be finite numbers in 0..1")
        return pixels


# A plain pixels body is a few KB, even pretty-printed. A larger JSON body carries an
# image (`image_b64`): DigitsJson parses it once, instead of after orjson as well.
PLAIN_PIXELS_MAX_BYTES = 64 * 1024


def plain_pixels(body: bytes) -> np.ndarray | None:
    """The REST clients' usual body, exactly `{"pixels": 28 rows of 28 numbers in 0..1}`,
    parsed by orjson straight into numpy: pydantic would make 784 Python floats first,
    on the event loop every request shares.
    Anything else, every invalid body included, gives None and goes through
    `DigitsJson`, the one place that decides what is accepted and what errors say."""
    if len(body) > PLAIN_PIXELS_MAX_BYTES:
        return None
    try:
        payload = orjson.loads(body)
        if not (isinstance(payload, dict) and payload.keys() == {"pixels"}):
            return None
        numbers = np.asarray(payload["pixels"])
    except ValueError:  # not JSON, or ragged rows (orjson.JSONDecodeError is a ValueError)
        return None
    if numbers.dtype.kind not in "iuf" or numbers.shape != (digits_task.SIDE, digits_task.SIDE):
        return None  # strings, booleans, nulls, huge integers: DigitsJson's rules apply
    pixels = numbers.astype(np.float32)
    return pixels if _in_range(pixels) else None


# Smaller images decode in about a millisecond: on the event loop, that is cheaper than
# handing them to a thread and back.
INLINE_DECODE_PIXELS = 1_000_000


async def decode_upload(request: Request, data: bytes, settings: Settings) -> Image.Image:
    """Decode a large image off the event loop (a 16-megapixel PNG takes a while), within
    the app's decode budget; JPEGs at a reduced scale down to the working size."""
    pixels = image_pixels(data)
    options = {"max_bytes": settings.max_upload_bytes, "max_pixels": settings.max_image_pixels, "max_side": WORKING_SIDE}
    if pixels <= INLINE_DECODE_PIXELS:
        return decode_image(data, **options)
    budget: DecodeBudget = request.app.state.decode_budget
    async with budget.hold(pixels):
        return await asyncio.to_thread(decode_image, data, **options)


async def image_to_mnist(request: Request, data: bytes, settings: Settings) -> np.ndarray:
    return digits_task.image_to_mnist(await decode_upload(request, data, settings))


async def read_digit_request(request: Request, settings: Settings) -> tuple[np.ndarray, dict[str, Any], bool]:
    """The 28 x 28 MNIST-layout image, the options, and whether it came from an image
    (then the answer shows what preprocessing made of it), from whichever body was sent."""
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    try:
        if content_type == "multipart/form-data":
            async with request.form(max_files=1, max_fields=16) as form:
                upload = form.get("image")
                if not isinstance(upload, UploadFile):
                    raise BadRequest("send the drawing as a multipart file field named 'image'")
                data = await upload.read(settings.max_upload_bytes + 1)
                options = {k: form.get(k) for k in ("mc_samples", "model") if form.get(k) not in (None, "")}
            return await image_to_mnist(request, data, settings), options, True
        if content_type.startswith("image/"):
            return await image_to_mnist(request, await request.body(), settings), {}, True
        if content_type in ("application/json", "text/plain", ""):
            body = await request.body()
            if (pixels := plain_pixels(body)) is not None:
                return pixels, {}, False
            payload = parse_json_body(DigitsJson, body)
            options = payload.model_dump(include={"mc_samples", "model"}, exclude_none=True)
            if payload.pixels is not None:
                return np.asarray(payload.pixels, np.float32), options, False
            if payload.image_b64:
                data = decode_base64(payload.image_b64, max_bytes=settings.max_upload_bytes)
                return await image_to_mnist(request, data, settings), options, True
            raise BadRequest("the JSON body needs 'pixels' (28 x 28 in 0..1) or 'image_b64'")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    raise UnsupportedMediaType(
        f"unsupported Content-Type {content_type!r}: send multipart/form-data with an 'image' file, "
        "or JSON with 'pixels' or 'image_b64'"
    )


# The body both /api/digits and /api/autoencoder take, for the OpenAPI page.
DIGIT_INPUT_BODY = form_or_json_body(
    {
        "image": {"type": "string", "format": "binary"},
        "mc_samples": {"type": "integer", "minimum": 0},
        "model": {"type": "string"},
    },
    required=["image"],
    json_model=DigitsJson,
)


# -- vqa: an image and a question ----------------------------------------------------------


class VqaJson(AskOptions):
    image_b64: str = Field(description="a PNG/JPEG image, base64 or a data: URL")


def ask_options(fields: dict[str, Any]) -> AskOptions:
    """The options from a form's fields, checked by the same model as the JSON body."""
    try:
        return AskOptions.model_validate(fields)
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)) from None


async def read_vqa_request(request: Request, settings: Settings) -> tuple[bytes, AskOptions]:
    """The image bytes and the options, from a multipart form or a JSON body."""
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        async with request.form(max_files=1, max_fields=16) as form:
            upload = form.get("image")
            if not isinstance(upload, UploadFile):  # a form without the file
                raise BadRequest("send the picture as a multipart file field named 'image'")
            data = await upload.read(settings.max_upload_bytes + 1)
            fields = {k: form.get(k) for k in AskOptions.model_fields if form.get(k) not in (None, "")}
        return data, ask_options({"question": "", **fields})
    if content_type in ("application/json", "text/plain", ""):
        payload = parse_json_body(VqaJson, await request.body())  # invalid JSON too is a 400 there
        data = decode_base64(payload.image_b64, max_bytes=settings.max_upload_bytes)
        return data, payload
    raise UnsupportedMediaType(
        f"unsupported Content-Type {content_type!r}: send multipart/form-data with 'image' and 'question', "
        "or JSON with 'image_b64' and 'question'"
    )
