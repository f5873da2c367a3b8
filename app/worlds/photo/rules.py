"""Answering a photo question from what the classifier and the detector saw (questions
about people: `people_rules`, with the pose model's people).

Every answer is grounded in a model output and carries it as evidence. The rules,
with the thresholds on the detector's card (`photo_thresholds`, see `Thresholds`):
- a thing is there when the detector found it at least `detect` sure, or the
  classifier gives its kind at least `kind`; it is not there when the detector's best
  is under `maybe` and the classifier gives its kind under `kind_absent`; in between
  the answer is "I can't tell", never a yes or no;
- an animal the detector names is doubted when the classifier is sure it is another
  animal (the detector calls many cats dogs), and a borderline detection is dropped
  when the classifier is sure the photo shows something else;
- small things the detector often misses (spoons, phones, ties) are never said to be
  absent;
- counts count detections at least `detect` sure; weaker ones make the count a guess;
  "how many women (children...)?" is answered as people (the number), as a guess, with
  a note that the detector cannot tell them apart;
  an animal the classifier is sure of and the detector does not find clearly is a
  close-up of one, counted as a guess;
- a colour is named from the thing's own pixels (its box; for a close-up animal, the
  middle of the photo); when no colour has
  `colour_share` of them, the shares are said and no colour is answered;
- a room is named from the objects that make it (an oven, a sink, a bed); one weak
  sign (a table) is said, not answered;
- the whole picture (in colour, dark, night) is measured from its pixels
  (`app.worlds.photo.picture`): between the cut-offs the answer is "I can't tell", and
  night or day is always a guess; indoors or out comes from what only one side has
  (a bed, an oven; a car, a seashore), "I can't tell" with neither or both.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property

import numpy as np
from PIL import Image

from app.worlds.photo import classify as photo_classify
from app.worlds.photo import words
from app.worlds.photo.colour import dominant_colours
from app.worlds.photo.detect import Detection
from app.worlds.photo.faces import Face
from app.worlds.photo.picture import PictureMeasures, measure_picture
from app.worlds.photo.pose import Person
from app.worlds.photo.reading import PhotoQuestion, Thing


@dataclass(frozen=True)
class Thresholds:
    detect: float = 0.35
    maybe: float = 0.2
    kind: float = 0.5
    kind_absent: float = 0.05
    category_absent: float = 0.25  # all the animal (vehicle, food) classes together under this: none there
    single_class: float = 0.5
    colour_share: float = 0.6
    doubt_unless: float = 0.6  # a detection this sure stands even against the classifier

    @classmethod
    def from_card(cls, card: dict) -> Thresholds:
        given = card.get("photo_thresholds", {})
        return cls(**{f.name: float(given[f.name]) for f in fields(cls) if f.name in given})


@dataclass
class Look:
    """What the models saw in one photo."""

    image: Image.Image  # for colours
    probabilities: dict[str, float]  # ImageNet class -> probability
    classes: list[dict]  # the classifier's top classes, each with its kind
    kinds: dict[str, float]  # kind -> summed probability
    detections: list[Detection]  # at least `maybe` sure, best first
    people: list[Person] | None = None  # the pose model's, when the question needed it
    faces: list[Face] | None = None  # BlazeFace's, with expressions, when the question needed them
    person_mask: np.ndarray | None = None  # per photo pixel, how sure it is a person (clothes questions)

    @classmethod
    def from_outputs(cls, image: Image.Image, probabilities: np.ndarray, assets: dict, detections: list[Detection]) -> Look:
        classes = photo_classify.top_classes(probabilities, assets["labels"], 5, kind_of=assets["kind_of_class"])
        kinds = {k: float(probabilities[idx].sum()) for k, idx in assets["kinds"].items()}
        by_label = {label: float(probabilities[i]) for label, i in assets["room_classes"].items()}
        return cls(image, by_label, classes, kinds, detections)

    @cached_property
    def picture(self) -> PictureMeasures:
        """The whole picture's pixels, measured once for the rule and its evidence."""
        return measure_picture(self.image)

    def top_kind(self, among: tuple[str, ...] | None = None) -> tuple[str | None, float]:
        candidates = {k: p for k, p in self.kinds.items() if among is None or k in among}
        if not candidates:
            return None, 0.0
        kind = max(candidates, key=candidates.__getitem__)
        return kind, candidates[kind]


@dataclass
class Outcome:
    answers: list[dict] = field(default_factory=list)
    guess: bool = False
    note: str | None = None
    interpreted_as: list[str] = field(default_factory=list)


def _answer(text: str, probability: float) -> dict:
    return {"answer": text, "probability": round(float(probability), 4)}


def _percent(p: float) -> str:
    return f"{round(100 * p)}%"


def _people(n: int) -> str:
    return "one person" if n == 1 else f"{n} people"


def _maybe_list(look: Look) -> str:
    return ", ".join(f"{c['label']} ({_percent(c['probability'])})" for c in look.classes[:3])


def doubted(thing: Thing, look: Look, th: Thresholds) -> bool:
    """The classifier is sure the photo shows another animal than the one detected."""
    if thing.kind not in words.CATEGORIES["animal"]:
        return False
    kind, p = look.top_kind(words.CATEGORIES["animal"])
    return kind != thing.kind and p >= th.kind and look.kinds.get(thing.kind, 0.0) < th.kind_absent


def confident_detections(thing: Thing, look: Look, th: Thresholds) -> tuple[list[Detection], list[Detection]]:
    """The thing's detections that count, and the borderline ones. A borderline
    detection is dropped when the classifier is sure the photo shows something else."""
    found = [d for d in look.detections if d.label == thing.detector]
    if doubted(thing, look, th):
        found = [d for d in found if d.score >= th.doubt_unless]
    kind, p = look.top_kind()
    sure_of_other = p >= th.kind and kind != thing.kind
    borderline = [] if sure_of_other else [d for d in found if d.score < th.detect]
    return [d for d in found if d.score >= th.detect], borderline


def identify(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    among = words.CATEGORIES.get(q.category or "")
    if q.thing is not None and q.thing.kind and q.category is None:  # "what kind of dog is it?"
        return _identify_within(q.thing, look, th)
    kind, p = look.top_kind(among)
    interpreted = [f"identify {q.category or 'main thing'}"]
    if kind is not None and p >= th.kind:
        return Outcome([_answer(kind, p)], interpreted_as=interpreted, note=f"The classifier's top classes: {_maybe_list(look)}.")
    top = look.classes[0]
    if among is None and top["probability"] >= th.single_class:
        return Outcome([_answer(top["label"], top["probability"])], interpreted_as=interpreted)
    # the classifier is unsure: a clear detection names the main thing instead
    wanted = {d.label for d in look.detections} if among is None else _detector_labels(q.category)
    seen = [d for d in look.detections if d.label in wanted]
    if seen and seen[0].score >= (th.detect if among is None else th.doubt_unless):
        return Outcome([_answer(seen[0].label, seen[0].score)], interpreted_as=interpreted, note="From the object detector.")
    category_p = sum(look.kinds.get(k, 0.0) for k in among) if among else 1.0
    if among is not None and category_p < th.category_absent and not seen:
        # what it is instead: the classifier's kind when it is sure, else a clear detection
        # it does not doubt (the detector calls many cats dogs), else its top class
        kind, p_kind = look.top_kind()
        clear = [d for d in look.detections if d.score >= th.detect and not doubted(_thing_for(d.label), look, th)]
        main = kind if kind is not None and p_kind >= th.kind else (clear[0].label if clear else look.classes[0]["label"])
        note = f"I see no {q.category} in this photo; it looks most like {main}."
        sure = category_p < th.kind_absent
        return Outcome([_answer("none", 1.0 - category_p)], guess=not sure, interpreted_as=interpreted, note=note)
    return Outcome(
        [], guess=True, interpreted_as=interpreted, note=f"I am not sure what this is. It might be: {_maybe_list(look)}."
    )


def _detector_labels(category: str | None) -> set[str]:
    kinds = set(words.CATEGORIES.get(category or "", ()))
    return {label for word, label in words.NOUNS.items() if words.KIND_NOUNS.get(word) in kinds}


def _identify_within(thing: Thing, look: Look, th: Thresholds) -> Outcome:
    p_kind = look.kinds.get(thing.kind or "", 0.0)
    inside = [c for c in look.classes if c.get("kind") == thing.kind]
    interpreted = [f"identify kind of {thing.word}"]
    if p_kind < th.kind or not inside:
        return Outcome(
            [],
            guess=True,
            interpreted_as=interpreted,
            note=f"I am not sure this is a {thing.word}. It might be: {_maybe_list(look)}.",
        )
    share = inside[0]["probability"] / p_kind
    return Outcome([_answer(inside[0]["label"], share)], guess=share < th.kind, interpreted_as=interpreted)


def exists(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    thing = q.thing
    assert thing is not None, "the reader asks exists only about a thing"
    counted, borderline = confident_detections(thing, look, th) if thing.detector else ([], [])
    p_kind = look.kinds.get(thing.kind or "", 0.0)
    interpreted = [f"exists {thing.name}"]
    if counted and q.person_detail:  # "is there a man?" with a person there: which, it cannot tell
        return Outcome([], guess=True, interpreted_as=interpreted, note=f"I see {_people(len(counted))}. {q.note}")
    if counted or p_kind >= th.kind:
        p = max([d.score for d in counted] + [p_kind])
        return Outcome([_answer("yes", p)], interpreted_as=interpreted, note=q.note)
    if thing.detector in words.SMALL_OBJECTS and not borderline:
        note = f"I can't tell: the detector often misses small things like a {thing.word}, and found none."
        return Outcome([], guess=True, interpreted_as=interpreted, note=note)
    if not borderline and p_kind < th.kind_absent:
        return Outcome([_answer("no", 1.0 - p_kind)], interpreted_as=interpreted)
    sure = max([d.score for d in borderline] + [p_kind])
    return Outcome(
        [],
        guess=True,
        interpreted_as=interpreted,
        note=f"I can't tell: the models are {_percent(sure)} sure there is a {thing.word}.",
    )


def count(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    thing = q.thing
    assert thing is not None and thing.detector, "the reader asks counts only of detector classes"
    counted, borderline = confident_detections(thing, look, th)
    if counted and q.person_detail:  # "how many women?": the people, counted as people, never as women
        answer = _answer(str(len(counted)), min(d.score for d in counted))
        return Outcome([answer], guess=True, interpreted_as=[f"count {thing.name}"], note=f"I count people. {q.note}")
    p_kind = look.kinds.get(thing.kind or "", 0.0)
    if not counted and p_kind >= th.kind:
        if _close_up_animal(thing, look, th):
            note = (
                f"The detector found no {thing.word}, but the classifier is {_percent(p_kind)} sure the photo shows "
                f"one: a close-up, so I count one."
            )
            return Outcome([_answer("1", p_kind)], guess=True, interpreted_as=[f"count {thing.name}"], note=note)
        note = f"The classifier is sure this shows a {thing.word}, but the detector found none clearly: I can't count them."
        return Outcome([], guess=True, interpreted_as=[f"count {thing.name}"], note=note)
    probability = min([d.score for d in counted], default=1.0 - max([d.score for d in borderline], default=0.0))
    more = f"Maybe {len(borderline)} more, the detector is less sure of those." if borderline else None
    said = " ".join(n for n in (q.note, more) if n) or None
    return Outcome(
        [_answer(str(len(counted)), probability)], guess=bool(borderline), note=said, interpreted_as=[f"count {thing.name}"]
    )


def _close_up_animal(thing: Thing, look: Look, th: Thresholds) -> bool:
    """An animal the classifier is sure of and the detector does not find clearly: one
    animal filling the photo, too close for a detector trained on whole animals."""
    found = any(d.label == thing.detector and d.score >= th.detect for d in look.detections)
    return thing.kind in words.CATEGORIES["animal"] and look.kinds.get(thing.kind or "", 0.0) >= th.kind and not found


def _thing_for(label: str) -> Thing:
    return Thing(label, label, words.KIND_NOUNS.get(label))


def colour(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    """The colour of the named thing's box, or of the clearest thing for "it": never of
    a person (that would be their clothes) nor of the photo's middle, often background."""
    thing = q.thing
    interpreted = [f"colour {thing.name if thing else 'main thing'}"]
    if thing is not None and thing.detector == "person":
        return Outcome(
            [],
            guess=True,
            interpreted_as=interpreted,
            note="A person's colour would be their clothes or skin; I do not name those.",
        )
    wanted = [thing] if thing is not None else [_thing_for(d.label) for d in look.detections if d.label != "person"]
    clear = [
        d
        for d in look.detections
        if d.score >= th.detect and any(t.detector == d.label and not doubted(t, look, th) for t in wanted)
    ]
    if not clear and thing is not None and _close_up_animal(thing, look, th):
        # the classifier names it, the middle of the photo is it (a tall rocket against the sky is not)
        width, height = look.image.size
        return _colour_of(look, (0.0, 0.0, float(width), float(height)), thing.word, th, "the middle of the photo")
    if not clear:
        missing = (
            f"I can't find a {thing.word} clearly enough to name its colour."
            if thing
            else ("Name the thing whose colour you want: I found nothing clear enough to take as 'it'.")
        )
        return Outcome([], guess=True, interpreted_as=interpreted, note=missing)
    label = clear[0].label
    return _colour_of(look, clear[0].box, label, th, f"the {label}'s box")


def _colour_of(look: Look, box: tuple[float, float, float, float], label: str, th: Thresholds, where: str) -> Outcome:
    colours = dominant_colours(look.image, box, label)
    if not colours:
        return Outcome([], guess=True, interpreted_as=[f"colour {label}"], note="The box is too small to see its colour.")
    top = colours[0]
    shares = ", ".join(f"{c['colour']} {_percent(c['share'])}" for c in colours)
    interpreted = [f"colour {label}"]
    if top["share"] < th.colour_share:  # mixed colours: say what was seen, answer nothing
        note = f"No one colour stands out in {where}: {shares} of its pixels."
        return Outcome([], guess=True, interpreted_as=interpreted, note=note)
    return Outcome(
        [_answer(top["colour"], top["share"])], note=f"Named from {where}: {shares} of its pixels.", interpreted_as=interpreted
    )


def room(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    """Which room, from the objects that make each room."""
    evidence: dict[str, dict[str, float]] = {}
    for name, objects in words.ROOMS.items():
        seen = {d.label: d.score for d in reversed(look.detections) if d.label in objects and d.score >= th.detect}
        for c in words.ROOM_CLASSES[name]:
            if look.probabilities.get(c, 0.0) >= th.maybe:
                seen[c] = max(seen.get(c, 0.0), look.probabilities[c])
        if seen:
            evidence[name] = seen
    interpreted = [f"is this a {q.room}" if q.room else "which room"]
    if not evidence:
        note = "I see nothing that says which room this is (no oven, sink, bed, sofa, toilet or desk)."
        return Outcome([], guess=True, interpreted_as=interpreted, note=note)
    best = max(evidence, key=lambda r: (len(evidence[r]), max(evidence[r].values())))
    because = f"I see {', '.join(sorted(evidence[best]))}."
    # one weak sign is a hint, not a room: a table is in many rooms
    if len(evidence[best]) == 1 and max(evidence[best].values()) < th.doubt_unless:
        return Outcome([], guess=True, interpreted_as=interpreted, note=f"Perhaps a {best}, but all I see is {because[6:]}")
    guess = len(evidence) > 1
    if q.room:
        answer = "yes" if q.room in evidence else "no"
        note = because if answer == "yes" else f"It looks like a {best}: {because[2:]}"
        return Outcome([_answer(answer, 1.0)], guess=guess or answer == "no", note=note, interpreted_as=interpreted)
    return Outcome([_answer(best, 1.0)], guess=guess, note=because, interpreted_as=interpreted)


def picture(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    """Yes or no about the whole picture, from its pixels."""
    if q.aspect in ("indoors", "outdoors"):
        return _indoors_or_out(q.aspect, look, th)
    m = look.picture
    if q.aspect in ("colour", "gray"):
        interpreted = ["is the photo in colour" if q.aspect == "colour" else "is the photo black and white"]
        seen = f"{_percent(m.coloured_share)} of its pixels have colour"
        if m.colour is None:
            return Outcome([], guess=True, interpreted_as=interpreted, note=f"I can't tell: {seen} (a tinted photo?).")
        return Outcome(
            [_answer("yes" if m.colour == q.aspect else "no", 1.0)],
            note=f"{seen[0].upper()}{seen[1:]}.",
            interpreted_as=interpreted,
        )
    brightness = f"its mean brightness is {_percent(m.lightness)}"
    interpreted = [f"is it {q.aspect}"]
    if m.light is None:
        return Outcome(
            [], guess=True, interpreted_as=interpreted, note=f"I can't tell: it is neither dark nor bright ({brightness})."
        )
    if q.aspect in ("dark", "bright"):
        return Outcome(
            [_answer("yes" if m.light == q.aspect else "no", 1.0)],
            note=f"The photo is {m.light}: {brightness}.",
            interpreted_as=interpreted,
        )
    looks = "night" if m.light == "dark" else "day"
    note = f"A guess from how dark the photo is ({brightness}): a dim room by day or a lit street at night would fool it."
    return Outcome([_answer("yes" if looks == q.aspect else "no", 0.6)], guess=True, note=note, interpreted_as=interpreted)


def _indoors_or_out(asked: str, look: Look, th: Thresholds) -> Outcome:
    """Indoors or out from what only one side has: a bed or an oven, a car or a seashore."""
    sure = [d for d in look.detections if d.score >= th.detect]
    classes = [c for c in look.classes if c["probability"] >= th.maybe]
    cues = {
        "indoors": [d.label for d in sure if d.label in words.INDOOR_OBJECTS]
        + [c["label"] for c in classes if c["label"] in words.INDOOR_CLASSES],
        "outdoors": [d.label for d in sure if d.label in words.OUTDOOR_OBJECTS]
        + [c["label"] for c in classes if c["label"] in words.OUTDOOR_CLASSES],
    }
    interpreted = [f"is the photo {asked}"]
    seen = {side: sorted(set(found)) for side, found in cues.items() if found}
    if len(seen) != 1:
        said = "; ".join(f"{', '.join(found)} ({side})" for side, found in seen.items())
        note = (
            f"I can't tell: I see both {said}." if seen else "I can't tell: I see nothing that is only indoors or only outdoors."
        )
        return Outcome([], guess=True, interpreted_as=interpreted, note=note)
    ((side, found),) = seen.items()
    return Outcome(
        [_answer("yes" if side == asked else "no", 1.0)],
        guess=len(cues[side]) == 1,  # one sign is a hint
        note=f"It looks {side}: I see {', '.join(found)}.",
        interpreted_as=interpreted,
    )


RULES = {"identify": identify, "exists": exists, "count": count, "colour": colour, "room": room, "picture": picture}
