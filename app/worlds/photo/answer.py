"""Answering one question about one photo: read it, look with the models, answer.

The router hands over the decoded image; this module reads the question
(`photo_reading`), runs the classifier and the detector side by side through the
registry (each micro-batched with other requests), and applies the rules
(`photo_rules`); a question about text also runs Tesseract (`photo_text`) beside them.
The answer has every world's fields, `world: "photo"`, and the evidence each answer
rests on: the classifier's top classes and kinds, the boxes, the words read.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import numpy as np
from PIL import Image

from app.worlds.base import Answer, PhotoEvidence
from app.worlds.photo import classify as photo_classify
from app.worlds.photo import detect as photo_detect
from app.worlds.photo import faces as photo_faces
from app.worlds.photo import people_rules
from app.worlds.photo import pose as photo_pose
from app.worlds.photo import segment as photo_segment
from app.worlds.photo import text as photo_text
from app.worlds.photo.reading import SCOPE_NOTE, TEXT_NOTE, PhotoQuestion
from app.worlds.photo.rules import RULES, Look, Outcome, Thresholds

CLASSIFIER, DETECTOR, POSE = "photo_classifier", "photo_detector", "photo_pose"
FACES, EXPRESSION, SEGMENT = "photo_faces", "photo_expression", "photo_segment"
MODELS = (CLASSIFIER, DETECTOR, POSE, FACES, EXPRESSION, SEGMENT)
FACE_ASPECTS = ("count", "faces", "smiling", "smiling_all", "count_smiling")  # people are counted by faces too
EXPRESSION_ASPECTS = ("smiling", "smiling_all", "count_smiling")


ANSWERING = RULES | {"people": people_rules.answer}


async def look(registry, image: Image.Image, thresholds: Thresholds, models: tuple[str, ...] = (CLASSIFIER, DETECTOR)) -> Look:
    """Both recognition models, and of the people models those `models` names
    (`models_used`: a count of cups never pays for them)."""
    classifier, detector = registry.require_ready(CLASSIFIER), registry.require_ready(DETECTOR)
    extra = [m for m in (POSE, FACES, SEGMENT) if m in models]  # the expression model reads the faces found
    inputs = {POSE: photo_pose.photo_to_input, FACES: photo_faces.photo_to_input, SEGMENT: photo_segment.photo_to_input}
    probabilities, output, *more = await asyncio.gather(
        registry.infer(classifier, photo_classify.photo_to_input(image)[None]),
        registry.infer(detector, photo_detect.photo_to_input(image)[None]),
        *(registry.infer(registry.require_ready(m), inputs[m](image)[None]) for m in extra),
    )
    detections = photo_detect.decode(output[0], detector.assets["labels"], image.size, min_score=thresholds.maybe)
    seen = Look.from_outputs(image, probabilities[0], classifier.assets, detections)
    heads = dict(zip(extra, (o[0] for o in more), strict=True))
    if POSE in heads:
        seen.people = photo_pose.decode(heads[POSE], image.size)
    if FACES in heads:
        found = photo_faces.decode(heads[FACES], image.size)
        seen.faces = await _expressions(registry, image, found) if EXPRESSION in models else found
    if SEGMENT in heads:
        seen.person_mask = photo_segment.mask_for(heads[SEGMENT], image.size)
    return seen


async def _expressions(registry, image: Image.Image, found: list[photo_faces.Face]) -> list[photo_faces.Face]:
    """Each face with the expression model's reading (one call for all of them)."""
    if not found:
        return []
    crops = np.stack([photo_faces.face_to_input(image, f) for f in found])
    probabilities = await registry.infer(registry.require_ready(EXPRESSION), crops)
    return [photo_faces.with_expression(f, p) for f, p in zip(found, probabilities, strict=True)]


def models_used(q: PhotoQuestion) -> tuple[str, ...]:
    """The models a question needs: people questions add the pose model, and counts and
    faces the face finder, smiles the expression model, clothes' colours the person mask."""
    if q.intent != "people":
        return (CLASSIFIER, DETECTOR)
    aspect = q.aspect or ""
    if aspect in EXPRESSION_ASPECTS:
        extra: tuple[str, ...] = (FACES, EXPRESSION)
    elif aspect in FACE_ASPECTS:
        extra = (FACES,)
    else:
        extra = (SEGMENT,) if aspect.startswith(("clothes_colour", "wearing")) else ()
    return (CLASSIFIER, DETECTOR, POSE, *extra)


def _evidence(seen: Look, upload_scale: float, words: list[photo_text.Word], whole: bool = False) -> dict[str, Any]:
    """What the models saw; boxes in the uploaded image's pixels (a large JPEG is
    decoded at a reduced scale, `imaging.decode_image`); for a question about the
    whole picture, what its pixels measure."""
    kinds = sorted(seen.kinds.items(), key=lambda kv: -kv[1])[:3]
    evidence: dict[str, Any] = {
        "classes": seen.classes,
        "kinds": [{"kind": k, "probability": round(p, 4)} for k, p in kinds if p >= 0.01],
        "objects": [d.as_dict(upload_scale) for d in seen.detections],
        "text": [w.as_dict(upload_scale) for w in words],
    }
    if seen.people is not None:
        evidence["people"] = [p.as_dict(upload_scale) for p in seen.people]
    if seen.faces is not None:
        evidence["faces"] = [f.as_dict(upload_scale) for f in seen.faces]
    if seen.person_mask is not None:
        evidence["person_mask_png"] = photo_segment.mask_png(seen.person_mask)
    if whole:
        m = seen.picture
        evidence["picture"] = {"coloured_share": round(m.coloured_share, 4), "lightness": round(m.lightness, 4)}
    return evidence


def read_text_outcome(words: list[photo_text.Word]) -> Outcome:
    if not words:
        return Outcome([], guess=True, note="I see no text I can read clearly.", interpreted_as=["read text"])
    sure = sum(w.confidence for w in words) / len(words) / 100
    return Outcome([{"answer": " ".join(w.text for w in words), "probability": round(sure, 4)}], interpreted_as=["read text"])


async def answer(registry, image: Image.Image, q: PhotoQuestion) -> Answer:
    """The answer to the question as read (`q`) about the photo (less timing)."""
    if q.intent == "text" and not photo_text.available():
        q = replace(q, intent=None, scope_note=f"{TEXT_NOTE} {SCOPE_NOTE}")
    thresholds = Thresholds.from_card(registry.get(DETECTOR).card)
    words: list[photo_text.Word] = []
    if q.intent == "text":  # Tesseract on its own thread, beside the two models
        seen, words = await asyncio.gather(look(registry, image, thresholds), asyncio.to_thread(photo_text.read_text, image))
        outcome = read_text_outcome(words)
    else:
        seen = await look(registry, image, thresholds, models_used(q))
        outcome = ANSWERING[q.intent](q, seen, thresholds) if q.intent else Outcome(guess=True)
    return Answer.from_reading(
        q.question,
        "photo",
        q,
        interpreted_as=outcome.interpreted_as,
        answers=outcome.answers,
        guess=bool(outcome.guess or not outcome.answers),
        note=outcome.note,
        model="+".join(models_used(q)),
        evidence=PhotoEvidence.model_validate(
            _evidence(seen, float(image.info.get("upload_scale", 1.0)), words, whole=q.intent == "picture")
        ),
    )
