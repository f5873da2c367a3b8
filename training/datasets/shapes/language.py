"""The words of the shapes world: references, question templates, answers.

A *reference* names objects by optional size, optional colour and a noun:
`[the] [size] [colour] noun` ("the large red circle", "small things"). This module
turns references into English and back; it knows grammar, not scenes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from training.datasets.shapes.scenes import COLORS, SHAPES

SIZE_WORDS = {"small": ("small", "tiny"), "large": ("large", "big")}
GENERIC_NOUNS = ("object", "thing", "shape")
ATTRIBUTES = ("color", "shape", "size")
DIRECTIONS = ("left", "right", "above", "below")
EXTREMES = {"left": "leftmost", "right": "rightmost", "above": "topmost", "below": "bottommost"}

# `none` (last, so that a model trained before it keeps its indices) answers a question
# about an object the picture does not have.
ANSWERS = "yes no 0 1 2 3 4 5 6 gray red blue green brown purple cyan yellow circle square triangle small large none".split()
FAMILIES = (
    "exist",
    "count",
    "query_color",
    "query_shape",
    "query_size",
    "compare_count",
    "compare_attribute",
    "relate_position",
    "extreme",
    "relate_count",
    "closest_farthest",
)

# Each family's phrasings, from the spec. Placeholders: {a_R} a reference with its
# indefinite article, {Rs} plural, {R} singular after "the", {attr} colour/shape/size,
# {noun} a generic noun, {ext} leftmost/rightmost/topmost/bottommost.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "exist": ("Is there {a_R}?", "Are there any {Rs}?", "Does the image contain {a_R}?"),
    "count": ("How many {Rs} are there?", "What number of {Rs} are there?", "Count the {Rs}."),
    "query_color": ("What color is the {R}?", "What is the color of the {R}?", "Which color does the {R} have?"),
    "query_shape": ("What shape is the {R}?", "What is the shape of the {R}?", "What kind of shape is the {R}?"),
    "query_size": ("What size is the {R}?", "Is the {R} small or large?", "How big is the {R}?"),
    "compare_count": (
        "Are there more {R1s} than {R2s}?",
        "Are there fewer {R1s} than {R2s}?",
        "Are there the same number of {R1s} and {R2s}?",
        "Is the number of {R1s} equal to the number of {R2s}?",
    ),
    "compare_attribute": (
        "Is the {R1} the same color as the {R2}?",
        "Do the {R1} and the {R2} have the same shape?",
        "Are the {R1} and the {R2} the same size?",
    ),
    "relate_position": (
        "Is the {R1} to the left of the {R2}?",
        "Is the {R1} to the right of the {R2}?",
        "Is the {R1} above the {R2}?",
        "Is the {R1} below the {R2}?",
    ),
    "extreme": ("What {attr} is the {ext} {noun}?",),
    "relate_count": (
        "How many {nouns} are to the left of the {R}?",
        "How many {nouns} are to the right of the {R}?",
        "How many {nouns} are above the {R}?",
        "How many {nouns} are below the {R}?",
    ),
    "closest_farthest": ("What {attr} is the {noun} closest to the {R}?", "What {attr} is the {noun} farthest from the {R}?"),
}


@dataclass(frozen=True)
class Ref:
    """A reference: None means "any" for that attribute."""

    size: str | None = None
    color: str | None = None
    shape: str | None = None

    def matches(self, obj) -> bool:
        return (
            (self.size is None or obj.size == self.size)
            and (self.color is None or obj.color == self.color)
            and (self.shape is None or obj.shape == self.shape)
        )

    def names(self, attribute: str) -> bool:
        return getattr(self, attribute) is not None

    def words(self, rng: np.random.Generator, plural: bool = False, avoid_noun: str | None = None) -> str:
        """English for the reference, with synonyms drawn at random."""
        parts = []
        if self.size:
            choices = SIZE_WORDS[self.size]
            parts.append(choices[rng.integers(len(choices))])
        if self.color:
            parts.append(self.color)
        if self.shape:
            noun = self.shape
        else:
            nouns = [n for n in GENERIC_NOUNS if n != avoid_noun]
            noun = nouns[rng.integers(len(nouns))]
        parts.append(noun + ("s" if plural else ""))
        return " ".join(parts)


def with_article(words: str) -> str:
    return ("an " if words[0] in "aeiou" else "a ") + words


# ----------------------------------------------------------------------------------
# Parsing, for the checker and for anyone who wants a question's structure back
# ----------------------------------------------------------------------------------

_SIZE = "|".join(w for ws in SIZE_WORDS.values() for w in ws)
_COLOR = "|".join(COLORS)
_NOUN = "|".join((*SHAPES, *GENERIC_NOUNS))
_REF = rf"(?:(?:{_SIZE}) )?(?:(?:{_COLOR}) )?(?:{_NOUN})"
_SYNONYM = {w: size for size, ws in SIZE_WORDS.items() for w in ws}


def normalise(question: str) -> str:
    """Lower case, punctuation dropped, single spaces: how questions are compared."""
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", question.lower()).split())


def parse_ref(words: str) -> Ref:
    tokens = words.split()
    noun = tokens[-1]
    noun = noun[:-1] if noun.endswith("s") and noun[:-1] in (*SHAPES, *GENERIC_NOUNS) else noun
    size = next((_SYNONYM[t] for t in tokens[:-1] if t in _SYNONYM), None)
    color = next((t for t in tokens[:-1] if t in COLORS), None)
    return Ref(size, color, noun if noun in SHAPES else None)


_PLACEHOLDERS = {
    "a_R": rf"(?:a|an) (?P<R>{_REF})",
    "Rs": rf"(?P<R>{_REF})s",
    "R": rf"(?P<R>{_REF})",
    "R1s": rf"(?P<R1>{_REF})s",
    "R2s": rf"(?P<R2>{_REF})s",
    "R1": rf"(?P<R1>{_REF})",
    "R2": rf"(?P<R2>{_REF})",
    "attr": r"(?P<attr>color|shape|size)",
    "ext": rf"(?P<ext>{'|'.join(EXTREMES.values())})",
    "noun": rf"(?P<noun>{'|'.join(GENERIC_NOUNS)})",
    "nouns": rf"(?P<noun>{'|'.join(GENERIC_NOUNS)})s",
}


def _template_regex(template: str) -> re.Pattern:
    pieces = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ...
    parts = [_PLACEHOLDERS[piece] if i % 2 else re.escape(normalise(piece)) for i, piece in enumerate(pieces)]
    return re.compile(" ".join(p for p in parts if p))


PARSERS: list[tuple[str, int, re.Pattern]] = [
    (family, i, _template_regex(t)) for family, templates in TEMPLATES.items() for i, t in enumerate(templates)
]


def parse_question(question: str) -> tuple[str, int, dict[str, str]] | None:
    """(family, template index, captured words) for a question of this language."""
    text = normalise(question)
    for family, index, regex in PARSERS:
        match = regex.fullmatch(text)
        if match:
            return family, index, {k: v for k, v in match.groupdict().items() if v is not None}
    return None


def vocabulary() -> list[str]:
    """Every word a question of this language can use, sorted."""
    words = set()
    for templates in TEMPLATES.values():
        for t in templates:
            words.update(w for w in normalise(re.sub(r"\{[^}]*\}", " ", t)).split())
    words.update(_SYNONYM, COLORS, SHAPES, GENERIC_NOUNS, (f"{n}s" for n in (*SHAPES, *GENERIC_NOUNS)))
    words.update(("a", "an"), ATTRIBUTES, EXTREMES.values())
    return sorted(words)
