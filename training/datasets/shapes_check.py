"""An independent checker for shapes questions.

It reads a question's text back with the language's parser and recomputes the answer
from the CLEVR-style scene description (pixel boxes, as written to
`scenes_{split}.json`), with its own arithmetic rather than the generator's. It also
checks what the spec promises: "the" references name exactly one object, questions
never name the attribute they ask about or compare, articles follow English, and
every ambiguity margin holds (for triangles at the box centre and at the centroid).
"""

from __future__ import annotations

import math

from training.datasets.shapes_language import EXTREMES, SIZE_WORDS, normalise, parse_question, parse_ref

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


def check_question(scene: dict, question: str, answer: str) -> list[str]:
    """Every problem with (question, answer) on this scene; empty when all is well."""
    parsed = parse_question(question)
    if parsed is None:
        return [f"not a question of the language: {question!r}"]
    family, template, words = parsed
    side = float(max(scene["image_size"]))
    objs = scene["objects"]
    problems: list[str] = []
    refs = {k: parse_ref(words[k]) for k in ("R", "R1", "R2") if k in words}
    text = normalise(question)

    # Articles: "an object", "a small circle".
    tokens = text.split()
    for article, nxt in zip(tokens, tokens[1:], strict=False):
        if article in ("a", "an") and (article == "an") != (nxt[0] in "aeiou"):
            problems.append(f"wrong article: {article} {nxt}")

    # A question never names the attribute it asks about or compares.
    attribute = ASKED_ATTRIBUTE.get(family) or words.get("attr")
    if family == "compare_attribute":
        attribute = ("color", "shape", "size")[template]  # "the same color as", "the same shape", "the same size"
    if attribute:
        for key in ("R", "R1", "R2"):
            if key in words and ATTRIBUTE_WORDS[attribute] & set(words[key].split()):
                problems.append(f"{key} {words[key]!r} names the {attribute} it asks about")

    def the(key: str) -> dict | None:
        found = [o for o in objs if _matches(o, refs[key])]
        if len(found) != 1:
            problems.append(f"'the {words[key]}' matches {len(found)} objects")
            return None
        return found[0]

    def how_many(key: str) -> int:
        return sum(_matches(o, refs[key]) for o in objs)

    def axis_gap(a: dict, b: dict, direction: str) -> list[float]:
        """Signed gaps, positive when `a` is `direction` of `b`, over all anchor pairs."""
        i = 0 if direction in ("left", "right") else 1
        sign = -1.0 if direction in ("left", "above") else 1.0
        return [sign * (p[i] - q[i]) for p in _anchors(a, side) for q in _anchors(b, side)]

    def clearly(a: dict, b: dict, direction: str) -> bool | None:
        gaps = axis_gap(a, b, direction)
        if min(gaps) >= MARGIN:
            return True
        if max(gaps) <= -MARGIN:
            return False
        return None

    expected: str | None = None
    if family == "exist":
        expected = "yes" if how_many("R") else "no"
    elif family == "count":
        expected = str(how_many("R"))
    elif family in ASKED_ATTRIBUTE:
        obj = the("R")
        expected = obj[ASKED_ATTRIBUTE[family]] if obj else None
    elif family == "compare_count":
        c1, c2 = how_many("R1"), how_many("R2")
        if "more" in tokens:
            expected = "yes" if c1 > c2 else "no"
        elif "fewer" in tokens:
            expected = "yes" if c1 < c2 else "no"
        else:
            expected = "yes" if c1 == c2 else "no"
    elif family == "compare_attribute":
        a, b = the("R1"), the("R2")
        if a and b:
            if a is b:
                problems.append("compares an object with itself")
            expected = "yes" if a[attribute] == b[attribute] else "no"
    elif family == "relate_position":
        a, b = the("R1"), the("R2")
        direction = next(d for d in ("left", "right", "above", "below") if d in tokens)
        if a and b:
            verdict = clearly(a, b, direction)
            if verdict is None:
                problems.append(f"{words['R1']} / {words['R2']}: under the {direction} margin")
            expected = "yes" if verdict else "no"
    elif family == "extreme":
        direction = {v: k for k, v in EXTREMES.items()}[words["ext"]]
        leaders = [o for o in objs if all(clearly(o, other, direction) for other in objs if other is not o)]
        if len(leaders) != 1:
            problems.append(f"no clear {words['ext']} object")
        else:
            expected = leaders[0][words["attr"]]
    elif family == "relate_count":
        ref_obj = the("R")
        direction = next(d for d in ("left", "right", "above", "below") if d in tokens)
        if ref_obj:
            verdicts = [clearly(o, ref_obj, direction) for o in objs if o is not ref_obj]
            if None in verdicts:
                problems.append(f"an object is under the {direction} margin of the {words['R']}")
            expected = str(sum(bool(v) for v in verdicts))
    elif family == "closest_farthest":
        ref_obj = the("R")
        if ref_obj:
            others = [o for o in objs if o is not ref_obj]

            def span(o: dict) -> tuple[float, float]:
                d = [math.dist(p, q) for p in _anchors(ref_obj, side) for q in _anchors(o, side)]
                return min(d), max(d)

            spans = [span(o) for o in others]
            if "closest" in tokens:
                best = min(range(len(others)), key=lambda i: spans[i][0])
                clear = all(spans[j][0] >= FACTOR * spans[best][1] for j in range(len(others)) if j != best)
            else:
                best = max(range(len(others)), key=lambda i: spans[i][1])
                clear = all(spans[best][0] >= FACTOR * spans[j][1] for j in range(len(others)) if j != best)
            if not clear:
                problems.append("the closest/farthest object is not clear by the distance factor")
            expected = others[best][words["attr"]]

    if expected is not None and expected != answer:
        problems.append(f"answer {answer!r}, but the scene says {expected!r}")
    return problems
