"""The shapes world's answer to one question about one picture: ask the model, say how sure.

The world hands over the picture and the question as read (`reading`); this module
asks the VQA model every template question the plan needs in one batch (`plans`),
runs the scene check beside it, and builds the answer, in which a guess is marked
as one:
- out of scope: no answers, a sentence saying what the models can answer;
- a picture unlike the shapes scenes, an ambiguous reference, or a probability under
  the guess threshold: `guess: true`, and the page shows it as a guess.
Probabilities are temperature-scaled with the temperature on the model's card
(fitted on validation questions by `benchmarks/vqa_language.py --fit-temperature`).
"""

from __future__ import annotations

import asyncio
import base64

import numpy as np
from PIL import Image

from app.config import Settings
from app.errors import BadRequest
from app.tasks.imaging import png_bytes
from app.worlds.base import Ambiguity, Answer, AnswerItem, AskOptions, Claim, Fit, ShapesEvidence
from app.worlds.shapes import plans
from app.worlds.shapes import preprocessing as task
from app.worlds.shapes.meaning import Reading

OOD_MODEL = "scene_ood"


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


async def ood_score(registry, image: Image.Image, x: np.ndarray) -> tuple[float | None, float]:
    """Reconstruction error over the calibrated threshold (None without the model), and
    the limit for scenes the pixel claim accepts (`benchmarks/scene_flags.py`)."""
    served = registry.ready_model(OOD_MODEL)
    if served is None:
        return None, 1.0
    side = served.input_shape[0]
    scene = x if x.shape[1] == side else task.image_to_array(image, side)[None]
    rebuilt = await registry.infer(served, scene)
    score = float(task.reconstruction_error(scene, rebuilt)[0] / served.card["ood_threshold"])
    return score, float(served.card.get("claimed_scene_limit", 1.0))


async def heatmap_png(registry, served, pixels: np.ndarray, question_ids: np.ndarray, probabilities: np.ndarray) -> str:
    """Occlusion heatmap of the answer's probability, as a base64 RGBA PNG."""
    best = int(np.argmax(probabilities))
    copies = task.occluded_copies(pixels)
    rows = (task.pixels_to_input(copies), np.repeat(question_ids[None], len(copies), axis=0))
    occluded = await registry.infer_alone(served, rows)
    heat = task.occlusion_map(float(probabilities[best]), occluded[:, best], pixels.shape[0])
    return base64.b64encode(png_bytes(task.heatmap_image(heat))).decode("ascii")


def unusual_reason(score: float | None, claim: Claim, limit_when_claimed: float) -> str | None:
    """Why the scene is unusual for the models, or None.

    A picture the world's claim does not fit is unusual whatever the scene check says.
    One it fits fully (the pixels follow the scene contract) is unusual only when the
    scene check's error passes the higher limit calibrated for such scenes
    (`claimed_scene_limit` on scene_ood's card): below it, the check's own threshold
    flags valid crowded scenes, not unusual ones."""
    if claim.fit is not Fit.FULL:
        return f"it does not look like a shapes scene ({claim.reason})"
    if score is not None and score >= limit_when_claimed:
        return f"the scene check finds it unlike the training scenes ({score:.2f} x its threshold)"
    return None


async def answer(registry, image: Image.Image, reading: Reading, options: AskOptions, claim: Claim, settings: Settings) -> Answer:
    """The answer to the question about `image` (less timing and world_reason)."""
    served = registry.require_ready(options.model, task="vqa")
    n_answers = len(served.assets["labels"])
    if options.top_k > n_answers:
        raise BadRequest(f"top_k must be between 1 and {n_answers}")
    pixels = task.image_to_pixels(image, served.input_shape[0])
    x = task.pixels_to_input(pixels)[None]
    questions = plans.model_questions(reading.meaning) if reading.meaning else []
    (asked, ids), (score, limit) = await asyncio.gather(ask_model(registry, served, x, questions), ood_score(registry, image, x))
    reason = unusual_reason(score, claim, limit)
    result = Answer.from_reading(
        reading.question,
        "shapes",
        reading,
        interpreted_as=questions,
        answers=[],
        guess=True,
        out_of_distribution=reason is not None,
        ood_score=None if score is None else round(score, 4),
        model=served.name,
        evidence=ShapesEvidence(
            background_share=round(claim.measures.get("background_share", 0.0), 4),
            scene_score=None if score is None else round(score, 4),
            unusual_reason=reason,
        ),
    )
    if reading.meaning is None:
        return result
    outcome = plans.conclude(reading.meaning, asked, options.top_k)
    result.answers = [AnswerItem(answer=a["answer"], probability=round(float(a["probability"]), 6)) for a in outcome.answers]
    result.ambiguous = [Ambiguity.model_validate(a) for a in outcome.ambiguous]
    result.note = outcome.note
    below = outcome.probability < settings.vqa_guess_below
    result.guess = bool(reason is not None or outcome.ambiguous or outcome.guess or below)
    if options.explain and questions:
        main = questions[-1]
        result.heatmap_png = await heatmap_png(registry, served, pixels, ids[-1], asked.probabilities[main])
    return result
