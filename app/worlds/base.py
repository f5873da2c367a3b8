"""What every VQA world is: the interface, the claim, the options and the answer.

A world is one kind of picture (shapes scenes, photos, ...) with its own models, its
own reader of questions and its own evidence. The router knows only this module:
it picks a world for the picture (`app.worlds.pick`), lets the world read the
question, and hands it the picture. Starlette's router is the model for the choice:
each world says how well a picture fits it (none, partial, full), and the first full
claim wins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationInfo, field_validator

if TYPE_CHECKING:
    from PIL import Image

    from app.config import Settings
    from app.registry import ModelRegistry


class Fit(IntEnum):
    NONE = 0
    PARTIAL = 1  # it could answer, but another world that fits fully is better
    FULL = 2


@dataclass(frozen=True)
class Claim:
    fit: Fit
    reason: str  # a phrase for `world_reason`: why the picture does or does not fit
    measures: dict[str, float] = field(default_factory=dict)  # what the check measured, for the world's evidence


class Reading(Protocol):
    """What every world's reader says about a question (words only, never pixels)."""

    @property
    def read_as(self) -> str: ...
    @property
    def corrections(self) -> list[dict[str, str]]: ...
    @property
    def unknown_words(self) -> list[str]: ...
    @property
    def scope_note(self) -> str | None: ...
    @property
    def in_scope(self) -> bool: ...


# -- the options: one model for the form and the JSON body ------------------------------

MAX_TOP_K = 100


class AskOptions(BaseModel):
    """What a client may say besides the picture. Checked here once, whichever body
    carried it; the worlds read only what concerns them (`top_k`, `model`, `explain`
    are the shapes world's; `model` is the charts world's too)."""

    model_config = ConfigDict(extra="ignore")

    question: str = Field(description="the question, in your own words", examples=["How many circles are there?"])
    top_k: int = Field(5, ge=1, le=100, description="how many answers to return, best first (a world may allow fewer)")
    explain: bool = Field(False, description="shapes scenes: also return where the model looked (an occlusion heatmap)")
    model: str = Field(
        "auto",
        description="the model that answers. auto: each world's default (shapes scenes: the scene parser and a "
        "program where measured better, else the FiLM model vqa); shapes scenes also vqa, the article's "
        "vqa_baseline, or scene_parser; charts the reader, or the article's chart_baseline",
    )
    world: str = Field("auto", description="auto: decided from the picture; or a world's name (GET /api/vqa/worlds)")

    # Form fields arrive as text: each is read here with a sentence a person can act on.
    @field_validator("question", "model", "world", mode="before")
    @classmethod
    def _text(cls, value: Any, info: ValidationInfo) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{info.field_name} must be text")
        return value.strip().lower() if info.field_name == "world" else value.strip()

    @field_validator("top_k", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"top_k must be a whole number, not {value!r}")
        try:
            k = int(value)
        except ValueError:
            raise ValueError(f"top_k must be a whole number, not {value!r}") from None
        if not 1 <= k <= MAX_TOP_K:
            raise ValueError(f"top_k must be between 1 and {MAX_TOP_K}")
        return k

    @field_validator("explain", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"explain must be true or false, not {value!r}")


# -- the answer: the same fields from every world -----------------------------------------


class AnswerItem(BaseModel):
    answer: str
    probability: float = Field(ge=0, le=1)


class Correction(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

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


class PhotoKeypoint(BaseModel):
    name: str = Field(description="one of MoveNet's 17 body keypoints (nose, left_shoulder, ...)")
    x: float
    y: float
    score: float = Field(ge=0, le=1)


class PhotoPerson(BaseModel):
    score: float = Field(ge=0, le=1)
    box: list[float] = Field(description="x1, y1, x2, y2 in the uploaded image's pixels")
    posture: Literal["standing", "sitting", "lying"] | None = Field(description="None: the hips and knees are not seen")
    keypoints: list[PhotoKeypoint] = Field(description="the joints seen (score at least 0.3), in the upload's pixels")


class PhotoFace(BaseModel):
    score: float = Field(ge=0, le=1)
    box: list[float] = Field(description="x1, y1, x2, y2 in the uploaded image's pixels")
    expression: str | None = Field(None, description="the expression model's most likely of FER-2013's seven")
    expression_score: float | None = Field(None, ge=0, le=1)
    happy: float | None = Field(None, ge=0, le=1, description="its probability of 'happy', what a smile is read from")


class PhotoWord(BaseModel):
    text: str
    confidence: float = Field(ge=0, le=1)
    box: list[float] = Field(description="x1, y1, x2, y2 in the uploaded image's pixels")


class PhotoPicture(BaseModel):
    coloured_share: float = Field(ge=0, le=1, description="the share of pixels with colour (chroma over 0.1)")
    lightness: float = Field(ge=0, le=1, description="the mean brightness, 0 black to 1 white")


class WorldEvidence(BaseModel):
    """What a world's models saw, which its answer rests on. Each world subclasses it
    with its own fields and its own `kind`, which tells the page how to draw it."""

    model_config = ConfigDict(extra="allow")  # a world's own fields pass through the shared model

    kind: str


class PhotoEvidence(WorldEvidence):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["photo"] = "photo"
    classes: list[PhotoClass] = Field(description="the classifier's top five classes")
    kinds: list[PhotoKind] = Field(description="the classifier's top kinds")
    objects: list[PhotoObject] = Field(description="the detector's boxes, best first")
    text: list[PhotoWord] = Field(description="for a question about text: the words Tesseract read clearly")
    picture: PhotoPicture | None = Field(None, description="for a question about the whole picture: what its pixels measure")
    people: list[PhotoPerson] | None = Field(None, description="for a question about people: the pose model's people")
    faces: list[PhotoFace] | None = Field(None, description="for a question about faces: BlazeFace's faces, with expressions")
    person_mask_png: str | None = Field(
        None,
        description="for a question about clothes' colours: base64 RGBA PNG, the people's pixels tinted, to stretch over the photo",
    )


class ParsedShape(BaseModel):
    """One object of the scene as the scene parser read it."""

    id: int = Field(description="its number in `objects`, which the program's steps use")
    shape: str
    color: str
    size: str
    box: list[float] = Field(description="[x1, y1, x2, y2] in the uploaded picture's pixels")
    confidence: float = Field(description="the parser's least sure reading of it (present, shape, colour, size)")
    used: bool = Field(False, description="true when the answer rests on it (the last step's objects and the ones named)")


class ProgramStep(BaseModel):
    """One step of the question's program and what it gave on this scene."""

    step: int
    op: str = Field(description="scene, filter, relate, same, union, intersect, difference, unique, count, query, ...")
    words: str = Field(description="the step in words; [n] is step n's result")
    objects: list[int] | None = Field(None, description="the objects it kept (ids in `objects`)")
    too_close_to_call: list[int] | None = Field(None, description="objects inside the spec's margins: neither in nor out")
    value: str | None = Field(None, description="what it gave when that is not objects (a count, yes or no, a colour)")


class ModelCheck(BaseModel):
    """The end-to-end model's answer to the same question, as a check of the program's."""

    model: str
    answer: str
    probability: float
    agrees: bool


class ShapesEvidence(WorldEvidence):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["shapes"] = "shapes"
    background_share: float = Field(ge=0, le=1, description="the share of the picture that is the scene's gray background")
    scene_score: float | None = Field(
        None, description="the scene check's reconstruction error over its threshold (>= 1: unlike the training scenes)"
    )
    unusual_reason: str | None = Field(None, description="why the scene is marked unusual, when it is")
    objects: list[ParsedShape] | None = Field(
        None, description="when answered by a program: every object the scene parser found, numbered"
    )
    program: list[ProgramStep] | None = Field(None, description="when answered by a program: its steps and what each kept")
    cached: bool = Field(False, description="true when the scene's parse came from an earlier question about the same picture")
    check: ModelCheck | None = Field(None, description="the end-to-end FiLM model's answer, where it reads the question too")


class Answer(BaseModel):
    """The response of `POST /api/vqa`, whichever world answered."""

    question: str
    world: str = Field(description="the world that answered (GET /api/vqa/worlds lists them)")
    world_reason: str | None = Field(None, description="why the picture was taken for that world")
    read_as: str = Field(description="the question as read: lower case, typing slips corrected, phrases joined")
    corrections: list[Correction] = Field(description="each word read as another, e.g. cirlces -> circles")
    unknown_words: list[str] = Field(description="words the reader does not know (ignored, or the reason it is out of scope)")
    question_in_scope: bool = Field(description="false: the models cannot answer this; see scope_note, and answers is empty")
    scope_note: str | None = Field(None, description="when out of scope: one sentence on what the models can answer")
    interpreted_as: list[str] = Field(description="what the models were asked, in words")
    answers: list[AnswerItem] = Field(
        description="highest first; 'none' when the question names an object the picture does not have"
    )
    guess: bool = Field(description="true when the answer should be read as a guess (low probability, ambiguous, unusual)")
    ambiguous: list[Ambiguity] = Field(
        default_factory=list, description="references that name several objects where the question needs one"
    )
    note: str | None = Field(None, description="a sentence about the answer, e.g. 'There is no large square in the picture.'")
    out_of_distribution: bool = Field(False, description="true when the picture is unusual for its world")
    ood_score: float | None = Field(None, description="reconstruction error / calibrated threshold; >= 1 is out of distribution")
    model: str = Field(description="the model or models that answered")
    evidence: SerializeAsAny[WorldEvidence] | None = Field(
        None,
        description="what the models saw, which the answer rests on; its `kind` is the world's "
        "(GET /api/vqa/worlds), and its fields are that world's evidence model",
    )
    timing_ms: float = 0.0
    heatmap_png: str | None = Field(None, description="with explain: base64 RGBA PNG, square, to lay over the letterboxed image")

    @classmethod
    def from_reading(cls, question: str, world: str, reading: Reading, **fields: Any) -> Answer:
        """The fields every world fills the same way from its reading, plus its own."""
        return cls(
            question=question,
            world=world,
            read_as=reading.read_as,
            corrections=[Correction.model_validate(c) for c in reading.corrections],
            unknown_words=reading.unknown_words,
            question_in_scope=reading.in_scope,
            scope_note=reading.scope_note,
            **fields,
        )


# -- a world ----------------------------------------------------------------------------


class World(Protocol):
    name: str  # the response's `world` and the `world` option's value
    title: str  # what the page calls it ("Shapes scenes")
    evidence: type[WorldEvidence]  # the model of its answers' evidence
    models: tuple[str, ...]  # every registry model it may use (readiness, /api/vqa/worlds)

    def needs(self, options: AskOptions) -> tuple[str, ...]:
        """The models that must be ready for it to answer with these options."""
        ...

    def claims(self, image: Image.Image) -> Claim:
        """How well the picture fits this world, from its pixels alone (fast: runs per request)."""
        ...

    def read(self, question: str) -> Reading:
        """The question read in this world's words; never looks at a picture."""
        ...

    async def answer(
        self,
        registry: ModelRegistry,
        image: Image.Image,
        reading: Reading,
        options: AskOptions,
        claim: Claim,
        settings: Settings,
    ) -> Answer:
        """The answer (less timing and world_reason, which the router adds); `claim` is
        this world's own claim on the picture (a world named by the client may not fit)."""
        ...

    def samples(self, settings: Settings) -> list[dict]:
        """Sample pictures with suggested questions ({"id", "image_url", "title", "questions", ...})."""
        ...

    def knows(self, registry: ModelRegistry) -> dict[str, Any]:
        """What the page says the world can answer: its kinds of question, example
        words, and what was measured (from its served models' cards)."""
        ...


def listing(folder: Path, name: str, static: Path) -> tuple[dict, str | None]:
    """A sample folder's JSON listing ({} when missing or broken) and the URL its files
    are served under (None outside static/)."""
    try:
        data = json.loads((folder / name).read_text())
    except (OSError, ValueError):
        data = {}
    base = f"/static/{folder.relative_to(static).as_posix()}" if folder.is_relative_to(static) else None
    return data, base


def evidence_kind(world: World) -> str:
    """The `kind` a world's evidence carries."""
    return str(world.evidence.model_fields["kind"].default)
