"""The shapes world: flat CLEVR-like scenes (docs/shapes-scenes.md), answered two ways.

- The FiLM model (`vqa`, or the article's `vqa_baseline`) answers end to end, from the
  template questions the one-step reader derives from the user's words (`answer`).
- The scene parser reads the picture into a table of objects and the question runs on
  it as a program (`by_program`): CLEVR's deep questions, and the one-step families
  where measurement chose it (`answers_by` on the parser's card, written by
  `benchmarks/vqa_language.py --programs --write-card`).

`model=auto` (the default) picks per question: the program where the grammar reads the
question and the family's measured default is the parser (deep questions always), FiLM
otherwise; `model=vqa` / `vqa_baseline` / `scene_parser` ask for one road."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.config import ROOT, Settings
from app.worlds.base import Answer, AskOptions, Claim, Fit, ShapesEvidence, WorldEvidence, listing
from app.worlds.cache import PictureCache
from app.worlds.shapes import answer as answering
from app.worlds.shapes import by_program, grammar, programs
from app.worlds.shapes.claim import check_scene
from app.worlds.shapes.parser import NAME as PARSER
from app.worlds.shapes.reading import Reading, read_question

if TYPE_CHECKING:
    from app.registry import ModelRegistry

ANSWERING_MODELS = ("vqa", "vqa_baseline")
AUTO = "auto"
PROGRAM_NOTE = (
    "The end-to-end models read one-step questions only; this one needs the scene parser "
    "(ask with model=auto or model=scene_parser)."
)
PARSER_NOTE = "The scene parser's grammar cannot read this question; ask it another way or with model=auto."
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
    "what colour is the ... left of the ... that is above the ...?",
    "how many ... are left of the ... and above the ...?",
    "how many green or yellow ...? how many ... are not ...?",
    "how many other things have the same colour as the ...?",
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
    models: tuple[str, ...] = (*ANSWERING_MODELS, PARSER, answering.OOD_MODEL)

    def __init__(self) -> None:
        self.parses: PictureCache[by_program.Parse] = PictureCache(by_program.CACHED_PARSES)

    def needs(self, options: AskOptions) -> tuple[str, ...]:
        # auto needs FiLM: it answers what the grammar cannot read; the parser is used when ready
        return ("vqa",) if options.model == AUTO else (options.model,)

    def claims(self, image) -> Claim:
        check = check_scene(image)
        measures = {"background_share": check.background_share, "other_share": check.other_share}
        return Claim(Fit.FULL if check.is_scene else Fit.NONE, check.reason, measures)

    def read(self, question: str) -> Reading:
        """The one-step reading, and the question as a program where the grammar reads it."""
        reading = read_question(question)
        program, words, corrections = grammar.parse(question)
        if program is not None:
            reading.program = program
            if reading.meaning is None:  # a deep question: the grammar's reading is the one shown
                reading.read_as, reading.corrections, reading.scope_note = " ".join(words), corrections, None
        return reading

    def by_program(self, registry: ModelRegistry, reading: Reading, options: AskOptions, family: str | None) -> bool:
        """Whether this question is answered by its program on the parsed scene (`family`:
        the program's, `programs.family`; None without a program)."""
        if family is None or options.model not in (AUTO, PARSER):
            return False
        if options.model == PARSER:
            return True
        if registry.ready_model(PARSER) is None:
            return False
        chosen = registry.card(PARSER).get("answers_by", {})
        return reading.meaning is None or family == "deep" or chosen.get(family) == PARSER

    async def answer(self, registry, image, reading, options: AskOptions, claim: Claim, settings: Settings) -> Answer:
        family = programs.family(reading.program) if reading.program is not None else None
        if self.by_program(registry, reading, options, family):
            # FiLM checks one-step questions only: for a deep one the one-step reader's meaning, when
            # it has one ("is there a big thing right of the red circle?" as a relation), is another question
            check = options.model == AUTO and family != "deep"
            return await by_program.answer(registry, image, reading, claim, self.parses, check)
        if options.model == PARSER:  # asked for the program road, which cannot read this question
            reading = replace(reading, meaning=None, scope_note=reading.scope_note or PARSER_NOTE)
        elif reading.meaning is None and reading.program is not None:  # a deep question, asked of the end-to-end models
            reading = replace(reading, program=None, scope_note=PROGRAM_NOTE)
        # any other name is the FiLM path's to refuse (404: not a vqa model)
        film = options.model_copy(update={"model": "vqa"}) if options.model in (AUTO, PARSER) else options
        return await answering.answer(registry, image, reading, film, claim, settings)

    def samples(self, settings: Settings) -> list[dict]:
        return list(_samples(settings.samples_dir))

    def knows(self, registry: ModelRegistry) -> dict[str, Any]:
        return {
            "summary": "Flat scenes of up to six circles, squares and triangles on a light-gray background: "
            "counts, colours, shapes, sizes, positions and comparisons, and CLEVR's deeper questions "
            "(relations in chains, 'or', 'not', the same colour as ...) run as programs on the parsed scene.",
            "questions": list(KINDS_OF_QUESTION),
            "words": WORDS,
            "measured": [*_measured(registry.card("vqa")), *_measured_deep(registry.card(PARSER))],
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


def _measured_deep(card: dict) -> list[dict]:
    """The deep questions' accuracy on the parser's card (benchmarks/deep_questions.py)."""
    sets = {"hand": "deep questions written by hand", "generated": "generated deep questions, three render styles"}
    deep = card.get("deep_questions", {})
    return [
        {"set": description, "accuracy_percent": deep[key]["all"]["right_percent"]}
        for key, description in sets.items()
        if isinstance(deep.get(key), dict) and "all" in deep[key]
    ]
