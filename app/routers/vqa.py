"""Visual question answering: `POST /api/vqa` and the sample scenes.

Two ways in, one preprocessing path out (`app.worlds.shapes.preprocessing`, as in training):
- multipart `image` (file) + `question` (text), optional `top_k`, `explain`, `model`;
- JSON `{"image_b64", "question", "top_k", "explain", "model"}`.

The router reads and checks the request, then makes one call into the task
(`app.worlds.shapes.answer.answer`), which reads the question, asks the model and says
how sure it is.
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.config import ROOT, Settings
from app.deps import RegistryDep, SettingsDep
from app.errors import BadRequest, NotFound
from app.inputs import VqaJson, decode_upload, read_vqa_request
from app.openapi import form_or_json_body
from app.worlds.photo import answer as photo_answer
from app.worlds.shapes import answer as vqa_answer
from app.worlds.shapes import claim as world

router = APIRouter(prefix="/api/vqa", tags=["vqa"])


class AnswerItem(BaseModel):
    answer: str
    probability: float = Field(ge=0, le=1)


class Correction(BaseModel):
    from_: str = Field(alias="from", description="the word as typed")
    to: str = Field(description="the word it was read as")


class Ambiguity(BaseModel):
    reference: str = Field(description="the words that name several objects")
    matches: int = Field(description="how many objects they name, as the model counted")


class PhotoClass(BaseModel):
    label: str = Field(description="an ImageNet-1k class")
    probability: float = Field(ge=0, le=1)
    kind: str | None = Field(None, description="the kind people would name it by (cat, dog, car), if it has one")


class PhotoKind(BaseModel):
    kind: str
    probability: float = Field(ge=0, le=1, description="the summed probability of the kind's classes")


class PhotoObject(BaseModel):
    label: str = Field(description="a COCO-80 class")
    score: float = Field(ge=0, le=1)
    box: list[float] = Field(description="x1, y1, x2, y2 in the uploaded image's pixels (after EXIF rotation)")


class PhotoWord(BaseModel):
    text: str
    confidence: float = Field(ge=0, le=1)
    box: list[float] = Field(description="x1, y1, x2, y2 in the uploaded image's pixels")


class PhotoEvidence(BaseModel):
    classes: list[PhotoClass] = Field(description="the classifier's top five classes")
    kinds: list[PhotoKind] = Field(description="the classifier's top kinds")
    objects: list[PhotoObject] = Field(description="the detector's boxes, best first")
    text: list[PhotoWord] = Field(description="for a question about text: the words Tesseract read clearly")


class VqaAnswer(BaseModel):
    question: str
    world: str = Field(
        description="which models answered: 'shapes' (the shapes scenes) or 'photo' (the photo classifier and detector)"
    )
    world_reason: str | None = Field(None, description="why the picture was taken for a shapes scene or a photo")
    read_as: str = Field(description="the question as read: lower case, typing slips corrected, phrases joined")
    corrections: list[Correction] = Field(description="each word read as another, e.g. cirlces -> circles")
    unknown_words: list[str] = Field(description="words the reader does not know (ignored, or the reason it is out of scope)")
    question_in_scope: bool = Field(description="false: the models cannot answer this; see scope_note, and answers is empty")
    scope_note: str | None = Field(None, description="when out of scope: one sentence on what the models can answer")
    interpreted_as: list[str] = Field(
        description="the template questions the model was asked (counts check that the objects exist)"
    )
    answers: list[AnswerItem] = Field(
        description="highest first; 'none' when the question names an object the picture does not have"
    )
    guess: bool = Field(
        description="true when the answer should be read as a guess (low probability, ambiguous, or not a shapes scene)"
    )
    ambiguous: list[Ambiguity] = Field(description="references that name several objects where the question needs one")
    note: str | None = Field(None, description="a sentence about the answer, e.g. 'There is no large square in the picture.'")
    out_of_distribution: bool
    ood_score: float | None = Field(None, description="reconstruction error / calibrated threshold; >= 1 is out of distribution")
    model: str
    evidence: PhotoEvidence | None = Field(None, description="photos: what the models saw, which the answer rests on")
    timing_ms: float
    heatmap_png: str | None = Field(None, description="with explain: base64 RGBA PNG, square, to lay over the letterboxed image")


VQA_BODY = form_or_json_body(
    {
        "image": {"type": "string", "format": "binary"},
        "question": {"type": "string", "example": "How many circles are there?"},
        "top_k": {"type": "integer", "minimum": 1, "maximum": 23, "default": 5},
        "explain": {"type": "boolean", "default": False},
        "model": {"type": "string", "enum": ["vqa", "vqa_baseline"], "default": "vqa"},
        "world": {"type": "string", "enum": ["auto", "shapes", "photo"], "default": "auto"},
    },
    required=["image", "question"],
    json_model=VqaJson,
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


def _world(value: Any) -> str:
    text = str(value or "auto").strip().lower()
    if text not in ("auto", "shapes", "photo"):
        raise BadRequest(f"world must be auto, shapes or photo, not {value!r}")
    return text


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise BadRequest(f"explain must be true or false, not {value!r}")


@router.post(
    "",
    response_model=VqaAnswer,
    response_model_exclude_none=True,
    summary="Answer a question about an image",
    openapi_extra=VQA_BODY,
)
async def answer_question(request: Request, registry: RegistryDep, settings: SettingsDep) -> dict[str, Any]:
    start = time.perf_counter()
    data, options = await read_vqa_request(request, settings)
    name = str(options.get("model") or "vqa")
    request.state.model = name  # the metrics label
    served = registry.require_ready(name, task="vqa")
    question = _question(options.get("question"), settings)
    top_k = _top_k(options.get("top_k", 5), len(served.assets["labels"]))
    explain = _flag(options.get("explain", False))
    wanted = _world(options.get("world", "auto"))
    image = await decode_upload(request, data, settings)
    if wanted == "photo":
        for photo_model in photo_answer.MODELS:
            registry.require_ready(photo_model)  # asked for by name: a clear 503 if one is missing
    # the world check runs only when the client leaves the choice to the server
    checked = world.check_world(image) if wanted == "auto" else None
    seen_world, reason = (checked.world, checked.reason) if checked else (wanted, f"asked for the {wanted} world")
    photo_models = all(registry.ready_model(m) is not None for m in photo_answer.MODELS)
    if seen_world == "photo" and photo_models:
        request.state.model = "photo"
        answer = await photo_answer.answer(registry, image, question)
    else:
        if seen_world == "photo":
            reason += "; the photo models are not loaded, so the shapes model answered"
        choices = vqa_answer.Options(top_k=top_k, explain=explain, guess_below=settings.vqa_guess_below)
        answer = await vqa_answer.answer(registry, served, image, question, choices)
    answer["world_reason"] = reason
    answer["timing_ms"] = round((time.perf_counter() - start) * 1000, 2)
    return answer


# -- samples ------------------------------------------------------------------------------


def _listing(folder: Path, name: str) -> tuple[dict, str | None]:
    """A sample folder's JSON listing ({} when missing or broken) and the URL its files
    are served under (None outside static/)."""
    try:
        data = json.loads((folder / name).read_text())
    except (OSError, ValueError):
        data = {}
    static = ROOT / "static"
    base = f"/static/{folder.relative_to(static).as_posix()}" if folder.is_relative_to(static) else None
    return data, base


@lru_cache(maxsize=4)
def _load_samples(folder: Path) -> list[dict]:
    data, base = _listing(folder, "samples.json")
    return [
        {
            "id": s["id"],
            "image_url": f"{base}/{s['file']}" if base else None,
            "width": s["size"],
            "height": s["size"],
            "questions": s["questions"],
            "objects": [{k: o[k] for k in ("shape", "color", "size", "pixel_coords", "bbox")} for o in s["scene"]["objects"]],
        }
        for s in data.get("samples", [])
    ]


@router.get("/samples", summary="Sample scenes with suggested questions (and their true answers)")
async def samples(settings: SettingsDep) -> dict:
    found = _load_samples(settings.samples_dir)
    if not found:
        raise NotFound("no sample scenes on this server (run `python -m training.datasets.shapes.files samples`)")
    return {"samples": found}


@lru_cache(maxsize=4)
def _load_photos(folder: Path) -> list[dict]:
    data, base = _listing(folder, "photos.json")
    keep = ("title", "credit", "licence", "source")
    return [
        {
            "id": p["file"].rsplit(".", 1)[0],
            "image_url": f"{base}/{p['file']}" if base else None,
            **{k: p[k] for k in keep},
            "questions": [{"question": q} for q in p.get("questions", [])],
        }
        for p in data.get("photos", [])
    ]


@router.get("/photos", summary="Sample photos with suggested questions")
async def photos(settings: SettingsDep) -> dict:
    found = _load_photos(settings.photos_dir)
    if not found:
        raise NotFound("no sample photos on this server")
    return {"photos": found}
