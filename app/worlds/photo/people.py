"""Questions about people: their number, faces and smiles, posture, raised arms, what
they hold, what colour they wear. Read by `read_people`, answered (`people_rules`) from the
pose model's keypoints (`app.worlds.photo.pose`), BlazeFace's faces and their expressions
(`app.worlds.photo.faces`), beside the detector's boxes.

The rules:
- people are counted by whichever finds more of them, the detector, the pose model or
  the faces on people (the detector misses people who overlap; the pose model's six are
  its limit and it merges people close together); children, women, men are counted as
  people, with a note that neither model tells ages or genders apart;
- a posture is said only of people whose torso and thighs are seen (sitting: both hips
  and knees); "is anyone
  sitting?" is yes when one of them sits, no only when every person found is seen in
  another posture, and "I can't tell" otherwise;
- a person holds a thing the detector finds when one of their wrists is inside its box
  grown by a fifth; with no wrist seen, what they hold cannot be told;
- an activity is named from sports gear the detector finds on or beside a person (a
  racket: tennis); with none found, it cannot be told;
- clothes' colour comes from the torso between the shoulders and the hips (trousers, a
  skirt: the hips to the knees), only its pixels the person mask says are the person's;
- faces are BlazeFace's, counted only on a person either model found (it also finds
  cats' faces); a face smiles when the expression model gives "happy" at least
  `SMILE` (not below `NOT_SMILING`; between, that face cannot be told).
Nothing is said about who someone is, their age or gender, or their face beyond where it
is and whether it smiles.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from app.worlds.photo import pose, segment
from app.worlds.photo.colour import dominant_colours, name_pixels
from app.worlds.photo.faces import Face
from app.worlds.photo.pose import Person

POSTURES = {"sitting": "sitting", "sit": "sitting", "seated": "sitting", "standing": "standing", "stand": "standing"}
POSTURES |= {"lying": "lying", "laying": "lying", "lie": "lying"}
RAISE_WORDS = {"raising", "raised", "raise", "raises", "lifting", "lifted"}
LIMB_WORDS = {"arm", "arms", "hand", "hands"}
HOLD_WORDS = {"holding", "hold", "holds", "carrying", "carry", "carries"}
WEAR_WORDS = {"wearing", "wear", "wears", "dressed"}
CLOTHES = {
    "shirt",
    "shirts",
    "dress",
    "dresses",
    "jacket",
    "jackets",
    "coat",
    "coats",
    "suit",
    "suits",
    "clothes",
    "top",
    "sweater",
}
LOWER_CLOTHES = {"pants", "trousers", "jeans", "skirt", "skirts", "shorts", "leggings"}
SMILE_WORDS = {"smiling", "smile", "smiles"}
POSITION_WORDS = {"left": "left", "right": "right", "middle": "middle", "center": "middle", "centre": "middle"}
ACTIVITY_WORDS = {"sport", "sports", "game", "playing", "play", "doing"}
# What a thing in someone's hands or under their feet says they are doing (COCO's sports gear).
ACTIVITIES = {
    "tennis racket": "tennis",
    "baseball bat": "baseball",
    "baseball glove": "baseball",
    "skis": "skiing",
    "snowboard": "snowboarding",
    "surfboard": "surfing",
    "skateboard": "skateboarding",
    "frisbee": "frisbee",
    "kite": "flying a kite",
    "sports ball": "a ball game",
}
# "happy" is a feeling, not a face: the expression model's "happy" is read as a smile only
FACE_DETAIL = {"happy", "sad", "glasses", "sunglasses", "hat", "beard", "eyes", "mouth", "expression", "angry", "crying"}
EVERYONE_WORDS = {"they", "these", "those", "everyone", "everybody", "all", "people", "women", "men", "girls", "boys"}
EVERYONE_WORDS |= {"ladies", "kids", "children"}
COLOURS = {"black", "white", "gray", "grey", "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown"}
BODY_WORDS = set(POSTURES) | HOLD_WORDS | WEAR_WORDS
BODY_NOTE = (
    "About people I can say whether they sit, stand or lie, whether an arm is raised, which thing the detector "
    "finds in their hands, and the colour on their upper body; not what their clothes are, nor where or why."
)
FACE_NOTE = "I find faces and whether they smile, not what else they look like: I cannot tell glasses, a hat or a beard."
PEOPLE_NOTE = "Neither model tells a man from a woman or a child from an adult: I count people."
SMILE, NOT_SMILING = 0.5, 0.2
HOLD_MARGIN = 0.2  # a wrist this share of the box's size outside it still holds it


def read_people(tokens: list[str], asks_count: bool, asks_colour: bool, opens_yes_no: bool) -> str | None:
    """What a question asks about people's bodies (`PhotoQuestion.aspect` for the "people"
    intent), or None when it asks nothing of that."""
    said = set(tokens)
    if said & ACTIVITY_WORDS and tokens[0] in ("what", "which"):  # "what sport is this?", "what is he doing?"
        return "activity"
    if said & SMILE_WORDS:
        if asks_count:
            return "count_smiling"
        return ("smiling_all" if said & EVERYONE_WORDS else "smiling") if opens_yes_no else None
    postures = [POSTURES[t] for t in tokens if t in POSTURES]
    if postures:
        if asks_count:
            return f"count:{postures[0]}"
        if "or" in said and len(set(postures)) > 1:
            return "which_posture"
        return f"posture:{postures[0]}" if opens_yes_no else None
    if said & RAISE_WORDS and said & LIMB_WORDS or {"hands", "up"} <= said or {"arms", "up"} <= said:
        return "arm_raised" if opens_yes_no else None
    if said & HOLD_WORDS:
        return "holding" if opens_yes_no else ("what_held" if tokens[0] in ("what", "which") else None)
    if said & WEAR_WORDS and said & COLOURS and not asks_colour:
        return f"wearing:{next(t for t in tokens if t in COLOURS)}" if opens_yes_no else None
    if asks_colour and said & LOWER_CLOTHES:
        return "clothes_colour:lower"
    if asks_colour and said & CLOTHES:
        return "clothes_colour"
    if asks_count and said & {"face", "faces"}:
        return "faces"
    return None


def asks_face_detail(tokens: list[str]) -> bool:
    return bool(set(tokens) & FACE_DETAIL)


# -- what the keypoints say ----------------------------------------------------------


def faces_on_people(faces: list[Face], boxes: list[tuple[float, float, float, float]]) -> list[Face]:
    """The faces whose centre is inside some person's box."""

    def inside(face: Face, box: tuple[float, float, float, float]) -> bool:
        cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
        return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]

    return [f for f in faces if any(inside(f, b) for b in boxes)]


def at_position(people: list[Person], position: str) -> Person | None:
    """The leftmost, rightmost or middle person (by the box's centre), or None when
    "the middle" of an even number is asked."""
    ordered = sorted(people, key=lambda p: p.box[0] + p.box[2])
    if not ordered:
        return None
    if position == "left":
        return ordered[0]
    if position == "right":
        return ordered[-1]
    return ordered[len(ordered) // 2] if len(ordered) % 2 else None


def smiles(face: Face) -> bool | None:
    """Whether a face smiles, None when the expression model is in between."""
    happy = face.expression_score if face.expression == "happy" else face.happy
    if happy >= SMILE:
        return True
    return False if happy < NOT_SMILING else None


def holds(person: Person, box: tuple[float, float, float, float]) -> bool | None:
    """Whether a wrist is in the thing's box (grown by HOLD_MARGIN); None with no wrist seen."""
    wrists = [w for w in (person.point("left_wrist"), person.point("right_wrist")) if w]
    if not wrists:
        return None
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * HOLD_MARGIN, (y2 - y1) * HOLD_MARGIN
    return any(x1 - dx <= x <= x2 + dx and y1 - dy <= y <= y2 + dy for x, y in wrists)


def torso_box(person: Person) -> tuple[float, float, float, float] | None:
    """The upper body's clothes: between the shoulders, from them down to the hips (or
    as far as the shoulders are wide, when the hips are not seen)."""
    left, right = person.point("left_shoulder"), person.point("right_shoulder")
    if not (left and right):
        return None
    x1, x2 = sorted((left[0], right[0]))
    top = min(left[1], right[1])
    hips = [h for h in (person.point("left_hip"), person.point("right_hip")) if h]
    bottom = max(h[1] for h in hips) if hips else top + (x2 - x1)
    if x2 - x1 < 4 or bottom - top < 4:
        return None
    # the middle of this box is what dominant_colours samples: the chest and belly
    return (x1, top, x2, bottom)


def legs_box(person: Person) -> tuple[float, float, float, float] | None:
    """The lower body's clothes: from the hips down to the knees, as wide as the hips and
    a quarter of that more each side (thighs are wider than the joints between them)."""
    hips = [h for h in (person.point("left_hip"), person.point("right_hip")) if h]
    knees = [k for k in (person.point("left_knee"), person.point("right_knee")) if k]
    if len(hips) < 2 or not knees:
        return None
    x1, x2 = sorted((hips[0][0], hips[1][0]))
    margin = (x2 - x1) / 4
    top, bottom = min(h[1] for h in hips), max(k[1] for k in knees)
    if x2 - x1 < 4 or bottom - top < 4:
        return None
    return (x1 - margin, top, x2 + margin, bottom)


def clothes_colours(image, person: Person, mask: np.ndarray | None = None, part: str = "upper") -> list[dict]:
    """The torso's (or the legs') colour names with their shares; with the person mask,
    only the pixels that are the person's (a narrow torso's box is half wall)."""
    box = torso_box(person) if part == "upper" else legs_box(person)
    if box is None:
        return []
    if mask is None:
        return dominant_colours(image, box)
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    w, h = x2 - x1, y2 - y1
    # the middle half each way, as for any box, inside the photo (a torso can run off its edge)
    width, height = image.size
    left, top = min(max(x1 + w // 4, 0), width), min(max(y1 + h // 4, 0), height)
    inner = (left, top, max(left, min(x2 - w // 4, width)), max(top, min(y2 - h // 4, height)))
    if inner[2] - inner[0] < 2 or inner[3] - inner[1] < 2:  # the torso is outside the photo
        return []
    pixels = np.asarray(image.convert("RGB").crop(inner), dtype=np.uint8).reshape(-1, 3)
    mine = mask[inner[1] : inner[3], inner[0] : inner[2]].reshape(-1) >= segment.PERSON
    if mine.sum() < 16:  # the mask does not cover the torso: fall back to the box
        return dominant_colours(image, box)
    counts = Counter(name_pixels(pixels[mine]).tolist())
    total = int(mine.sum())
    return [{"colour": name, "share": round(n / total, 3)} for name, n in counts.most_common(3)]


def postures(people: list[Person]) -> list[str | None]:
    return [pose.posture(p) for p in people]
