"""Autoencoders: compress, rebuild, denoise and score a drawing; the article's toy.

`POST /api/autoencoder` takes the same inputs as `/api/digits` (multipart `image`,
JSON `pixels` or `image_b64`) through the same MNIST-style preprocessing.
"""

from __future__ import annotations

import base64
import json
import time

import numpy as np
from fastapi import APIRouter, Request, Response
from PIL import Image
from pydantic import BaseModel, Field

from app.deps import RegistryDep, SettingsDep
from app.inputs import DIGIT_INPUT_BODY, read_digit_request
from app.openapi import query_parameters
from app.tasks import autoencoder as task
from app.tasks import digits as digits_task
from app.tasks.imaging import png_bytes

router = APIRouter(prefix="/api/autoencoder", tags=["autoencoder"])
NOISE_SEED = 0  # the page's noisy version of a drawing is the same every time


def _png_b64(image: np.ndarray) -> str:
    pixels = np.clip(np.rint(np.asarray(image).reshape(28, 28) * 255), 0, 255).astype(np.uint8)
    return base64.b64encode(png_bytes(Image.fromarray(pixels, mode="L"))).decode()


class AutoencoderQuery(BaseModel):  # documentation only: the handler reads the query itself
    model: str | None = Field(None, description="autoencoder (the default), autoencoder_2d or autoencoder_denoise")


@router.post(
    "",
    summary="Compress a digit to its code, rebuild it, and score how digit-like it is",
    openapi_extra=DIGIT_INPUT_BODY | query_parameters(AutoencoderQuery),
)
async def autoencode(request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    start = time.perf_counter()
    image, options, from_image = await read_digit_request(request, settings)
    name = str(options.get("model") or request.query_params.get("model") or "autoencoder")
    request.state.model = name  # the metrics label
    served = registry.require_ready(name, task="autoencoder")
    x = digits_task.to_model_input(image)

    rebuilt = (await registry.infer(served, x))[0]
    code = (await registry.infer_alone(served, x, forward="encode"))[0]
    error = float(task.sse(x, rebuilt[None])[0])
    answer: dict = {
        "model": name,
        "code": [round(float(v), 4) for v in code],
        "reconstruction": np.round(rebuilt.reshape(28, 28).astype(np.float64), 3).tolist(),
        "reconstruction_png": _png_b64(rebuilt),
        "reconstruction_error": round(error, 4),
    }
    quantiles = served.card.get("error_quantiles")
    if quantiles:
        percentile = task.percentile_of(error, quantiles)
        limit = float(served.card.get("anomaly_percentile", task.ANOMALY_PERCENTILE))
        answer.update(percentile=round(percentile, 2), anomaly=percentile > limit, anomaly_percentile=limit)
    else:  # a model trained without calibration cannot say what is unusual
        answer.update(percentile=None, anomaly=None, anomaly_percentile=None)

    map_model = registry.ready_model("autoencoder_2d")
    answer["latent_2d"] = None
    if map_model is not None:
        point = (await registry.infer_alone(map_model, x, forward="encode"))[0]
        answer["latent_2d"] = [round(float(v), 4) for v in point]
        bounds = map_model.card.get("latent_bounds")
        if bounds and map_model.card.get("artifacts"):
            answer["latent_map"] = {
                "url": f"/api/models/autoencoder_2d/files/{map_model.card['artifacts'][0]}",
                "position": task.map_position(point, bounds, map_model.card.get("latent_transform")),
            }
    denoiser = registry.ready_model("autoencoder_denoise")
    if denoiser is not None:
        noisy = task.add_noise(x, np.random.default_rng(NOISE_SEED))
        cleaned = (await registry.infer(denoiser, noisy))[0]
        answer.update(noisy_png=_png_b64(noisy), denoised_png=_png_b64(cleaned), noise_std=task.NOISE_STD)
    if from_image:
        answer["input"] = np.round(image.astype(np.float64), 3).tolist()
    answer["input_png"] = _png_b64(image)
    answer["timing_ms"] = round((time.perf_counter() - start) * 1000, 2)
    return Response(json.dumps(answer, separators=(",", ":")), media_type="application/json")


@router.get("/toy", summary="The article's 4-2-4 autoencoder on each one-hot input")
async def toy(registry: RegistryDep) -> dict:
    served = registry.require_ready("autoencoder_toy", task="autoencoder_toy")
    return {
        "model": served.name,
        "rows": served.answers["toy"],
        "epochs_to_solve": served.card.get("epochs_to_solve"),
    }
