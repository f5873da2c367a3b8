"""The rules for questions about people (`app.worlds.photo.people` says what they are)."""

from __future__ import annotations

from dataclasses import replace

from app.worlds.photo import people as body
from app.worlds.photo.faces import Face
from app.worlds.photo.pose import Person
from app.worlds.photo.reading import PhotoQuestion
from app.worlds.photo.rules import Look, Outcome, Thresholds, _answer, _percent, count

POSTURE_WORDS = {"sitting": "sitting", "standing": "standing", "lying": "lying down"}


def count_people(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    """The detector's count (`rules.count`, with its borderline detections), unless the
    pose model or the faces on people find more: the detector misses people who overlap,
    the pose model stops at six and merges people close together."""
    by_detector = count(replace(q, intent="count"), look, th)
    people, faces = look.people or [], _faces(look, th)
    detected = int(by_detector.answers[0]["answer"]) if by_detector.answers and by_detector.answers[0]["answer"].isdigit() else 0
    if max(len(people), len(faces)) <= detected:
        return replace(by_detector, interpreted_as=["count people"])
    n = max(len(people), len(faces))
    note = f"The detector found {detected} clearly, the pose model {len(people)}, the face finder {len(faces)}: I take the most."
    if q.person_detail:
        note = f"{body.PEOPLE_NOTE} {note}"
    sure = min(p.score for p in people) if len(people) == n else min(f.score for f in faces)
    return Outcome([_answer(str(n), sure)], guess=q.person_detail, note=note, interpreted_as=["count people"])


def _person_boxes(look: Look, min_score: float) -> list[tuple[float, float, float, float]]:
    """Where people are: the detector's people at least `min_score` sure and the pose model's."""
    boxes = [d.box for d in look.detections if d.label == "person" and d.score >= min_score]
    return boxes + [p.box for p in look.people or []]


def _faces(look: Look, th: Thresholds) -> list[Face]:
    """BlazeFace's faces that sit on a person either model found (a sure detection only:
    the detector half sees people in cats, a cat face on a 25 % person)."""
    return body.faces_on_people(look.faces or [], _person_boxes(look, th.detect))


def count_faces(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    found = _faces(look, th)
    dropped = len(look.faces or []) - len(found)
    note = "Faces found by BlazeFace" + (
        f"; {dropped} more not on any person found (an animal's, or a pattern)." if dropped else "."
    )
    sure = min((f.score for f in found), default=1.0)
    return Outcome([_answer(str(len(found)), sure)], note=note, interpreted_as=["count faces"])


def smiling(q: PhotoQuestion, look: Look, th: Thresholds, everyone: bool) -> Outcome:
    """'Is anyone smiling?' (one smile is yes) or 'are they smiling?' (most faces)."""
    found = _faces(look, th)
    interpreted = ["are they smiling" if everyone else "is anyone smiling"]
    if not found:
        return Outcome([], guess=True, note="I can't tell: I find no face.", interpreted_as=interpreted)
    said = [body.smiles(f) for f in found]
    counts = f"{said.count(True)} of {len(found)} faces smile, {said.count(False)} do not"
    counts += f", {said.count(None)} I cannot tell" if None in said else ""
    note = f"{counts} (the expression model's 'happy')."
    if everyone:
        if said.count(True) > len(found) / 2:
            return Outcome([_answer("yes", said.count(True) / len(found))], note=note, interpreted_as=interpreted)
        if said.count(False) > len(found) / 2:
            return Outcome([_answer("no", said.count(False) / len(found))], note=note, interpreted_as=interpreted)
    elif True in said:
        return Outcome([_answer("yes", max(f.happy for f in found))], note=note, interpreted_as=interpreted)
    elif all(s is False for s in said):
        return Outcome([_answer("no", 1 - max(f.happy for f in found))], note=note, interpreted_as=interpreted)
    return Outcome([], guess=True, note=f"I can't tell: {note}", interpreted_as=interpreted)


def count_smiling(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    said = [body.smiles(f) for f in _faces(look, th)]
    interpreted = ["count smiling faces"]
    note = f"{said.count(True)} of {len(said)} faces smile."
    if None in said:
        return Outcome([], guess=True, note=f"I can't tell: {note} {said.count(None)} I cannot read.", interpreted_as=interpreted)
    return Outcome([_answer(str(said.count(True)), 1.0)], note=note, interpreted_as=interpreted)


def _postures(look: Look) -> tuple[list[Person], list[str | None]]:
    people = look.people or []
    return people, body.postures(people)


def posture_yes_no(q: PhotoQuestion, look: Look, th: Thresholds, asked: str) -> Outcome:
    people, said = _postures(look)
    interpreted = [f"is anyone {POSTURE_WORDS[asked]}"]
    if not people:
        return Outcome([_answer("no", 1.0)], guess=True, note="The pose model finds no one.", interpreted_as=interpreted)
    seen = [s for s in said if s]
    summary = f"Of {len(people)} people found, I see " + (
        ", ".join(f"{seen.count(s)} {POSTURE_WORDS[s]}" for s in sorted(set(seen))) if seen else "no one's legs clearly enough"
    )
    if asked in seen:
        who = [p for p, s in zip(people, said, strict=True) if s == asked]
        return Outcome([_answer("yes", max(p.score for p in who))], note=summary + ".", interpreted_as=interpreted)
    if len(seen) == len(people):
        return Outcome([_answer("no", min(p.score for p in people))], note=summary + ".", interpreted_as=interpreted)
    note = f"I can't tell: {summary}; the others' hips and knees are not seen."
    return Outcome([], guess=True, note=note, interpreted_as=interpreted)


def which_posture(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    people, said = _postures(look)
    seen = [s for s in said if s]
    interpreted = ["which posture"]
    if not seen:
        return Outcome([], guess=True, note="I can't tell: no one's hips and knees are seen clearly.", interpreted_as=interpreted)
    top = max(set(seen), key=seen.count)
    note = f"{seen.count(top)} of {len(people)} people found are {POSTURE_WORDS[top]}."
    return Outcome(
        [_answer(top, seen.count(top) / len(people))], guess=len(seen) < len(people), note=note, interpreted_as=interpreted
    )


def count_in_posture(q: PhotoQuestion, look: Look, th: Thresholds, asked: str) -> Outcome:
    people, said = _postures(look)
    n = said.count(asked)
    unknown = said.count(None)
    note = f"{n} of {len(people)} people found are {POSTURE_WORDS[asked]}" + (
        f"; {unknown} I cannot see well enough to say." if unknown else "."
    )
    interpreted = [f"count people {POSTURE_WORDS[asked]}"]
    if unknown:  # the count would only be a floor
        return Outcome([], guess=True, note=f"I can't tell: {note}", interpreted_as=interpreted)
    return Outcome([_answer(str(n), 1.0)], note=note, interpreted_as=interpreted)


def arm_raised(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    people = look.people or []
    said = [body.pose.arm_raised(p) for p in people]
    interpreted = ["is anyone raising an arm"]
    if True in said:
        return Outcome([_answer("yes", 1.0)], note="A wrist is above its shoulder.", interpreted_as=interpreted)
    if people and all(s is False for s in said):
        return Outcome([_answer("no", 1.0)], note="Every wrist seen is below its shoulder.", interpreted_as=interpreted)
    return Outcome([], guess=True, note="I can't tell: not every person's arms are seen.", interpreted_as=interpreted)


def _held(look: Look, th: Thresholds) -> tuple[list[tuple[str, float]], bool]:
    """The things someone holds (label, detector score), and whether any wrist was seen."""
    people = look.people or []
    things = [d for d in look.detections if d.label != "person" and d.score >= th.maybe]
    held = [(d.label, d.score) for d in things if any(body.holds(p, d.box) for p in people)]
    wrist_seen = any(p.point("left_wrist") or p.point("right_wrist") for p in people)
    return held, wrist_seen


def what_held(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    if q.position:  # "what is the woman on the left holding?": that person's hands only
        chosen = body.at_position(look.people or [], q.position)
        look = replace(look, people=[chosen] if chosen else [])
    held, wrist_seen = _held(look, th)
    interpreted = ["what is held"]
    if held:
        label, score = max(held, key=lambda h: h[1])
        note = "The thing the detector found at a person's wrist."
        return Outcome([_answer(label, score)], guess=score < th.detect, note=note, interpreted_as=interpreted)
    why = "no thing the detector knows is at a wrist" if wrist_seen else "no one's wrists are seen"
    return Outcome([], guess=True, note=f"I can't tell: {why}.", interpreted_as=interpreted)


def holding_yes_no(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    held, wrist_seen = _held(look, th)
    name = q.thing.detector if q.thing else None
    interpreted = [f"is anyone holding {name or 'something'}"]
    matching = [(label, s) for label, s in held if name is None or label == name]
    if matching:
        return Outcome([_answer("yes", max(s for _, s in matching))], interpreted_as=interpreted)
    everyone = look.people or []
    all_hands = everyone and all(p.point("left_wrist") and p.point("right_wrist") for p in everyone)
    if all_hands:  # every hand is seen, and nothing (of that kind) is in one
        note = f"Every hand is seen; no {q.thing.word if q.thing else 'thing the detector knows'} is in one."
        return Outcome([_answer("no", 1.0)], guess=True, note=note, interpreted_as=interpreted)
    return Outcome([], guess=True, note="I can't tell: not every hand is seen.", interpreted_as=interpreted)


def wearing_colour(q: PhotoQuestion, look: Look, th: Thresholds, colour: str) -> Outcome:
    colour = {"grey": "gray"}.get(colour, colour)
    interpreted = [f"is anyone wearing {colour}"]
    seen = [(p, body.clothes_colours(look.image, p, look.person_mask)) for p in look.people or []]
    seen = [(p, c) for p, c in seen if c]
    if not seen:
        return Outcome([], guess=True, note="I can't tell: no one's upper body is seen.", interpreted_as=interpreted)
    shares = [next((c["share"] for c in colours if c["colour"] == colour), 0.0) for _, colours in seen]
    best = max(shares)
    note = f"The most {colour} upper body is {_percent(best)} {colour}."
    if best >= 0.3:
        return Outcome([_answer("yes", best)], note=note, interpreted_as=interpreted)
    # never "no": colour names are read from pixels, and a maroon shirt may be named brown
    return Outcome([], guess=True, note=f"I can't tell: {note}", interpreted_as=interpreted)


def clothes_colour(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    """One person's upper (or lower) body: the only one, the one at the position asked, or
    everyone's when they all wear the same colour."""
    part = "lower" if (q.aspect or "").endswith(":lower") else "upper"
    body_part = "lower body" if part == "lower" else "upper body"
    interpreted = ["colour of clothes" + (", lower body" if part == "lower" else "")]
    people = look.people or []
    if q.position:
        chosen = body.at_position(people, q.position)
        people = [chosen] if chosen else []
        place = "in the middle" if q.position == "middle" else f"on the {q.position}"
        interpreted = [f"{interpreted[0]}, the person {place}"]
    if not people:
        return Outcome([], guess=True, note="I can't tell: I see no one there.", interpreted_as=interpreted)
    read = [body.clothes_colours(look.image, p, look.person_mask, part) for p in people]
    tops = {c[0]["colour"] for c in read if c and c[0]["share"] >= th.colour_share}
    if len(people) > 1:
        if len(tops) == 1 and all(c and c[0]["share"] >= th.colour_share for c in read):
            (colour,) = tops
            share = min(c[0]["share"] for c in read)
            return Outcome(
                [_answer(colour, share)],
                note=f"All {len(people)} people wear {colour} on the {body_part}.",
                interpreted_as=interpreted,
            )
        return Outcome(
            [],
            guess=True,
            note=f"I can't tell: I see {len(people)} people in different colours and cannot tell which one is meant.",
            interpreted_as=interpreted,
        )
    colours = read[0]
    if not colours:
        return Outcome([], guess=True, note=f"I can't tell: the {body_part} is not seen.", interpreted_as=interpreted)
    shares = ", ".join(f"{c['colour']} {_percent(c['share'])}" for c in colours)
    if colours[0]["share"] < th.colour_share:
        note = f"No one colour stands out on the {body_part}: {shares}."
        return Outcome([], guess=True, note=note, interpreted_as=interpreted)
    note = f"The {body_part}: {shares}."
    return Outcome([_answer(colours[0]["colour"], colours[0]["share"])], note=note, interpreted_as=interpreted)


def activity(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    """The sport the gear implies: the surest piece of gear that overlaps a person."""
    people = _person_boxes(look, th.maybe)
    gear = [d for d in look.detections if d.label in body.ACTIVITIES and d.score >= th.maybe]
    on_someone = [d for d in gear if any(_overlap(d.box, b) for b in people)]
    interpreted = ["what activity"]
    if not on_someone:
        why = "no one is near the " + gear[0].label if gear else "I see no sports gear"
        return Outcome([], guess=True, note=f"I can't tell: {why}; I know sports only by their gear.", interpreted_as=interpreted)
    best = max(on_someone, key=lambda d: d.score)
    note = f"A {best.label} ({_percent(best.score)}) on or beside a person."
    sport = body.ACTIVITIES[best.label]
    return Outcome(
        [_answer(sport, best.score)],
        guess=best.score < th.detect or sport == "a ball game",
        note=note,
        interpreted_as=interpreted,
    )


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# The aspects answered by one rule each; the others carry a detail after a colon.
BY_ASPECT = {
    "count": count_people,
    "faces": count_faces,
    "activity": activity,
    "count_smiling": count_smiling,
    "which_posture": which_posture,
    "arm_raised": arm_raised,
    "what_held": what_held,
    "holding": holding_yes_no,
    "clothes_colour": clothes_colour,  # ":lower" is read by the rule itself
}


def answer(q: PhotoQuestion, look: Look, th: Thresholds) -> Outcome:
    kind, _, detail = (q.aspect or "").partition(":")
    if kind == "count" and detail:
        return count_in_posture(q, look, th, detail)
    if kind == "posture":
        return posture_yes_no(q, look, th, detail)
    if kind == "wearing":
        return wearing_colour(q, look, th, detail)
    if kind in ("smiling", "smiling_all"):
        return smiling(q, look, th, everyone=kind == "smiling_all")
    return BY_ASPECT[kind](q, look, th)
