"""`POST /api/digits`: read a handwritten digit, optionally with Monte-Carlo dropout.

Three ways in, one preprocessing path out (`app.tasks.digits`):
- multipart `image` (any size PNG/JPEG/..., either ink polarity): MNIST-style
  preprocessing;
- JSON `{"pixels": 28 x 28 in 0..1}`: already MNIST layout, used as it is;
- JSON `{"image_b64": ...}` or a raw `image/*` body: as the multipart upload.
`mc_samples` and `model` come as form fields, JSON fields or query parameters.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, field_validator
from starlette.datastructures import UploadFile

from app.config import Settings
from app.deps import RegistryDep, SettingsDep
from app.errors import BadRequest, UnsupportedMediaType, parse_json_body
from app.openapi import form_or_json_body
from app.tasks import digits as task
from app.tasks.imaging import decode_base64, decode_image

router = APIRouter(prefix="/api", tags=["digits"])


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
        if len(rows) != task.SIDE or any(len(r) != task.SIDE for r in rows):
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
    parsed by orjson straight into numpy: pydantic makes 784 Python floats first, and
    that took a tenth of the event loop's time per request (benchmarks/cpu_accounting.py).
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
    if numbers.dtype.kind not in "iuf" or numbers.shape != (task.SIDE, task.SIDE):
        return None  # strings, booleans, nulls, huge integers: DigitsJson's rules apply
    pixels = numbers.astype(np.float32)
    return pixels if _in_range(pixels) else None


class DigitsAnswer(BaseModel):
    digit: int
    probabilities: list[float]
    uncertainty: dict[str, Any]
    model: str
    input: list[list[float]] | None = Field(
        None, description="for image uploads: the 28 x 28 image the model saw, after MNIST-style preprocessing"
    )
    timing_ms: float


def _image_to_mnist(data: bytes, settings: Settings) -> np.ndarray:
    image = decode_image(data, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels)
    return task.image_to_mnist(image)


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
            return _image_to_mnist(data, settings), options, True
        if content_type.startswith("image/"):
            return _image_to_mnist(await request.body(), settings), {}, True
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
                return _image_to_mnist(data, settings), options, True
            raise BadRequest("the JSON body needs 'pixels' (28 x 28 in 0..1) or 'image_b64'")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    raise UnsupportedMediaType(
        f"unsupported Content-Type {content_type!r}: send multipart/form-data with an 'image' file, "
        "or JSON with 'pixels' or 'image_b64'"
    )


def _mc_samples(value: Any, settings: Settings) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"mc_samples must be a whole number, not {value!r}") from None
    if not 0 <= n <= settings.max_mc_samples:
        raise BadRequest(f"mc_samples must be between 0 and {settings.max_mc_samples}")
    return n


# The request body both /api/digits and /api/autoencoder take, for the OpenAPI page.
DIGIT_INPUT_BODY = form_or_json_body(
    {
        "image": {"type": "string", "format": "binary"},
        "mc_samples": {"type": "integer", "minimum": 0},
        "model": {"type": "string"},
    },
    required=["image"],
    json_model=DigitsJson,
)


# The query parameters, documented here and read in the handler: declared as `Query`
# arguments, FastAPI's per-request parameter solving would cost more than the rest of
# the handler's Python.
DIGIT_QUERY = {
    "parameters": [
        {
            "name": "mc_samples",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 0},
            "description": "Monte-Carlo dropout passes; 0 = off",
        },
        {
            "name": "model",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": "digits, digits_mlp or digits_mlp_nodropout",
        },
    ]
}


@router.post(
    "/digits",
    response_model=DigitsAnswer,
    summary="Read a handwritten digit",
    openapi_extra=DIGIT_INPUT_BODY | DIGIT_QUERY,
)
async def predict_digit(request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    start = time.perf_counter()
    image, options, from_image = await read_digit_request(request, settings)
    query = request.query_params
    name = str(options.get("model") or query.get("model") or "digits")
    request.state.model = name  # the metrics label
    served = registry.require_ready(name, task="digits")
    samples = _mc_samples(options.get("mc_samples", query.get("mc_samples") or 0), settings)
    if samples and "mc_dropout" not in served.forwards:
        raise BadRequest(f"model {name!r} has no dropout, so Monte-Carlo dropout does not apply; use mc_samples=0")

    x = task.to_model_input(image)
    probabilities = (await registry.infer(served, x))[0]
    mc = None
    if samples:
        mc = await registry.infer_alone(served, np.repeat(x, samples, axis=0), forward="mc_dropout")
    answer = task.summarise(probabilities, mc)
    answer["model"] = name
    if from_image:
        answer["input"] = np.round(image.astype(np.float64), 3).tolist()
    answer["timing_ms"] = round((time.perf_counter() - start) * 1000, 2)
    # Built by hand and returned as a Response: FastAPI then skips re-validating it
    # against DigitsAnswer (which documents it), a large share of a request's cost.
    return Response(json.dumps(answer, separators=(",", ":")), media_type="application/json")
