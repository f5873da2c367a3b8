"""Visual question answering: `POST /api/vqa` and the sample scenes.

Two ways in, one preprocessing path out (`app.tasks.vqa`, as in training):
- multipart `image` (file) + `question` (text), optional `top_k`, `explain`, `model`;
- JSON `{"image_b64", "question", "top_k", "explain", "model"}`.

Every answer also says which words the model does not know and whether the image
looks like anything it was trained on (the `scene_ood` autoencoder, run beside the VQA
model on its own thread). A photo still gets its answers, with the warning.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from app.config import ROOT, Settings
from app.deps import RegistryDep, SettingsDep
from app.errors import BadRequest, NotFound, UnsupportedMediaType, parse_json_body
from app.openapi import form_or_json_body
from app.registry import ModelRegistry, ModelState
from app.tasks import vqa as task
from app.tasks.imaging import decode_base64, decode_image, png_bytes

router = APIRouter(prefix="/api/vqa", tags=["vqa"])

OOD_MODEL = "scene_ood"
FIELDS = ("question", "top_k", "explain", "model")


class VqaJson(BaseModel):
    image_b64: str = Field(description="a PNG/JPEG image, base64 or a data: URL")
    question: str
    top_k: int | None = None
    explain: bool | None = None
    model: str | None = None


class VqaAnswer(BaseModel):
    question: str
    answers: list[dict[str, Any]] = Field(description="[{answer, probability}], highest first")
    unknown_words: list[str]
    out_of_distribution: bool
    ood_score: float | None = Field(description="reconstruction error / calibrated threshold; >= 1 is out of distribution")
    model: str
    timing_ms: float
    heatmap_png: str | None = Field(None, description="with explain: base64 RGBA PNG, square, to lay over the letterboxed image")


VQA_BODY = form_or_json_body(
    {
        "image": {"type": "string", "format": "binary"},
        "question": {"type": "string", "example": "What color is the large circle?"},
        "top_k": {"type": "integer", "minimum": 1, "maximum": 22, "default": 5},
        "explain": {"type": "boolean", "default": False},
        "model": {"type": "string", "enum": ["vqa", "vqa_baseline"], "default": "vqa"},
    },
    required=["image", "question"],
    json_model=VqaJson,
)


async def read_vqa_request(request: Request, settings: Settings) -> tuple[bytes, dict[str, Any]]:
    """The image bytes and the options, from a multipart form or a JSON body."""
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        async with request.form(max_files=1, max_fields=16) as form:
            upload = form.get("image")
            if not isinstance(upload, UploadFile):  # a form without the file
                raise BadRequest("send the picture as a multipart file field named 'image'")
            data = await upload.read(settings.max_upload_bytes + 1)
            options = {k: form.get(k) for k in FIELDS if form.get(k) not in (None, "")}
        return data, options
    if content_type in ("application/json", "text/plain", ""):
        payload = parse_json_body(VqaJson, await request.body())  # invalid JSON too is a 400 there
        data = decode_base64(payload.image_b64, max_bytes=settings.max_upload_bytes)
        return data, payload.model_dump(include=set(FIELDS), exclude_none=True)
    raise UnsupportedMediaType(
        f"unsupported Content-Type {content_type!r}: send multipart/form-data with 'image' and 'question', "
        "or JSON with 'image_b64' and 'question'"
    )


def _question(value: Any, settings: Settings) -> str:
    question = str(value or "").strip()
    if not question:
        raise BadRequest("ask a question, for example 'What color is the large circle?'")
    if len(question) > settings.max_question_chars:
        raise BadRequest(f"the question is {len(question)} characters; the limit is {settings.max_question_chars}")
    return question


def _top_k(value: Any, n_answers: int) -> int:
    try:
        k = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"top_k must be a whole number, not {value!r}") from None
    if not 1 <= k <= n_answers:
        raise BadRequest(f"top_k must be between 1 and {n_answers}")
    return k


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise BadRequest(f"explain must be true or false, not {value!r}")


async def _ood_score(registry: ModelRegistry, image, x: np.ndarray) -> float | None:
    """Reconstruction error over the calibrated threshold, or None without the model."""
    served = registry.models.get(OOD_MODEL)
    if served is None or served.state is not ModelState.READY:
        return None
    side = served.input_shape[0]
    scene = x if x.shape[1] == side else task.image_to_array(image, side)[None]
    rebuilt = await registry.infer(served, scene)
    return float(task.reconstruction_error(scene, rebuilt)[0] / served.card["ood_threshold"])


async def _heatmap(served, pixels: np.ndarray, question_ids: np.ndarray, probabilities: np.ndarray, settings: Settings) -> str:
    best = int(np.argmax(probabilities))
    copies = task.occluded_copies(pixels)
    rows = (task.pixels_to_input(copies), np.repeat(question_ids[None], len(copies), axis=0))
    occluded = await served.batcher.run_alone(served.batcher.forward, rows, deadline_s=settings.request_deadline_s)
    heat = task.occlusion_map(float(probabilities[best]), occluded[:, best], pixels.shape[0])
    return base64.b64encode(png_bytes(task.heatmap_image(heat))).decode("ascii")


@router.post("", response_model=VqaAnswer, summary="Answer a question about an image", openapi_extra=VQA_BODY)
async def answer_question(request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    start = time.perf_counter()
    data, options = await read_vqa_request(request, settings)
    name = str(options.get("model") or "vqa")
    request.state.model = name  # the metrics label
    served = registry.require_ready(name, task="vqa")
    encoder: task.QuestionEncoder = served.assets["encoder"]
    labels: list[str] = served.assets["labels"]
    question = _question(options.get("question"), settings)
    top_k = _top_k(options.get("top_k", 5), len(labels))
    explain = _flag(options.get("explain", False))

    image = decode_image(data, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels)
    pixels = task.image_to_pixels(image, served.input_shape[0])
    x = task.pixels_to_input(pixels)[None]
    ids, unknown = encoder.encode(question)
    probabilities, ood_score = await asyncio.gather(registry.infer(served, (x, ids[None])), _ood_score(registry, image, x))
    probabilities = probabilities[0]

    answer: dict[str, Any] = {
        "question": question,
        "answers": task.top_answers(probabilities, labels, top_k),
        "unknown_words": unknown,
        "out_of_distribution": bool(ood_score is not None and ood_score >= 1.0),
        "ood_score": None if ood_score is None else round(ood_score, 4),
        "model": name,
    }
    if explain:
        answer["heatmap_png"] = await _heatmap(served, pixels, ids, probabilities, settings)
    answer["timing_ms"] = round((time.perf_counter() - start) * 1000, 2)
    return Response(json.dumps(answer, separators=(",", ":")), media_type="application/json")


# -- samples ------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _load_samples(folder: Path) -> list[dict]:
    try:
        data = json.loads((folder / "samples.json").read_text())
    except (OSError, ValueError):
        return []
    static = ROOT / "static"
    base = f"/static/{folder.relative_to(static).as_posix()}" if folder.is_relative_to(static) else None
    return [
        {
            "id": s["id"],
            "image_url": f"{base}/{s['file']}" if base else None,
            "width": s["size"],
            "height": s["size"],
            "questions": s["questions"],
            "objects": [{k: o[k] for k in ("shape", "color", "size", "pixel_coords", "bbox")} for o in s["scene"]["objects"]],
        }
        for s in data["samples"]
    ]


@router.get("/samples", summary="Sample scenes with suggested questions (and their true answers)")
async def samples(settings: SettingsDep) -> dict:
    found = _load_samples(settings.samples_dir)
    if not found:
        raise NotFound("no sample scenes on this server (run `python -m training.datasets.shapes_files samples`)")
    return {"samples": found}
