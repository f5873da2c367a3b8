"""An independent checker for shapes questions.

It reads a question's text back with the language's parser and recomputes the answer
from the CLEVR-style scene description (pixel boxes, as written to
`scenes_{split}.json`), with its own arithmetic rather than the generator's. It also
checks what the spec promises: "the" references name exactly one object (or none at
all, a false premise, whose answer is `none`), questions
never name the attribute they ask about or compare, articles follow English, and
every ambiguity margin holds (for triangles at the box centre and at the centroid).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from training.datasets.shapes.language import EXTREMES, SIZE_WORDS, normalise, parse_question, parse_ref

MARGIN = 0.08
FACTOR = 1.25
ASKED_ATTRIBUTE = {"query_color": "color", "query_shape": "shape", "query_size": "size"}
ATTRIBUTE_WORDS = {
    "color": {"gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"},
    "shape": {"circle", "square", "triangle", "circles", "squares", "triangles"},
    "size": {w for ws in SIZE_WORDS.values() for w in ws},
}


def _anchors(obj: dict, side: float) -> list[tuple[float, float]]:
    """Box centre, plus the centroid for a triangle; in fractions of the image side."""
    x, y, w, h = obj["bbox"]
    cx, cy = (x + w / 2) / side, (y + h / 2) / side
    points = [(cx, cy)]
    if obj["shape"] == "triangle":
        points.append((cx, (y + 2 * h / 3) / side))  # apex at the top, base at the bottom
    return points


def _matches(obj: dict, ref) -> bool:
    return all(getattr(ref, a) in (None, obj[a]) for a in ("size", "color", "shape"))


@dataclass
class _Check:
    """One question on one scene: its words, and the problems found so far."""

    objs: list[dict]
    side: float
    words: dict[str, str]
    tokens: list[str]
    refs: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    absent: bool = False  # a "the" reference names no object: the answer is `none`

    def the(self, key: str) -> dict | None:
        found = [o for o in self.objs if _matches(o, self.refs[key])]
        if not found:
            self.absent = True
            return None
        if len(found) != 1:
            self.problems.append(f"'the {self.words[key]}' matches {len(found)} objects")
            return None
        return found[0]

    def how_many(self, key: str) -> int:
        return sum(_matches(o, self.refs[key]) for o in self.objs)

    def clearly(self, a: dict, b: dict, direction: str) -> bool | None:
        """True/False when `a` is/is not `direction` of `b` by the margin at every anchor
        pair; None when it is too close to call."""
        i = 0 if direction in ("left", "right") else 1
        sign = -1.0 if direction in ("left", "above") else 1.0
        gaps = [sign * (p[i] - q[i]) for p in _anchors(a, self.side) for q in _anchors(b, self.side)]
        if min(gaps) >= MARGIN:
            return True
        if max(gaps) <= -MARGIN:
            return False
        return None

    def direction(self) -> str:
        return next(d for d in ("left", "right", "above", "below") if d in self.tokens)


def _style_problems(family: str, template: int, words: dict[str, str], tokens: list[str]) -> list[str]:
    """English articles, and no reference naming the attribute the question asks about."""
    problems = [
        f"wrong article: {article} {nxt}"
        for article, nxt in zip(tokens, tokens[1:], strict=False)
        if article in ("a", "an") and (article == "an") != (nxt[0] in "aeiou")
    ]
    attribute = ASKED_ATTRIBUTE.get(family) or words.get("attr")
    if family == "compare_attribute":
        attribute = ("color", "shape", "size")[template]  # "the same color as", "the same shape", "the same size"
    if attribute:
        for key in ("R", "R1", "R2"):
            if key in words and ATTRIBUTE_WORDS[attribute] & set(words[key].split()):
                problems.append(f"{key} {words[key]!r} names the {attribute} it asks about")
    return problems


# -- each family's answer, from the scene ----------------------------------------------


def _exist(c: _Check, template: int) -> str | None:
    return "yes" if c.how_many("R") else "no"


def _count(c: _Check, template: int) -> str | None:
    return str(c.how_many("R"))


def _query(attribute: str):
    def answer(c: _Check, template: int) -> str | None:
        obj = c.the("R")
        return obj[attribute] if obj else None

    return answer


def _compare_count(c: _Check, template: int) -> str | None:
    c1, c2 = c.how_many("R1"), c.how_many("R2")
    if "more" in c.tokens:
        return "yes" if c1 > c2 else "no"
    if "fewer" in c.tokens:
        return "yes" if c1 < c2 else "no"
    return "yes" if c1 == c2 else "no"


def _compare_attribute(c: _Check, template: int) -> str | None:
    a, b = c.the("R1"), c.the("R2")
    if not (a and b):
        return None
    if a is b:
        c.problems.append("compares an object with itself")
    attribute = ("color", "shape", "size")[template]
    return "yes" if a[attribute] == b[attribute] else "no"


def _relate_position(c: _Check, template: int) -> str | None:
    a, b = c.the("R1"), c.the("R2")
    direction = c.direction()
    if not (a and b):
        return None
    verdict = c.clearly(a, b, direction)
    if verdict is None:
        c.problems.append(f"{c.words['R1']} / {c.words['R2']}: under the {direction} margin")
    return "yes" if verdict else "no"


def _extreme(c: _Check, template: int) -> str | None:
    direction = {v: k for k, v in EXTREMES.items()}[c.words["ext"]]
    leaders = [o for o in c.objs if all(c.clearly(o, other, direction) for other in c.objs if other is not o)]
    if len(leaders) != 1:
        c.problems.append(f"no clear {c.words['ext']} object")
        return None
    return leaders[0][c.words["attr"]]


def _relate_count(c: _Check, template: int) -> str | None:
    ref_obj = c.the("R")
    direction = c.direction()
    if not ref_obj:
        return None
    verdicts = [c.clearly(o, ref_obj, direction) for o in c.objs if o is not ref_obj]
    if None in verdicts:
        c.problems.append(f"an object is under the {direction} margin of the {c.words['R']}")
    return str(sum(bool(v) for v in verdicts))


def _closest_farthest(c: _Check, template: int) -> str | None:
    ref_obj = c.the("R")
    if not ref_obj:
        return None
    others = [o for o in c.objs if o is not ref_obj]

    def span(o: dict) -> tuple[float, float]:
        d = [math.dist(p, q) for p in _anchors(ref_obj, c.side) for q in _anchors(o, c.side)]
        return min(d), max(d)

    spans = [span(o) for o in others]
    if "closest" in c.tokens:
        best = min(range(len(others)), key=lambda i: spans[i][0])
        clear = all(spans[j][0] >= FACTOR * spans[best][1] for j in range(len(others)) if j != best)
    else:
        best = max(range(len(others)), key=lambda i: spans[i][1])
        clear = all(spans[best][0] >= FACTOR * spans[j][1] for j in range(len(others)) if j != best)
    if not clear:
        c.problems.append("the closest/farthest object is not clear by the distance factor")
    return others[best][c.words["attr"]]


FAMILY_ANSWERS = {
    "exist": _exist,
    "count": _count,
    **{family: _query(attribute) for family, attribute in ASKED_ATTRIBUTE.items()},
    "compare_count": _compare_count,
    "compare_attribute": _compare_attribute,
    "relate_position": _relate_position,
    "extreme": _extreme,
    "relate_count": _relate_count,
    "closest_farthest": _closest_farthest,
}


def derive_answer(scene: dict, question: str) -> tuple[str | None, list[str]]:
    """The scene's answer to a question of the language (None when it has none), and
    every problem with the question on this scene; no problems means it may be asked."""
    parsed = parse_question(question)
    if parsed is None:
        return None, [f"not a question of the language: {question!r}"]
    family, template, words = parsed
    tokens = normalise(question).split()
    check = _Check(scene["objects"], float(max(scene["image_size"])), words, tokens)
    check.refs = {k: parse_ref(words[k]) for k in ("R", "R1", "R2") if k in words}
    check.problems += _style_problems(family, template, words, tokens)
    answer = FAMILY_ANSWERS[family](check, template)
    return ("none" if check.absent else answer), check.problems


def check_question(scene: dict, question: str, answer: str) -> list[str]:
    """Every problem with (question, answer) on this scene; empty when all is well."""
    expected, problems = derive_answer(scene, question)
    if expected is not None and expected != answer:
        problems.append(f"answer {answer!r}, but the scene says {expected!r}")
    return problems
