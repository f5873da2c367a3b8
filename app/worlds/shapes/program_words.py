"""A program (`app.worlds.shapes.programs`) in words: for `interpreted_as`, the page's
list of steps, and the notes that name what a question asked for."""

from __future__ import annotations

from app.worlds.shapes import words as w
from app.worlds.shapes.programs import Step


def named(step: Step) -> str:
    """Words for the objects a set-valued step gives, without an article: "large red
    circle", "circle left of the blue square", "object with the same colour as the cube"."""
    values: dict[str, str] = {}
    while step.op == "filter":
        values.setdefault(step.attribute or "", step.value or "")
        step = step.inputs[0]
    noun = " ".join(v for v in (values.get("size"), values.get("color"), values.get("shape") or w.GENERIC) if v)
    if step.op == "scene":
        return noun
    if step.op == "relate":
        return f"{noun} {_direction_words(step.value or '')} the {_one_named(step.inputs[0])}"
    if step.op == "same":
        return f"{noun} with the same {step.attribute} as the {_one_named(step.inputs[0])}"
    return f"{noun} of that kind"


def _one_named(step: Step) -> str:
    """Words for the object an object-valued step picks."""
    if step.op == "unique":
        return named(step.inputs[0])
    if step.op == "extreme":
        return f"{w.EXTREME_OF.get(step.value or '', step.value)} {named(step.inputs[0])}"
    if step.op in ("closest", "farthest"):
        return f"{named(step.inputs[1])} {step.op} to the {_one_named(step.inputs[0])}"
    return "object"


def _plural(value: str) -> str:
    return value + "s" if value in w.SHAPES else value


def step_words(program: Step) -> dict[Step, str]:
    """Each step in words, in the order `walk` gives them: "the other objects left of [2]"."""
    steps = program.walk()
    number = {step: i + 1 for i, step in enumerate(steps)}
    return {s: _words(s, [number[i] for i in s.inputs]) for s in steps}


def describe(program: Step) -> list[str]:
    """The program in words, one numbered line per step: "3. the other objects left of [2]"."""
    return [f"{n}. {words}" for n, words in enumerate(step_words(program).values(), 1)]


def _words(step: Step, refs: list[int]) -> str:
    a, b = (f"[{refs[0]}]" if refs else ""), (f"[{refs[1]}]" if len(refs) > 1 else "")
    value, attribute = step.value or "", step.attribute or ""
    return {
        "scene": "all objects",
        "filter": f"those of {a} that are {_plural(value) if attribute == 'shape' else value}",
        "relate": f"the other objects {_direction_words(value)} {a}",
        "same": f"the other objects with the same {attribute} as {a}",
        "closest": f"the object of {b} closest to {a}",
        "farthest": f"the object of {b} farthest from {a}",
        "extreme": f"the {w.EXTREME_OF.get(value, value)} of {a}",
        "union": f"{a} or {b}",
        "intersect": f"{a} and {b}",
        "difference": f"{a} but not {b}",
        "unique": f"the one object in {a}",
        "count": f"how many are in {a}",
        "exist": f"whether {a} has any",
        "query": f"the {attribute} of {a}",
        "equal": f"whether {a} and {b} have the same {attribute}",
        "relation": f"whether {a} is {_direction_words(value)} {b}",
        "verify": f"whether {a} is {_plural(value) if attribute == 'shape' else value}",
        "compare": f"whether {a} has {'as many objects as' if value == 'same' else value + ' objects than'} {b}",
        "count_is": f"whether the count of {a} is {attribute} {value}",
        "all": f"whether every object of {a} is in {b}",
    }[step.op]


def _direction_words(direction: str) -> str:
    return {"left": "left of", "right": "right of", "above": "above", "below": "below"}.get(direction, direction)
