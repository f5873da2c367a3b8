"""The shapes world: flat CLEVR-like scenes (docs/shapes-scenes.md), answered by the
VQA models from template questions the reader derives from the user's words."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.config import ROOT, Settings
from app.worlds.base import Answer, AskOptions, Claim, Fit, ShapesEvidence, WorldEvidence, listing
from app.worlds.shapes import answer as answering
from app.worlds.shapes.claim import check_scene
from app.worlds.shapes.reading import Reading, read_question

if TYPE_CHECKING:
    from app.registry import ModelRegistry

ANSWERING_MODELS = ("vqa", "vqa_baseline")
KINDS_OF_QUESTION = (
    "is there a ...?",
    "how many ...?",
    "what colour / shape / size is the ...?",
    "are there more ... than ...?",
    "is the ... the same colour as the ...?",
    "is the ... left of / above the ...?",
    "what is the leftmost / topmost ...?",
    "how many things are left of the ...?",
    "what is closest to / farthest from the ...?",
)
WORDS = {
    "shapes": ["circle", "square", "triangle"],
    "colours": ["gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"],
    "sizes": ["small", "large"],
}


class ShapesWorld:
    name = "shapes"
    title = "Shapes scenes"
    evidence: type[WorldEvidence] = ShapesEvidence
    models: tuple[str, ...] = (*ANSWERING_MODELS, answering.OOD_MODEL)

    def needs(self, options: AskOptions) -> tuple[str, ...]:
        return (options.model,)

    def claims(self, image) -> Claim:
        check = check_scene(image)
        measures = {"background_share": check.background_share, "other_share": check.other_share}
        return Claim(Fit.FULL if check.is_scene else Fit.NONE, check.reason, measures)

    def read(self, question: str) -> Reading:
        return read_question(question)

    async def answer(self, registry, image, reading, options: AskOptions, claim: Claim, settings: Settings) -> Answer:
        return await answering.answer(registry, image, reading, options, claim, settings)

    def samples(self, settings: Settings) -> list[dict]:
        return list(_samples(settings.samples_dir))

    def knows(self, registry: ModelRegistry) -> dict[str, Any]:
        return {
            "summary": "Flat scenes of up to six circles, squares and triangles on a light-gray background: "
            "counts, colours, shapes, sizes, positions and comparisons.",
            "questions": list(KINDS_OF_QUESTION),
            "words": WORDS,
            "measured": _measured(registry.card("vqa")),
        }


@lru_cache(maxsize=4)
def _samples(folder: Path) -> tuple[dict, ...]:
    data, base = listing(folder, "samples.json", ROOT / "static")
    return tuple(
        {
            "id": s["id"],
            "title": f"Sample scene {s['id']}",
            "image_url": f"{base}/{s['file']}" if base else None,
            "width": s["size"],
            "height": s["size"],
            "questions": s["questions"],
            "objects": [{k: o[k] for k in ("shape", "color", "size", "pixel_coords", "bbox")} for o in s["scene"]["objects"]],
        }
        for s in data.get("samples", [])
    )


def _measured(card: dict) -> list[dict]:
    """The held-out accuracies on the served model's card, for the page."""
    metrics = card.get("metrics", {})
    sets = {
        "test": "template questions about fresh scenes",
        "test_rendered_differently": "the same, rendered another way",
        "test_people": "people's wording of them",
    }
    return [
        {"set": description, "accuracy_percent": metrics[key]["overall"]}
        for key, description in sets.items()
        if isinstance(metrics.get(key), dict) and "overall" in metrics[key]
    ]
