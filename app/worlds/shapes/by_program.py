"""The shapes world's second way to answer: parse the scene, run the question as a program.

NS-VQA's road (Yi et al. 2018): the scene parser (`parser`) reads the picture into a
table of objects once (kept by the picture's hash, so later questions cost no model
call), and the question's program (`grammar`, `programs`) runs on that table. The
answer carries the table and every step's objects as its evidence.

Honesty rules:
- "the X" matching nothing answers `none`; matching several gives no answer and says
  which reference is ambiguous;
- where an object sits inside the spec's margins, the answer a person would most likely
  give (margins relaxed) is given as a guess, with a note saying what was too close;
- the scene check and the parser's own confidence mark unusual pictures as guesses;
- where the FiLM model reads the question too (`reading.meaning`), it is asked as a
  check, and a disagreement is said in the note with both answers shown.
"""

from __future__ import annotations

import asyncio

import numpy as np
from PIL import Image

from app.worlds.base import Ambiguity, Answer, AnswerItem, Claim, ModelCheck, ParsedShape, ProgramStep, ShapesEvidence
from app.worlds.cache import PictureCache
from app.worlds.shapes import answer as film
from app.worlds.shapes import parser, plans, programs
from app.worlds.shapes import preprocessing as task
from app.worlds.shapes.meaning import Reading
from app.worlds.shapes.program_words import describe, named, step_words

CACHED_PARSES = 256  # pictures: a parse is a few hundred bytes
SURE_OBJECT = 0.9  # an object read with less confidence makes the answer a guess

Parse = list[parser.ParsedObject]


async def parse_scene(
    registry, image: Image.Image, cache: PictureCache[Parse], x: np.ndarray | None = None
) -> tuple[Parse, bool]:
    """The scene's objects, and whether they came from the cache (`x`: the picture as
    the VQA models take it, reused when the parser's side is the same)."""
    key = cache.key(image)
    found = cache.get(key)
    if found is not None:
        return found, True
    served = registry.require_ready(parser.NAME)
    side = served.input_shape[0]
    scene = x if x is not None and x.shape[1] == side else task.image_to_array(image, side)[None]
    grid = await registry.infer(served, scene)
    objects = parser.decode(np.asarray(grid)[0])
    cache.put(key, objects)
    return objects, False


def _box(o: parser.ParsedObject, size: tuple[int, int], upload_scale: float) -> list[float]:
    """The object's box in the uploaded picture's pixels (the parser sees it letterboxed)."""
    width, height = size
    side = max(width, height)
    pad_x, pad_y = (side - width) / 2, (side - height) / 2
    half = o.side / 2
    box = (
        (o.x - half) * side - pad_x,
        (o.y - half) * side - pad_y,
        (o.x + half) * side - pad_x,
        (o.y + half) * side - pad_y,
    )
    return [round(v / upload_scale, 1) for v in box]


def _used(run: programs.Run) -> set[int]:
    """The objects the answer rests on: every object picked as "the" one, and the last set kept."""
    picked = {v for step, v in run.steps if step.op in programs.OBJECT_OPS and isinstance(v, int)}
    last = next((v for step, v in reversed(run.steps) if isinstance(v, programs.Objects) and step.op != "scene"), None)
    return picked | (set(last.sure) if last is not None else set())


def _steps(program: programs.Step, run: programs.Run) -> list[ProgramStep]:
    words = step_words(program)
    return [ProgramStep(**item, words=words[step]) for (step, _), item in zip(run.steps, programs.trace(run), strict=True)]


async def _film_check(registry, image: Image.Image, reading: Reading, x: np.ndarray) -> ModelCheck | None:
    """FiLM's first answer to the one-step meaning of the same question (its template
    questions and plan, without the scene check the program's answer has run already)."""
    served = registry.ready_model("vqa")
    if reading.meaning is None or served is None:
        return None
    side = served.input_shape[0]
    x = x if x.shape[1] == side else task.image_to_array(image, side)[None]
    asked, _ = await film.ask_model(registry, served, x, plans.model_questions(reading.meaning))
    outcome = plans.conclude(reading.meaning, asked, top_k=1)
    if not outcome.answers:
        return None
    top = outcome.answers[0]
    return ModelCheck(model=served.name, answer=top["answer"], probability=round(float(top["probability"]), 6), agrees=False)


async def answer(
    registry,
    image: Image.Image,
    reading: Reading,
    claim: Claim,
    cache: PictureCache[Parse],
    check: bool = True,
) -> Answer:
    """The answer to the question's program on the parsed scene (less timing and world_reason)."""
    program = reading.program
    assert program is not None, "the world sends only questions the grammar read"
    x = task.image_to_array(image)[None]
    (objects, cached), (score, limit), checked = await asyncio.gather(
        parse_scene(registry, image, cache, x),
        film.ood_score(registry, image, x),
        _film_check(registry, image, reading, x) if check else asyncio.sleep(0),
    )
    reason = film.unusual_reason(score, claim, limit)
    run = programs.run(program, objects)
    answers, note, guess, ambiguous = [], None, False, []
    failure = run.failure
    if failure is None:
        answers = [run.answer or ""]
    elif failure.kind == "none":
        answers, note = [programs.NONE], f"There is no {_named(failure)} in the picture."
    elif failure.kind == "ambiguous":
        ambiguous = [Ambiguity(reference=_named(failure), matches=failure.matches)]
        note = f"{failure.matches} objects match 'the {_named(failure)}': say which one (for example by its colour or size)."
    else:
        relaxed = programs.run(program, objects, margin=0.0, ratio=1.0)
        if relaxed.answer is not None:
            answers, guess = [relaxed.answer], True
        note = f"Too close to call by the scene rules: {failure.note}." + (" This answer is a guess." if answers else "")
    confidence = min((o.confidence for o in objects), default=1.0)
    guess = guess or reason is not None or confidence < SURE_OBJECT
    if confidence < SURE_OBJECT and answers:
        note = (note + " " if note else "") + "The parser is not sure of every object it read: read this as a guess."
    check_answer = None
    if checked is not None and answers:
        check_answer = checked.model_copy(update={"agrees": checked.answer == answers[0]})
        if not check_answer.agrees:
            note = (note + " " if note else "") + f"The end-to-end FiLM model says {checked.answer} instead."
    used = _used(run)
    size, scale = image.size, float(image.info.get("upload_scale", 1.0))
    evidence = ShapesEvidence(
        background_share=round(claim.measures.get("background_share", 0.0), 4),
        scene_score=None if score is None else round(score, 4),
        unusual_reason=reason,
        objects=[
            ParsedShape(
                id=i,
                shape=o.shape,
                color=o.color,
                size=o.size,
                box=_box(o, size, scale),
                confidence=round(o.confidence, 4),
                used=i in used,
            )
            for i, o in enumerate(objects)
        ],
        program=_steps(program, run),
        cached=cached,
        check=check_answer,
    )
    return Answer.from_reading(
        reading.question,
        "shapes",
        reading,
        interpreted_as=describe(program),
        answers=[AnswerItem(answer=a, probability=round(confidence, 6)) for a in answers],  # one at most
        guess=bool(guess or ambiguous),
        ambiguous=ambiguous,
        note=note,
        out_of_distribution=reason is not None,
        ood_score=None if score is None else round(score, 4),
        model=parser.NAME,
        evidence=evidence,
    )


def _named(failure: programs.Unanswerable) -> str:
    step = failure.step
    return named(step.inputs[0]) if step is not None and step.inputs else "object"
