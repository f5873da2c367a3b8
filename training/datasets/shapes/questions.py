"""Questions about shapes scenes, every family of the spec, balanced by construction.

Balancing. CLEVR rejects and resamples questions until answers are flat. Here each
question slot first draws its family, then (where the family asks about or compares
one of several things) its variant, then the answer it wants, all uniformly; it then
looks for a question with that answer in the current scene, moving on to a fresh
scene when there is none. Answers are therefore uniform within every family and
variant by construction, and because the variant (colour/shape/size asked, more/
fewer/same compared) is drawn before the answer, the wording does not give the
answer away. Needs no state across batches, so any number of workers can stream it.

Ambiguity margins (from the spec) are checked against every anchor of an object (a
triangle's box centre and its centroid), so a person reading either gets the answer.

Languages. `templates` asks in the spec's phrasings only (the test sets). `people` also
asks about objects that are not there (answer `none`, for every family that needs "the"
object) and words most questions the way people type them (`shapes_paraphrase`), a
share of them with typing slips; the template text stays on the question as
`canonical`, which is what the checker reads. A false premise copies a real question of
the same scene and swaps one reference for an absent one naming the same attributes, so
which attributes a reference names does not give the answer away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from itertools import combinations, permutations, product

import numpy as np

from app.worlds.shapes.templates import NEEDS_ONE_OBJECT, NONE
from training.datasets.shapes.language import (
    ATTRIBUTES,
    DIRECTIONS,
    EXTREMES,
    FAMILIES,
    GENERIC_NOUNS,
    TEMPLATES,
    Ref,
    with_article,
)
from training.datasets.shapes.paraphrase import paraphrase, typo
from training.datasets.shapes.scenes import COLORS, SHAPES, Scene, SceneObject

POSITION_MARGIN = 0.08  # fraction of the image side
DISTANCE_FACTOR = 1.25
# Margins are met with this much to spare (a fraction of the side), so a checker
# reading the pixel boxes of scenes_{split}.json, rounded to 1/1000 px, agrees.
SLACK = 1e-4
COMPARISONS = ("more", "fewer", "same")
COUNT_TEMPLATE = {"more": (0,), "fewer": (1,), "same": (2, 3)}
LANGUAGES = ("templates", "people")
PEOPLE_SHARE = 0.7  # of `people` questions, worded by people's grammar (the rest: templates)
TYPO_SHARE = 0.2  # of those, with one or two typing slips
NEEDS_THE = NEEDS_ONE_OBJECT  # a reference that names nothing makes the answer `none`

VALUES = {"color": tuple(COLORS), "shape": SHAPES, "size": ("small", "large")}
YES_NO = ("yes", "no")


@dataclass(frozen=True)
class Question:
    family: str
    variant: str | None  # the attribute asked or compared, or the comparison; None if the family has one kind
    answer: str
    text: str = ""
    template: int = 0
    program: dict = field(default_factory=dict, compare=False)
    canonical: str = ""  # the same question in the spec's template wording


# ----------------------------------------------------------------------------------
# What each family can answer
# ----------------------------------------------------------------------------------

# Which attributes an `exist` reference names: drawn before the answer, so that "Is
# there a square?" is as often yes as "Is there a large red square?" (by symmetry the
# value named is then uniform given the answer, and the words carry no hint).
REF_PATTERNS = ("size", "color", "shape", "size+color", "size+shape", "color+shape", "size+color+shape")

VARIANTS: dict[str, tuple[str | None, ...]] = {
    "exist": REF_PATTERNS,
    "compare_count": COMPARISONS,
    "compare_attribute": ATTRIBUTES,
    "extreme": ATTRIBUTES,
    "closest_farthest": ATTRIBUTES,
}


def possible_answers(family: str, variant: str | None, false_premises: bool = False) -> tuple[str, ...]:
    if false_premises and family in NEEDS_THE:
        return (*possible_answers(family, variant), NONE)
    if family in ("exist", "compare_count", "compare_attribute", "relate_position"):
        return YES_NO
    if family == "count":
        return tuple(str(i) for i in range(7))
    if family == "relate_count":
        return tuple(str(i) for i in range(6))
    if family.startswith("query_"):
        return VALUES[family.removeprefix("query_")]
    return VALUES[variant]  # extreme, closest_farthest


# ----------------------------------------------------------------------------------
# Geometry with margins
# ----------------------------------------------------------------------------------


def _coordinate(point: tuple[float, float], direction: str) -> float:
    return point[0] if direction in ("left", "right") else point[1]


def side_of(a: SceneObject, b: SceneObject, direction: str) -> bool | None:
    """Whether `a` is `direction` of `b` ("left": a further left), or None when the
    gap along that axis is under the margin for some pair of anchors."""
    sign = -1 if direction in ("left", "above") else 1
    deltas = [sign * (_coordinate(p, direction) - _coordinate(q, direction)) for p in a.anchors() for q in b.anchors()]
    if all(d >= POSITION_MARGIN + SLACK for d in deltas):
        return True
    if all(d <= -(POSITION_MARGIN + SLACK) for d in deltas):
        return False
    return None


def distance_range(a: SceneObject, b: SceneObject) -> tuple[float, float]:
    d = [math.dist(p, q) for p in a.anchors() for q in b.anchors()]
    return min(d), max(d)


def extreme_object(scene: Scene, direction: str) -> SceneObject | None:
    """The object furthest in `direction`, if it leads every other by the margin."""
    for candidate in scene.objects:
        if all(side_of(candidate, other, direction) for other in scene.objects if other is not candidate):
            return candidate
    return None


def closest_or_farthest(scene: Scene, ref_obj: SceneObject, which: str) -> SceneObject | None:
    others = [o for o in scene.objects if o is not ref_obj]
    ranges = {id(o): distance_range(ref_obj, o) for o in others}
    for winner in others:
        lo, hi = ranges[id(winner)]
        rivals = [ranges[id(o)] for o in others if o is not winner]
        if which == "closest" and all(r_lo >= DISTANCE_FACTOR * hi + SLACK for r_lo, _ in rivals):
            return winner
        if which == "farthest" and all(lo >= DISTANCE_FACTOR * r_hi + SLACK for _, r_hi in rivals):
            return winner
    return None


# ----------------------------------------------------------------------------------
# References
# ----------------------------------------------------------------------------------


@cache
def all_refs() -> tuple[Ref, ...]:
    return tuple(
        Ref(size, color, shape) for size, color, shape in product((None, "small", "large"), (None, *COLORS), (None, *SHAPES))
    )


@cache
def refs_naming(named: frozenset[str]) -> tuple[Ref, ...]:
    """The references that name exactly these attributes."""
    return tuple(r for r in all_refs() if {a for a in ATTRIBUTES if r.names(a)} == named)


def count(scene: Scene, ref: Ref) -> int:
    return sum(ref.matches(o) for o in scene.objects)


class SceneMemo:
    """Reference counts and unique names of one scene, each computed once."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self.counts = {ref: count(scene, ref) for ref in all_refs()}
        self._unique: dict[tuple[int, str | None], list[Ref]] = {}
        self.candidates: dict[tuple[str | None, ...], list[tuple[str, dict]]] = {}

    def unique_refs(self, obj: SceneObject, exclude: str | None = None) -> list[Ref]:
        """Every way to name `obj` as "the ..." without the attribute `exclude`."""
        key = (id(obj), exclude)
        if key not in self._unique:
            self._unique[key] = [r for r in names_of(obj, exclude) if self.counts[r] == 1]
        return self._unique[key]


def names_of(obj: SceneObject, exclude: str | None = None) -> list[Ref]:
    """The references that match `obj` (any subset of its attributes but none, and
    never the attribute `exclude`); the scene decides which of them are unique."""
    refs = []
    for use_size, use_color, use_shape in product((False, True), repeat=3):
        ref = Ref(obj.size if use_size else None, obj.color if use_color else None, obj.shape if use_shape else None)
        if ref != Ref() and not (exclude and ref.names(exclude)):
            refs.append(ref)
    return refs


# ----------------------------------------------------------------------------------
# Candidate programs per family: (answer, program) pairs that hold in the scene
# ----------------------------------------------------------------------------------


def _candidates(memo: SceneMemo, family: str, variant: str | None, rng: np.random.Generator) -> list[tuple[str, dict]]:
    scene, objs, counts, unique_refs = memo.scene, memo.scene.objects, memo.counts, memo.unique_refs
    out: list[tuple[str, dict]] = []
    if family == "exist":
        named = set(variant.split("+"))
        for ref in all_refs():
            if {a for a in ATTRIBUTES if ref.names(a)} == named:
                out.append(("yes" if counts[ref] else "no", {"ref": ref}))
    elif family == "count":
        out = [(str(counts[ref]), {"ref": ref}) for ref in all_refs()]
    elif family.startswith("query_"):
        attr = family.removeprefix("query_")
        out = [(getattr(o, attr), {"ref": r}) for o in objs for r in unique_refs(o, exclude=attr)]
    elif family == "compare_count":
        refs = all_refs()
        for _ in range(300):  # 108 x 107 pairs are too many to list; a sample is plenty
            r1, r2 = (refs[i] for i in rng.choice(len(refs), size=2, replace=False))
            c1, c2 = counts[r1], counts[r2]
            if max(c1, c2) == 0:
                continue  # "as many red circles as blue squares" when there are neither
            holds = {"more": c1 > c2, "fewer": c1 < c2, "same": c1 == c2}[variant]
            out.append(("yes" if holds else "no", {"ref1": r1, "ref2": r2, "comparison": variant}))
    elif family == "compare_attribute":
        for a, b in combinations(objs, 2):
            same = "yes" if getattr(a, variant) == getattr(b, variant) else "no"
            for r1, r2 in product(unique_refs(a, variant), unique_refs(b, variant)):
                out.append((same, {"ref1": r1, "ref2": r2, "attribute": variant}))
    elif family == "relate_position":
        for a, b in permutations(objs, 2):
            for direction in DIRECTIONS:
                holds = side_of(a, b, direction)
                if holds is None:
                    continue
                for r1, r2 in product(unique_refs(a), unique_refs(b)):
                    out.append(("yes" if holds else "no", {"ref1": r1, "ref2": r2, "direction": direction}))
    elif family == "extreme":
        for direction in DIRECTIONS:
            winner = extreme_object(scene, direction)
            if winner is not None:
                out.append((getattr(winner, variant), {"direction": direction, "attribute": variant}))
    elif family == "relate_count":
        for o in objs:
            for direction in DIRECTIONS:
                sides = [side_of(other, o, direction) for other in objs if other is not o]
                if any(s is None for s in sides):
                    continue
                for r in unique_refs(o):
                    out.append((str(sum(sides)), {"ref": r, "direction": direction}))
    elif family == "closest_farthest":
        for o in objs:
            for which in ("closest", "farthest"):
                winner = closest_or_farthest(scene, o, which)
                if winner is None:
                    continue
                for r in unique_refs(o, exclude=variant):
                    out.append((getattr(winner, variant), {"ref": r, "which": which, "attribute": variant}))
    else:
        raise ValueError(f"unknown family {family!r}")
    return out


def _false_premises(memo: SceneMemo, real: list[tuple[str, dict]], rng: np.random.Generator) -> list[tuple[str, dict]]:
    """`none` questions: real programs of this scene with one reference swapped for an
    absent one that names the same attributes."""
    out: list[tuple[str, dict]] = []
    for index in rng.permutation(len(real))[:40]:
        program = real[index][1]
        keys = [k for k in ("ref", "ref1", "ref2") if k in program]
        key = keys[rng.integers(len(keys))]
        named = frozenset(a for a in ATTRIBUTES if program[key].names(a))
        absent = [r for r in refs_naming(named) if memo.counts[r] == 0]
        if absent:
            out.append((NONE, {**program, key: absent[rng.integers(len(absent))]}))
    return out


# ----------------------------------------------------------------------------------
# Words
# ----------------------------------------------------------------------------------


def phrase(family: str, program: dict, rng: np.random.Generator) -> tuple[str, int]:
    """The question's text and which of the family's phrasings it uses."""
    pick = lambda options: options[rng.integers(len(options))]  # noqa: E731
    avoid = program.get("attribute") if program.get("attribute") == "shape" else None
    if family == "query_shape":
        avoid = "shape"
    words: dict[str, str] = {}
    if "ref" in program:
        words["R"] = program["ref"].words(rng, avoid_noun=avoid)
        words["Rs"] = program["ref"].words(rng, plural=True, avoid_noun=avoid)
        words["a_R"] = with_article(words["R"])
    for key in ("ref1", "ref2"):
        if key in program:
            tag = "R1" if key == "ref1" else "R2"
            words[tag] = program[key].words(rng, avoid_noun=avoid)
            words[tag + "s"] = program[key].words(rng, plural=True, avoid_noun=avoid)

    if family == "compare_count":
        index = pick(COUNT_TEMPLATE[program["comparison"]])
    elif family == "compare_attribute":
        index = ATTRIBUTES.index(program["attribute"])
    elif family in ("relate_position", "relate_count"):
        index = DIRECTIONS.index(program["direction"])
    elif family == "closest_farthest":
        index = 0 if program["which"] == "closest" else 1
    else:
        index = int(rng.integers(len(TEMPLATES[family])))
    if family in ("extreme", "closest_farthest", "relate_count"):
        nouns = [n for n in GENERIC_NOUNS if n != "shape"]
        words["noun"] = pick(nouns)
        words["nouns"] = words["noun"] + "s"
    if "attribute" in program:
        words["attr"] = program["attribute"]
    if family == "extreme":
        words["ext"] = EXTREMES[program["direction"]]
    return TEMPLATES[family][index].format(**words), index


# ----------------------------------------------------------------------------------
# Balanced generation
# ----------------------------------------------------------------------------------


def draw_slot(
    rng: np.random.Generator, families: tuple[str, ...] = FAMILIES, false_premises: bool = False
) -> tuple[str, str | None, str]:
    """Family, variant and wanted answer, each uniform."""
    family = families[rng.integers(len(families))]
    variants = VARIANTS.get(family, (None,))
    variant = variants[rng.integers(len(variants))]
    answers = possible_answers(family, variant, false_premises)
    return family, variant, answers[rng.integers(len(answers))]


def ask(
    scene: Scene | SceneMemo, family: str, variant: str | None, answer: str, rng: np.random.Generator, language: str = "templates"
) -> Question | None:
    """A question of this family and variant whose answer in `scene` is `answer`.
    Pass a `SceneMemo` to ask several questions about one scene cheaply."""
    memo = scene if isinstance(scene, SceneMemo) else SceneMemo(scene)
    key = (family, variant)
    if key not in memo.candidates:
        memo.candidates[key] = _candidates(memo, family, variant, rng)
    candidates = memo.candidates[key]
    if answer == NONE:
        none_key = (family, variant, NONE)
        if none_key not in memo.candidates:
            memo.candidates[none_key] = _false_premises(memo, candidates, rng)
        candidates = memo.candidates[none_key]
    matching = [program for a, program in candidates if a == answer]
    if not matching:
        return None
    program = matching[rng.integers(len(matching))]
    canonical, template = phrase(family, program, rng)
    text = canonical
    if language == "people" and rng.random() < PEOPLE_SHARE:
        text = paraphrase(family, program, rng)
        if rng.random() < TYPO_SHARE:
            text = typo(text, rng)
    return Question(family, variant, answer, text, template, program, canonical)


def generate(
    rng: np.random.Generator,
    n_questions: int,
    sample_scene,
    per_scene: int = 10,
    families: tuple[str, ...] = FAMILIES,
    language: str = "templates",
):
    """Yield (scene, questions) until `n_questions` questions are made.

    `sample_scene(rng)` makes a scene. A scene takes at most `per_scene` questions; one
    that cannot answer the current slot is handed out with what it has, and the slot
    carries over to a fresh scene, so no slot's answer is ever given up."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    false_premises = language == "people"
    made = 0
    memo, questions = SceneMemo(sample_scene(rng)), []
    slot = draw_slot(rng, families, false_premises)
    while made < n_questions:
        question = ask(memo, *slot, rng, language=language)
        if question is not None:
            questions.append(question)
            made += 1
            slot = draw_slot(rng, families, false_premises)
        if question is None or len(questions) >= per_scene or made >= n_questions:
            if questions:
                yield memo.scene, questions
            memo, questions = SceneMemo(sample_scene(rng)), []
