"""Answering one question about one picture: read it, ask the model, say how sure.

The router hands over the decoded image and the options; this module runs the reader
(`vqa_reading`), asks the VQA model every template question the plan needs in one
batch (`vqa_plans`), runs the scene check beside it, and builds the answer, in which
a guess is marked as one:
- out of scope: no answers, a sentence saying what the models can answer;
- a picture unlike the shapes scenes, an ambiguous reference, or a probability under
  the guess threshold: `guess: true`, and the page shows it as a guess.
Probabilities are temperature-scaled with the temperature on the model's card
(fitted on validation questions by `benchmarks/vqa_language.py --fit-temperature`).
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from PIL import Image

from app.tasks.imaging import png_bytes
from app.worlds.shapes import plans
from app.worlds.shapes import preprocessing as task
from app.worlds.shapes.reading import read_question

OOD_MODEL = "scene_ood"


@dataclass(frozen=True)
class Options:
    top_k: int = 5
    explain: bool = False
    guess_below: float = 0.7


def calibrate(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax of log-probabilities over a temperature (1 leaves them as they are)."""
    if temperature == 1.0:
        return probabilities
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=-1, keepdims=True)


async def ask_model(registry, served, x: np.ndarray, questions: list[str]) -> tuple[plans.Asked, np.ndarray]:
    """Every template question about one picture, in one call; also the question ids."""
    encoder: task.QuestionEncoder = served.assets["encoder"]
    ids = encoder.encode_batch(questions)
    rows = (np.repeat(x, len(questions), axis=0), ids)
    probabilities = await registry.infer(served, rows) if questions else np.zeros((0, len(served.assets["labels"])))
    probabilities = calibrate(np.asarray(probabilities, np.float64), float(served.card.get("temperature", 1.0)))
    return plans.Asked(served.assets["labels"], dict(zip(questions, probabilities, strict=False))), ids


async def ood_score(registry, image: Image.Image, x: np.ndarray) -> float | None:
    """Reconstruction error over the calibrated threshold, or None without the model."""
    served = registry.ready_model(OOD_MODEL)
    if served is None:
        return None
    side = served.input_shape[0]
    scene = x if x.shape[1] == side else task.image_to_array(image, side)[None]
    rebuilt = await registry.infer(served, scene)
    return float(task.reconstruction_error(scene, rebuilt)[0] / served.card["ood_threshold"])


async def heatmap_png(registry, served, pixels: np.ndarray, question_ids: np.ndarray, probabilities: np.ndarray) -> str:
    """Occlusion heatmap of the answer's probability, as a base64 RGBA PNG."""
    best = int(np.argmax(probabilities))
    copies = task.occluded_copies(pixels)
    rows = (task.pixels_to_input(copies), np.repeat(question_ids[None], len(copies), axis=0))
    occluded = await registry.infer_alone(served, rows)
    heat = task.occlusion_map(float(probabilities[best]), occluded[:, best], pixels.shape[0])
    return base64.b64encode(png_bytes(task.heatmap_image(heat))).decode("ascii")


class ReadQuestion(Protocol):
    """What both readers (shapes and photos) say about a question."""

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


def reading_fields(reading: ReadQuestion) -> dict[str, Any]:
    return {
        "read_as": reading.read_as,
        "corrections": reading.corrections,
        "unknown_words": reading.unknown_words,
        "question_in_scope": reading.in_scope,
        "scope_note": reading.scope_note,
    }


async def answer(registry, served, image: Image.Image, question: str, options: Options) -> dict[str, Any]:
    """The answer to `question` about `image`, as the API returns it (less timing)."""
    reading = read_question(question)
    pixels = task.image_to_pixels(image, served.input_shape[0])
    x = task.pixels_to_input(pixels)[None]
    questions = plans.model_questions(reading.meaning) if reading.meaning else []
    (asked, ids), score = await asyncio.gather(ask_model(registry, served, x, questions), ood_score(registry, image, x))
    out_of_distribution = bool(score is not None and score >= 1.0)
    result: dict[str, Any] = {
        "question": question,
        "world": "shapes",
        **reading_fields(reading),
        "interpreted_as": questions,
        "answers": [],
        "guess": True,
        "ambiguous": [],
        "note": None,
        "out_of_distribution": out_of_distribution,
        "ood_score": None if score is None else round(score, 4),
        "model": served.name,
    }
    if reading.meaning is None:
        return result
    outcome = plans.conclude(reading.meaning, asked, options.top_k)
    result.update(
        answers=[{"answer": a["answer"], "probability": round(float(a["probability"]), 6)} for a in outcome.answers],
        ambiguous=outcome.ambiguous,
        note=outcome.note,
        guess=bool(out_of_distribution or outcome.ambiguous or outcome.guess or outcome.probability < options.guess_below),
    )
    if options.explain and questions:
        main = questions[-1]
        result["heatmap_png"] = await heatmap_png(registry, served, pixels, ids[-1], asked.probabilities[main])
    return result
