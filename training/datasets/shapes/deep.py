"""Deep questions about shapes scenes, in CLEVR's forms, with answers checked twice.

The spec's 11 families ask one step; CLEVR chains them. This generator writes questions
of nine deep forms about a scene:

| form | example |
| --- | --- |
| relate_query | What colour is the small thing that is left of the red square? (also "There is a ...; what is its colour?" and "The ... is what colour?") |
| relate_count | How many circles are above the large blue triangle? |
| relate_exist | Is there a square to the right of the green thing? |
| two_relations | How many things are left of the cyan square and above the small triangle? |
| chain | What shape is the thing below the circle that is left of the big square? |
| logic_or | How many green or yellow things are there? |
| logic_not | How many shapes are not circles? |
| same_count | How many other things have the same size as the red circle? |
| same_query | What colour is the other thing that has the same shape as the gray thing? |

Choices (the spec leaves them open):
- "the X" names exactly one object, described with as few words as make it so (CLEVR's
  rule); a relation's target need only be unique among the related objects;
- every question's answer is clear by the spec's margins: a program that meets an
  object inside a margin (`programs.Unanswerable`) is not asked;
- answers are balanced within each form (and attribute asked) by rejection, as CLEVR does;
- each answer is computed twice: by running the question's program
  (`app.worlds.shapes.programs`) and by a direct count over the objects written apart
  from it (`deep_check.direct_answer`); a question where the two differ is an error of
  this module.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from app.worlds.shapes import programs as p
from app.worlds.shapes.programs import Step, filtered, scene
from training.datasets.shapes.deep_check import direct_answer as direct_answer  # the second derivation
from training.datasets.shapes.scenes import COLORS, SHAPES, Scene, SceneObject

FORMS = (
    "relate_query",
    "relate_count",
    "relate_exist",
    "two_relations",
    "chain",
    "logic_or",
    "logic_not",
    "same_count",
    "same_query",
)
ATTRIBUTES = ("size", "color", "shape")
VALUES = {"size": ("small", "large"), "color": tuple(COLORS), "shape": SHAPES}
DIRECTION_TEXT = {
    "left": ("left of", "to the left of", "on the left side of"),
    "right": ("right of", "to the right of", "on the right side of"),
    "above": ("above",),
    "below": ("below", "under"),
}
ASKED = {"color": ("colour", "color"), "shape": ("shape",), "size": ("size",)}
GENERIC_NOUNS = ("thing", "object", "shape")


@dataclass
class DeepQuestion:
    text: str
    answer: str
    form: str
    program: Step
    params: dict = field(default_factory=dict)


# -- references ---------------------------------------------------------------------------------


def describe(values: dict[str, str], plural: bool, rng: np.random.Generator) -> str:
    noun = values.get("shape") or str(rng.choice(GENERIC_NOUNS))
    words = [values[a] for a in ("size", "color") if values.get(a)]
    return " ".join([*words, noun + ("s" if plural else "")])


def unique_values(objects: list[SceneObject], among: list[int], i: int, rng: np.random.Generator) -> dict[str, str] | None:
    """The fewest attributes of object i that tell it from the others in `among`."""
    subsets = [s for n in range(4) for s in combinations(ATTRIBUTES, n)]
    by_size: dict[int, list] = {}
    for s in subsets:
        by_size.setdefault(len(s), []).append(s)
    for n in range(4):
        options = by_size[n]
        for k in rng.permutation(len(options)):
            chosen = options[k]
            values = {a: getattr(objects[i], a) for a in chosen}
            if [j for j in among if all(getattr(objects[j], a) == v for a, v in values.items())] == [i]:
                return values
    return None


def set_values(rng: np.random.Generator, objects: list[SceneObject]) -> dict[str, str]:
    """Values naming a group of objects: none, or one or two of some object's attributes."""
    n = int(rng.choice([0, 1, 1, 2]))
    source = objects[int(rng.integers(len(objects)))]
    chosen = [ATTRIBUTES[k] for k in rng.permutation(3)[:n]]
    return {a: getattr(source, a) for a in chosen}


def _the(values: dict[str, str], rng: np.random.Generator) -> str:
    return "the " + describe(values, False, rng)


def _direction(direction: str, rng: np.random.Generator) -> str:
    return str(rng.choice(DIRECTION_TEXT[direction]))


def _anchor_step(values: dict[str, str]) -> Step:
    return Step("unique", (filtered(scene(), **values),))


def _related(values: dict[str, str], direction: str) -> Step:
    """The objects `direction` of the one object `values` name."""
    return Step("relate", (_anchor_step(values),), value=direction)


def _some_anchor(rng: np.random.Generator, objects: list[SceneObject], index: int | None = None) -> dict[str, str] | None:
    """The fewest words that name one object of the scene (a random one by default)."""
    i = int(rng.integers(len(objects))) if index is None else index
    return unique_values(objects, list(range(len(objects))), i, rng)


# -- the forms ------------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _one_of(rng: np.random.Generator, objects: list[SceneObject], picked: Step) -> dict[str, str] | None:
    """The words for a random one of the objects `picked` surely keeps, naming it among them."""
    result = p.run(picked, objects)
    kept = sorted(result.steps[-1][1].sure) if result.failure is None else []
    return unique_values(objects, kept, _pick(rng, kept), rng) if kept else None


def _unnamed(rng: np.random.Generator, values: dict[str, str] | None) -> str | None:
    """An attribute the words `values` do not name (to ask about), or None."""
    options = [a for a in ATTRIBUTES if a not in (values or {})]
    return _pick(rng, options) if values is not None and options else None


def _relate_query(rng, objects) -> DeepQuestion | None:
    a_values = _some_anchor(rng, objects)
    direction = _pick(rng, list(DIRECTION_TEXT))
    t_values = _one_of(rng, objects, _related(a_values, direction)) if a_values is not None else None
    attribute = _unnamed(rng, t_values)
    if a_values is None or t_values is None or attribute is None:
        return None
    relative = _pick(rng, ["", "that is ", "which is "])
    target = f"{describe(t_values, False, rng)} {relative}{_direction(direction, rng)} {_the(a_values, rng)}"
    asked = _pick(rng, ASKED[attribute])
    text = _pick(  # CLEVR's three ways of asking it
        rng,
        [
            f"What {asked} is the {target}?",
            f"There is a {target}; what is its {asked}?",
            f"The {target} is what {asked}?",
        ],
    )
    program = Step("query", (Step("unique", (filtered(_related(a_values, direction), **t_values),)),), attribute)
    params = {"anchor": a_values, "direction": direction, "target": t_values, "attribute": attribute}
    return DeepQuestion(text, "", "relate_query", program, params)


def _relate_count(rng, objects) -> DeepQuestion | None:
    a_values = _some_anchor(rng, objects)
    if a_values is None:
        return None
    direction = _pick(rng, list(DIRECTION_TEXT))
    counted = set_values(rng, objects)
    if rng.random() < 0.25:
        anchor = describe(a_values, False, rng)
        text = _articles(f"There is a {anchor}; how many {describe(counted, True, rng)} are {_direction(direction, rng)} it?")
    else:
        text = f"How many {describe(counted, True, rng)} are {_direction(direction, rng)} {_the(a_values, rng)}?"
    program = Step("count", (filtered(_related(a_values, direction), **counted),))
    return DeepQuestion(text, "", "relate_count", program, {"anchors": [a_values], "directions": [direction], "counted": counted})


def _relate_exist(rng, objects) -> DeepQuestion | None:
    question = _relate_count(rng, objects)
    if question is None:
        return None
    counted, (a_values,), (direction,) = question.params["counted"], question.params["anchors"], question.params["directions"]
    if _pick(rng, [True, False]):
        text = f"Is there a {describe(counted, False, rng)} {_direction(direction, rng)} {_the(a_values, rng)}?"
    else:
        text = f"Are there any {describe(counted, True, rng)} {_direction(direction, rng)} {_the(a_values, rng)}?"
    return DeepQuestion(_articles(text), "", "relate_exist", Step("exist", question.program.inputs), question.params)


def _two_relations(rng, objects) -> DeepQuestion | None:
    if len(objects) < 3:
        return None
    first, second = (int(k) for k in rng.choice(len(objects), 2, replace=False))
    a_values, b_values = _some_anchor(rng, objects, first), _some_anchor(rng, objects, second)
    if a_values is None or b_values is None:
        return None
    d1, d2 = _pick(rng, list(DIRECTION_TEXT)), _pick(rng, list(DIRECTION_TEXT))
    counted = set_values(rng, objects) if rng.random() < 0.3 else {}
    both = Step("intersect", (_related(a_values, d1), _related(b_values, d2)))
    text = (
        f"How many {describe(counted, True, rng)} are {_direction(d1, rng)} {_the(a_values, rng)} "
        f"and {_direction(d2, rng)} {_the(b_values, rng)}?"
    )
    program = Step("count", (filtered(both, **counted),))
    params = {"anchors": [a_values, b_values], "directions": [d1, d2], "counted": counted}
    return DeepQuestion(text, "", "two_relations", program, params)


def _chain(rng, objects) -> DeepQuestion | None:
    """What A is the T dir1 the M that is dir2 the B?"""
    b_values = _some_anchor(rng, objects)
    if b_values is None:
        return None
    d2 = _pick(rng, list(DIRECTION_TEXT))
    m_values = _one_of(rng, objects, _related(b_values, d2))
    if m_values is None:
        return None
    middle_step = Step("unique", (filtered(_related(b_values, d2), **m_values),))
    d1 = _pick(rng, list(DIRECTION_TEXT))
    t_values = _one_of(rng, objects, Step("relate", (middle_step,), value=d1))
    attribute = _unnamed(rng, t_values)
    if t_values is None or attribute is None:
        return None
    text = (
        f"What {_pick(rng, ASKED[attribute])} is the {describe(t_values, False, rng)} {_direction(d1, rng)} "
        f"the {describe(m_values, False, rng)} that is {_direction(d2, rng)} {_the(b_values, rng)}?"
    )
    program = Step("query", (Step("unique", (filtered(Step("relate", (middle_step,), value=d1), **t_values),)),), attribute)
    params = {"base": b_values, "d2": d2, "middle": m_values, "d1": d1, "target": t_values, "attribute": attribute}
    return DeepQuestion(text, "", "chain", program, params)


def _logic_or(rng, objects) -> DeepQuestion | None:
    attribute = _pick(rng, ["color", "color", "size", "shape"])
    if attribute == "shape":
        first, second = (str(v) for v in rng.choice(SHAPES, 2, replace=False))
        text = f"How many {first}s or {second}s are there?"
        program = Step("count", (Step("union", (filtered(scene(), shape=first), filtered(scene(), shape=second))),))
        return DeepQuestion(text, "", "logic_or", program, {"attribute": "shape", "values": [first, second], "noun": {}})
    if attribute == "size":
        first, second = "small", "large"
    else:
        first, second = (str(v) for v in rng.choice(list(COLORS), 2, replace=False))
    noun = {"shape": _pick(rng, SHAPES)} if rng.random() < 0.3 else {}
    text = f"How many {first} or {second} {describe(noun, True, rng)} are there?"
    union = Step("union", (filtered(scene(), **{attribute: first}), filtered(scene(), **{attribute: second})))
    program = Step("count", (filtered(union, **noun),))
    return DeepQuestion(text, "", "logic_or", program, {"attribute": attribute, "values": [first, second], "noun": noun})


def _logic_not(rng, objects) -> DeepQuestion | None:
    attribute = _pick(rng, ["color", "shape", "size"])
    value = _pick(rng, VALUES[attribute])
    noun = {"shape": _pick(rng, SHAPES)} if attribute != "shape" and rng.random() < 0.3 else {}
    said = f"{value}s" if attribute == "shape" else value
    text = f"How many {describe(noun, True, rng)} are not {said}?"
    rest = Step("difference", (scene(), filtered(scene(), **{attribute: value})))
    program = Step("count", (filtered(rest, **noun),))
    return DeepQuestion(text, "", "logic_not", program, {"attribute": attribute, "value": value, "noun": noun})


def _same(rng, objects) -> tuple | None:
    a_values = _some_anchor(rng, objects)
    if a_values is None:
        return None
    attribute = _unnamed(rng, a_values)
    if attribute is None:
        return None
    return a_values, attribute, Step("same", (_anchor_step(a_values),), attribute)


def _same_count(rng, objects) -> DeepQuestion | None:
    found = _same(rng, objects)
    if found is None:
        return None
    a_values, attribute, same = found
    counted = {k: v for k, v in set_values(rng, objects).items() if k != attribute}
    text = f"How many other {describe(counted, True, rng)} have the same {_pick(rng, ASKED[attribute])} as {_the(a_values, rng)}?"
    program = Step("count", (filtered(same, **counted),))
    return DeepQuestion(text, "", "same_count", program, {"anchor": a_values, "attribute": attribute, "counted": counted})


def _same_query(rng, objects) -> DeepQuestion | None:
    found = _same(rng, objects)
    if found is None:
        return None
    a_values, attribute, same = found
    kept = p.run(same, objects)
    if kept.failure or len(kept.steps[-1][1].sure) != 1:
        return None
    asked = _pick(rng, [a for a in ATTRIBUTES if a != attribute])
    text = (
        f"What {_pick(rng, ASKED[asked])} is the other {_pick(rng, GENERIC_NOUNS)} that has the same "
        f"{_pick(rng, ASKED[attribute])} as {_the(a_values, rng)}?"
    )
    program = Step("query", (Step("unique", (same,)),), asked)
    return DeepQuestion(text, "", "same_query", program, {"anchor": a_values, "attribute": attribute, "asked": asked})


MAKERS = {
    "relate_query": _relate_query,
    "relate_count": _relate_count,
    "relate_exist": _relate_exist,
    "two_relations": _two_relations,
    "chain": _chain,
    "logic_or": _logic_or,
    "logic_not": _logic_not,
    "same_count": _same_count,
    "same_query": _same_query,
}


def _articles(text: str) -> str:
    """'a' before a consonant sound, 'an' before a vowel ("an object")."""
    words = text.split(" ")
    for i in range(len(words) - 1):
        if words[i] in ("a", "an"):
            words[i] = "an" if words[i + 1][0] in "aeiou" else "a"
    return " ".join(words)


# -- generating ---------------------------------------------------------------------------------------


def question_about(rng: np.random.Generator, scene_: Scene, form: str) -> DeepQuestion | None:
    """One question of `form` about the scene with a sure answer, or None."""
    objects = list(scene_.objects)
    question = MAKERS[form](rng, objects)
    if question is None:
        return None
    result = p.run(question.program, objects)
    if result.failure is not None:
        return None
    question.answer = str(result.answer)
    second = direct_answer(question, objects)
    if second != question.answer:
        raise AssertionError(f"{question.text}: the program says {question.answer}, the objects {second}")
    return question


def _balance_key(question: DeepQuestion) -> tuple[str, str]:
    return question.form, str(question.params.get("attribute", question.params.get("asked", "")))


def generate(rng: np.random.Generator, scenes: list[Scene], per_scene: int = 5, slack: int = 3) -> list[tuple[int, DeepQuestion]]:
    """(scene index, question) for up to `per_scene` questions per scene, forms in turn,
    answers flattened within each form by rejection: an answer already asked `slack`
    more times than the rarest answer seen for that form is asked again only rarely."""
    seen: dict[tuple[str, str], Counter] = {}
    out = []
    turn = 0
    for index, scene_ in enumerate(scenes):
        asked = 0
        for _ in range(per_scene * 20):
            if asked == per_scene:
                break
            form = FORMS[turn % len(FORMS)]
            question = question_about(rng, scene_, form)
            if question is None:
                continue
            counts = seen.setdefault(_balance_key(question), Counter())
            rarest = min(counts.values()) if counts else 0
            if counts[question.answer] > rarest + slack and rng.random() > 0.01:
                continue
            counts[question.answer] += 1
            out.append((index, question))
            asked += 1
            turn += 1
    return out
