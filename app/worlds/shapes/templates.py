"""The template questions the model was trained on, and what it answered to them.

`vqa_plans` and `vqa_composed` word every question they ask the model here, in the
spec's canonical phrasing, and read the answers through `Asked`; `Outcome` is what a
plan concludes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app.worlds.shapes import words as w
from app.worlds.shapes.meaning import Meaning, Reference

NONE = "none"
# The template families that need "the" object: a reference that names nothing is
# answered `none` (the generator's false premises), one that names several is ambiguous.
NEEDS_ONE_OBJECT = (
    "query_color",
    "query_shape",
    "query_size",
    "compare_attribute",
    "relate_position",
    "relate_count",
    "closest_farthest",
)


# -- template wording ----------------------------------------------------------------------


def with_article(words: str) -> str:
    return ("an " if words[0] in "aeiou" else "a ") + words


def count_question(ref: Reference) -> str:
    return f"How many {ref.phrase(plural=True)} are there?"


def query_question(attribute: str, ref: Reference) -> str:
    return f"What {attribute} is the {ref.phrase(plural=False)}?"


def extreme_question(attribute: str, direction: str) -> str:
    return f"What {attribute} is the {w.EXTREME_OF[direction]} object?"


def relation(direction: str) -> str:
    """The templates' words for a direction: "to the left of", "above"."""
    return {"left": "to the left of", "right": "to the right of"}.get(direction, direction)


def position_question(a: Reference, b: Reference, direction: str) -> str:
    return f"Is the {a.phrase(plural=False)} {relation(direction)} the {b.phrase(plural=False)}?"


def family_question(meaning: Meaning) -> str:
    """The canonical wording of a meaning from one of the model's own families."""
    refs, kind = meaning.refs, meaning.kind
    if kind == "exist":
        return f"Is there {with_article(refs[0].phrase(plural=False))}?"
    if kind == "count":
        return count_question(refs[0])
    if kind.startswith("query_"):
        return query_question(meaning.attribute or "", refs[0])
    if kind == "compare_count":
        a, b = refs[0].phrase(plural=True), refs[1].phrase(plural=True)
        if meaning.variant == "same":
            return f"Are there the same number of {a} and {b}?"
        return f"Are there {meaning.variant} {a} than {b}?"
    if kind == "relate_position":
        return position_question(refs[0], refs[1], meaning.direction or "")
    if kind == "extreme":
        return extreme_question(meaning.attribute or "", meaning.direction or "")
    if kind == "relate_count":
        return f"How many objects are {relation(meaning.direction or '')} the {refs[0].phrase(plural=False)}?"
    if kind == "closest_farthest":
        distance = "closest to" if meaning.variant == "closest" else "farthest from"
        return f"What {meaning.attribute} is the object {distance} the {refs[0].phrase(plural=False)}?"
    raise ValueError(f"{kind} is not one of the model's families")


# -- what the model said -------------------------------------------------------------------


@dataclass
class Asked:
    """The model's answers to the template questions, by question."""

    labels: Sequence[str]
    probabilities: dict[str, np.ndarray]

    def present(self, question: str) -> np.ndarray:
        """The model's probabilities given that the objects asked about are there (a plan
        checks that by counting): `none`, where the model has it, left out and the rest
        renormalised."""
        row = self.probabilities[question]
        if NONE not in self.labels:
            return row
        row = row.copy()
        row[list(self.labels).index(NONE)] = 0.0
        return row / max(float(row.sum()), 1e-12)

    def said_none(self, question: str) -> bool:
        return self.labels[int(np.argmax(self.probabilities[question]))] == NONE

    def top(self, question: str) -> tuple[str, float]:
        """The model's answer, given that what it is asked about is there."""
        row = self.present(question)
        best = int(np.argmax(row))
        return self.labels[best], float(row[best])

    def count(self, ref: Reference) -> tuple[int, float]:
        """How many objects `ref` names, with the model's probability for it."""
        if ref.foreign:
            return 0, 1.0
        answer, p = self.top(count_question(ref))
        return (int(answer), p) if answer.isdigit() else (0, 0.0)

    def value(self, attribute: str, ref: Reference) -> tuple[str, float]:
        """The attribute of the one object `ref` names (read off the reference when it says it)."""
        named = ref.names(attribute)
        return (named, 1.0) if named else self.top(query_question(attribute, ref))


@dataclass
class Outcome:
    answer: str
    probability: float
    answers: list[dict] = field(default_factory=list)
    ambiguous: list[dict] = field(default_factory=list)
    note: str | None = None
    guess: bool = False  # shown as a guess whatever its probability


def yes_no(value: bool, probability: float) -> Outcome:
    answer, other = ("yes", "no") if value else ("no", "yes")
    return Outcome(
        answer, probability, [{"answer": answer, "probability": probability}, {"answer": other, "probability": 1 - probability}]
    )


def single(answer: str, probability: float) -> Outcome:
    return Outcome(answer, probability, [{"answer": answer, "probability": probability}])


def nothing_named(ref: Reference, probability: float, plural: bool = False) -> Outcome:
    """A false premise: the answer `none`, saying what is not in the picture."""
    there = f"There are no {ref.words}" if plural else f"There is no {ref.words}"
    return Outcome(NONE, probability, [{"answer": NONE, "probability": probability}], note=f"{there} in the picture.")
