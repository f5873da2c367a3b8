"""`POST /api/digits`: read a handwritten digit, optionally with Monte-Carlo dropout.

Three ways in, one preprocessing path out (`app.tasks.digits`):
- multipart `image` (any size PNG/JPEG/..., either ink polarity): MNIST-style
  preprocessing;
- JSON `{"pixels": 28 x 28 in 0..1}`: already MNIST layout, used as it is;
- JSON `{"image_b64": ...}` or a raw `image/*` body: as the multipart upload.
`mc_samples` and `model` come as form fields, JSON fields or query parameters. The
bodies are read by `app.inputs`.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app.config import Settings
from app.deps import RegistryDep, SettingsDep
from app.errors import BadRequest
from app.inputs import DIGIT_INPUT_BODY, read_digit_request
from app.openapi import query_parameters
from app.tasks import digits as task

router = APIRouter(prefix="/api", tags=["digits"])


class DigitsAnswer(BaseModel):
    digit: int
    probabilities: list[float]
    uncertainty: dict[str, Any]
    model: str
    input: list[list[float]] | None = Field(
        None, description="for image uploads: the 28 x 28 image the model saw, after MNIST-style preprocessing"
    )
    timing_ms: float


def _mc_samples(value: Any, settings: Settings) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"mc_samples must be a whole number, not {value!r}") from None
    if not 0 <= n <= settings.max_mc_samples:
        raise BadRequest(f"mc_samples must be between 0 and {settings.max_mc_samples}")
    return n


# The query parameters are read in the handler: declared as `Query` arguments, FastAPI's
# per-request parameter solving would cost more than the rest of the handler's Python.
# They are documented from `DigitQuery`.
class DigitQuery(BaseModel):
    mc_samples: int | None = Field(None, ge=0, description="Monte-Carlo dropout passes; 0 = off")
    model: str | None = Field(None, description="digits, digits_mlp or digits_mlp_nodropout")


@router.post(
    "/digits",
    response_model=DigitsAnswer,
    summary="Read a handwritten digit",
    openapi_extra=DIGIT_INPUT_BODY | query_parameters(DigitQuery),
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
