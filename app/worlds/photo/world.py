"""The photo world: any picture, looked at by an ImageNet classifier, a COCO detector
and (for text) Tesseract; it answers what those can ground and says what they cannot."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.config import ROOT, Settings
from app.worlds.base import Answer, AskOptions, Claim, Fit, PhotoEvidence, WorldEvidence, listing
from app.worlds.photo import answer as answering
from app.worlds.photo.reading import PhotoQuestion, read_photo_question

if TYPE_CHECKING:
    from app.registry import ModelRegistry

KINDS_OF_QUESTION = (
    "what is this? what animal / kind of dog is it?",
    "is there a ...? is this a ...?",
    "how many people / cars / cups are there?",
    "is anyone sitting / standing? what is the man holding? is anyone wearing red? is anyone smiling?",
    "what colour is the ...?",
    "what room is this?",
    "what does the sign say?",
)


class PhotoWorld:
    name = "photo"
    title = "Photos"
    evidence: type[WorldEvidence] = PhotoEvidence
    models: tuple[str, ...] = answering.MODELS

    def needs(self, options: AskOptions) -> tuple[str, ...]:
        # the pose model is asked for (and required) only by a question about people
        return (answering.CLASSIFIER, answering.DETECTOR)

    def claims(self, image) -> Claim:
        # Every picture can be looked at as a photo; a world made for its kind of
        # picture claims it fully and wins, so this world comes last.
        return Claim(Fit.PARTIAL, "any picture can be looked at as a photo")

    def read(self, question: str) -> PhotoQuestion:
        return read_photo_question(question)

    async def answer(self, registry, image, reading, options: AskOptions, claim: Claim, settings: Settings) -> Answer:
        return await answering.answer(registry, image, reading)

    def samples(self, settings: Settings) -> list[dict]:
        return list(_samples(settings.photos_dir))

    def knows(self, registry: ModelRegistry) -> dict[str, Any]:
        return {
            "summary": "Photos: what the main thing is, whether something is there, how many, what colour, "
            "which room, clear text, and people's posture, raised arms, what they hold and the colour they wear. "
            "Not who they are, their age or gender, or what their faces show beyond a smile.",
            "questions": list(KINDS_OF_QUESTION),
            "words": {"things the detector finds": ["person", "car", "dog", "cat", "cup", "chair", "bottle", "bird"]},
            "measured": _measured(registry.card(answering.DETECTOR)),
        }


@lru_cache(maxsize=4)
def _samples(folder: Path) -> tuple[dict, ...]:
    data, base = listing(folder, "photos.json", ROOT / "static")
    keep = ("title", "credit", "licence", "source")
    return tuple(
        {
            "id": p["file"].rsplit(".", 1)[0],
            "image_url": f"{base}/{p['file']}" if base else None,
            **{k: p[k] for k in keep},
            "questions": [{"question": q} for q in p.get("questions", [])],
        }
        for p in data.get("photos", [])
    )


def _measured(card: dict) -> list[dict]:
    """The photo path's held-out numbers on the detector's card, for the page."""
    found = []
    for key, description in (
        ("photo_path", "questions written with the photos"),
        ("photo_path_photo_questions_blind", "questions written apart"),
        ("photo_path_photo_people_questions", "questions about 30 photos, 12 with people"),
    ):
        questions = card.get(key, {}).get("questions", {})
        if "groundable_right_percent" in questions:
            found.append(
                {
                    "set": f"{description}, of those the models can ground",
                    "accuracy_percent": questions["groundable_right_percent"],
                }
            )
    return found
