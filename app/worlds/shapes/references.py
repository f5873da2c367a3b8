"""The first half of reading a shapes question: its words cut into references.

A reference is what names objects ("the small red circle", "the things left of it"):
optional size and colour and a noun. `cut` finds them and the words between them,
which `app.worlds.shapes.reading` turns into a meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from app.worlds.shapes import words as w
from app.worlds.shapes.meaning import Reference
from app.worlds.shapes.spelling import ADJECTIVES, ATTRIBUTE_OF, DETERMINERS, EXTREME_OF, KNOWN, NOUNS

# -- references -------------------------------------------------------------------------


def is_shape_attribute(tokens: list[str], i: int) -> bool:
    """'shape' asks about the attribute ("what shape", "the shape of", "same shape")
    unless it closes a reference ("a red shape", "how many shapes")."""
    before = tokens[i - 1] if i else ""
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    if before in ADJECTIVES or before in ("many", "any", "all", "of"):
        return before == "of" and i >= 2 and tokens[i - 2] in ("kind", "type", "sort")
    return before in ("what", "which", "same", "different", "distinct", "its", "their") or after in (
        "of",
        "is",
        "does",
        "do",
        "are",
    )


def word_role(tokens: list[str], i: int) -> str:
    token = tokens[i]
    if token in ("shape", "shapes") and is_shape_attribute(tokens, i):
        return "attribute"
    if token in ("one", "ones"):
        if i and tokens[i - 1] in ADJECTIVES:
            return "noun"  # "the red one"
    if token in w.NUMBERS or token.isdigit():
        return "number"
    if token in NOUNS:
        return "noun"
    if token in ADJECTIVES:
        return "adjective"
    if token in EXTREME_OF and not (token in ("top", "bottom") and i + 1 < len(tokens) and tokens[i + 1] == "of"):
        return "extreme"
    return "attribute" if token in ATTRIBUTE_OF else "other"


@dataclass
class Parts:
    """A question cut into references, loose adjectives and the remaining words."""

    refs: list[Reference] = field(default_factory=list)
    ref_unknown: list[str] = field(default_factory=list)
    loose: list[tuple[str, str | None]] = field(default_factory=list)  # (attribute, value) not in a reference
    extremes: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # everything else, in order
    unknown: list[str] = field(default_factory=list)  # words the reader does not know
    numbers: list[int] = field(default_factory=list)


def _reference(adjectives: list[str], noun: str) -> Reference:
    shape, plural = NOUNS[noun]
    values: dict[str, str | None] = {}
    foreign = shape is None
    for adjective in adjectives:
        attribute, value = ADJECTIVES[adjective]
        foreign = foreign or value is None
        values.setdefault(attribute, value)
    words = " ".join([*adjectives, noun])
    return Reference(
        values.get("size"), values.get("color"), None if shape in (None, w.GENERIC) else shape, plural, foreign, words
    )


def cut(tokens: list[str]) -> Parts:
    parts = Parts()
    roles = [word_role(tokens, i) for i in range(len(tokens))]
    pending: list[str] = []  # adjectives waiting for their noun
    unknown_before: list[str] = []
    relative = False  # after "the circle that is": the adjectives that follow narrow the circle
    for i, (token, role) in enumerate(zip(tokens, roles, strict=False)):
        if role == "adjective":
            pending.append(token)
        elif role == "extreme":
            parts.extremes.append(EXTREME_OF[token])
        elif role == "number":
            parts.numbers.append(int(token) if token.isdigit() else w.NUMBERS[token])
        elif role == "noun":
            if parts.refs and not pending and tokens[i - 1] in NOUNS and roles[i - 1] == "noun" and NOUNS[token][0] == w.GENERIC:
                continue  # "the red circle shape": one reference
            start = i - len(pending) - len(unknown_before) - 1
            article = tokens[start] if start >= 0 and tokens[start] in DETERMINERS else None
            parts.refs.append(replace(_reference(pending, token), article=article))
            parts.ref_unknown += unknown_before
            pending, unknown_before, relative = [], [], False
        elif token not in KNOWN and not token.isdigit():
            unknown_before.append(token)  # read with the next reference, if one follows
            parts.unknown.append(token)
        else:
            relative = _flush(parts, pending, relative)
            pending, unknown_before = [], []
            parts.words.append(token)
            if token in ("is", "are") and i and tokens[i - 1] in ("that", "which", "who") and parts.refs:
                relative = True
    _flush(parts, pending, relative)
    return parts


def _flush(parts: Parts, adjectives: list[str], relative: bool) -> bool:
    """Adjectives with no noun after them: they narrow the reference of a relative clause
    ("the circle that is red"), else they are loose ("is the circle red?"). Returns
    whether a relative clause is still open."""
    if not adjectives:
        return relative
    values = [ADJECTIVES[a] for a in adjectives]
    # "is the circle that is red big?": in a yes/no question the last adjective is what is asked
    keep = values[-1:] if relative and len(values) > 1 and parts.words[:1] in (["is"], ["are"]) else []
    narrowed = merged(parts.refs[-1], values[: len(values) - len(keep)]) if relative else None
    if narrowed is None:
        parts.loose += values
    else:
        parts.refs[-1] = narrowed
        parts.loose += keep
    return False


def merged(ref: Reference, values: list[tuple[str, str | None]]) -> Reference | None:
    """`ref` narrowed by more values ("how many of the circles are red"); None when they
    contradict it ("the blue objects ... red")."""
    fields = {"size": ref.size, "color": ref.color, "shape": ref.shape}
    foreign = ref.foreign
    for attribute, value in values:
        if fields[attribute] is not None and fields[attribute] != value:
            return None
        fields[attribute] = value
        foreign = foreign or value is None
    return Reference(
        fields["size"],
        fields["color"],
        fields["shape"],
        ref.plural,
        foreign,
        " ".join(v for v in (fields["size"], fields["color"], ref.words) if v and v not in ref.words),
    )


def ref_values(ref: Reference) -> list[tuple[str, str | None]]:
    return [(a, getattr(ref, a)) for a in ("size", "color", "shape") if getattr(ref, a)] + (
        [("color", None)] if ref.foreign else []
    )
