"""Visual question answering: `POST /api/vqa`, the worlds and their samples.

Two ways in (`app.inputs.read_vqa_request`):
- multipart `image` (file) + `question` (text), and the options as form fields;
- JSON `{"image_b64", "question", ...options}`.

The router knows only the worlds' interface (`app.worlds.base.World`): it checks the
options, picks the world for the picture, lets it read the question and answer.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from app.config import Settings
from app.deps import RegistryDep, SettingsDep
from app.errors import BadRequest, NotFound
from app.inputs import VqaJson, decode_upload, read_vqa_request
from app.openapi import form_or_json_body
from app.worlds import WORLDS, named, names, pick
from app.worlds.base import Answer, AskOptions, World, evidence_kind

router = APIRouter(prefix="/api/vqa", tags=["vqa"])


async def get_worlds(request: Request) -> tuple[World, ...]:
    return request.app.state.worlds


WorldsDep = Annotated[tuple[World, ...], Depends(get_worlds)]


def _form_fields() -> dict[str, dict]:
    """The multipart form's fields: the picture, then the options' own schema."""
    fields: dict[str, dict] = {"image": {"type": "string", "format": "binary"}}
    for name, schema in VqaJson.model_json_schema()["properties"].items():
        if name != "image_b64":
            fields[name] = {k: v for k, v in schema.items() if k != "title"}
    fields["world"]["enum"] = ["auto", *names(WORLDS)]
    return fields


VQA_BODY = form_or_json_body(_form_fields(), required=["image", "question"], json_model=VqaJson)


def _check_question(question: str, settings: Settings) -> str:
    question = question.strip()
    if not question:
        raise BadRequest("ask a question, for example 'What color is the large circle?'")
    if len(question) > settings.max_question_chars:
        raise BadRequest(f"the question is {len(question)} characters; the limit is {settings.max_question_chars}")
    return question


@router.post(
    "",
    response_model=Answer,
    response_model_exclude_none=True,
    summary="Answer a question about an image",
    openapi_extra=VQA_BODY,
)
async def answer_question(request: Request, registry: RegistryDep, settings: SettingsDep, worlds: WorldsDep) -> Answer:
    start = time.perf_counter()
    data, options = await read_vqa_request(request, settings)
    question = _check_question(options.question, settings)
    wanted = named(worlds, options.world) if options.world != "auto" else None  # a 400 before decoding
    image = await decode_upload(request, data, settings)
    world, claim, reason = pick(worlds, image, wanted)
    needs = world.needs(options)
    request.state.model = needs[0] if len(needs) == 1 else world.name  # the metrics label
    for model in needs:
        registry.require_ready(model)  # a clear 503 (or 404 for an unknown name), never another world's guess
    answer = await world.answer(registry, image, world.read(question), options, claim, settings)
    if answer.model in registry.models:  # the road the world took (shapes' auto: FiLM or the scene parser)
        request.state.model = answer.model
    answer.world_reason = reason
    answer.timing_ms = round((time.perf_counter() - start) * 1000, 2)
    return answer


# -- the worlds and their samples ------------------------------------------------------------


class Measured(BaseModel):
    set: str = Field(description="the held-out set")
    accuracy_percent: float


class Knows(BaseModel):
    summary: str
    questions: list[str] = Field(description="the kinds of question it answers")
    words: dict[str, list[str]] = Field(description="words it knows, by kind")
    measured: list[Measured] = Field(description="accuracy on held-out sets, from the models' cards")


class WorldInfo(BaseModel):
    name: str = Field(description="the `world` option's value, and the answer's `world`")
    title: str
    evidence: str = Field(description="the `kind` of this world's `evidence` in answers")
    models: list[str]
    ready: bool = Field(description="whether every model it needs by default is loaded")
    knows: Knows
    samples: list[dict] = Field(description="sample pictures with suggested questions (and true answers, where known)")


class WorldList(BaseModel):
    worlds: list[WorldInfo]


@router.get("/worlds", response_model=WorldList, summary="The kinds of picture the service answers about, with samples")
async def list_worlds(registry: RegistryDep, settings: SettingsDep, worlds: WorldsDep) -> WorldList:
    found = []
    for world in worlds:
        needed = world.needs(AskOptions(question=""))
        found.append(
            WorldInfo(
                name=world.name,
                title=world.title,
                evidence=evidence_kind(world),
                models=list(world.models),
                ready=all(registry.ready_model(m) is not None for m in needed),
                knows=Knows.model_validate(world.knows(registry)),
                samples=world.samples(settings),
            )
        )
    return WorldList(worlds=found)


@router.get("/samples", summary="One world's sample pictures with suggested questions (shapes scenes unless named)")
async def samples(
    settings: SettingsDep, worlds: WorldsDep, world: Annotated[str, Query(description="a world's name")] = "shapes"
) -> dict:
    found = named(worlds, world).samples(settings)
    if not found:
        raise NotFound(f"no {world} samples on this server")
    return {"samples": found}


@router.get("/photos", summary="Sample photos (the same as /api/vqa/samples?world=photo)", deprecated=True)
async def photos(settings: SettingsDep, worlds: WorldsDep) -> dict:
    found = named(worlds, "photo").samples(settings)
    if not found:
        raise NotFound("no sample photos on this server")
    return {"photos": found}
