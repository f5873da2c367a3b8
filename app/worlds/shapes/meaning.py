"""What reading a question produces: references, the meaning, the reading itself.

`app.worlds.shapes.reading` makes these from the words; `app.worlds.shapes.plans` turns a
meaning into template questions for the model. Both know only these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.worlds.shapes import words as w
from app.worlds.shapes.programs import Step


@dataclass(frozen=True)
class Reference:
    """Objects named by size, colour and shape; None is "any". `foreign`: it uses a
    word for a colour, shape or size this world never has, so it matches nothing."""

    size: str | None = None
    color: str | None = None
    shape: str | None = None
    plural: bool = False
    foreign: bool = False
    words: str = ""
    article: str | None = None  # the determiner before it: "a" in "is the circle a square?"

    def phrase(self, plural: bool | None = None) -> str:
        """The template language's words: "large red circle", "objects"."""
        noun = self.shape or w.GENERIC
        many = self.plural if plural is None else plural
        return " ".join(p for p in (self.size, self.color, noun + ("s" if many else "")) if p)

    def names(self, attribute: str) -> str | None:
        return getattr(self, attribute)

    @property
    def generic(self) -> bool:
        return self.size is None and self.color is None and self.shape is None and not self.foreign


@dataclass(frozen=True)
class Meaning:
    """A question's meaning. `kind` is one of the model's 11 families or a kind the
    plans compose from them (verify, all, any, distinct, which_size, which_position)."""

    kind: str
    refs: tuple[Reference, ...] = ()
    attribute: str | None = None
    direction: str | None = None
    variant: str | None = None  # compare_count: more/fewer/same; closest_farthest: closest/farthest
    value: str | None = None  # verify/all/any: the value asked about (None: one the world lacks)
    negated: bool = False  # "different" where the family asks "the same"


@dataclass
class Reading:
    question: str
    read_as: str
    corrections: list[dict[str, str]] = field(default_factory=list)
    unknown_words: list[str] = field(default_factory=list)
    meaning: Meaning | None = None
    scope_note: str | None = None
    # The question as a program over the scene's objects (`app.worlds.shapes.grammar`);
    # None when the grammar cannot read every word. Deep questions have only this.
    program: Step | None = None

    @property
    def in_scope(self) -> bool:
        return self.meaning is not None or self.program is not None
