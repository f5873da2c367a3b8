"""Kinds of question the model was not taught, composed from the ones it was.

"Is the small square brown?" is the square's colour compared with brown, "are all the
circles small?" compares two counts, "how many different colours?" counts each
colour, "which is bigger?" compares two sizes. Comparing two objects' attributes is
composed from two queries too, which the model answers more reliably than the family
that asks it in one sentence. A composed answer's probability is the product of the
probabilities it used.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.worlds.shapes import words as w
from app.worlds.shapes.meaning import Meaning, Reference
from app.worlds.shapes.templates import (
    NONE,
    Asked,
    Outcome,
    count_question,
    extreme_question,
    family_question,
    nothing_named,
    position_question,
    query_question,
    single,
    yes_no,
)


def _attribute_value_of_target(meaning: Meaning, asked: Asked) -> tuple[str, float]:
    if meaning.direction:  # "is the leftmost object red?"
        return asked.top(extreme_question(meaning.attribute or "", meaning.direction))
    return asked.value(meaning.attribute or "", meaning.refs[0])


def _verify(meaning: Meaning, asked: Asked) -> Outcome:
    value, p = _attribute_value_of_target(meaning, asked)
    return yes_no(meaning.value is not None and value == meaning.value, p)


def _restricted(ref: Reference, attribute: str, value: str | None) -> Reference:
    values = {"size": ref.size, "color": ref.color, "shape": ref.shape, attribute: value}
    return Reference(values["size"], values["color"], values["shape"], True, ref.foreign or value is None)


def _all_or_any(meaning: Meaning, asked: Asked) -> Outcome:
    total, p_total = asked.count(meaning.refs[0])
    if total == 0:
        return nothing_named(meaning.refs[0], p_total, plural=True)
    named = meaning.refs[0].names(meaning.attribute or "")
    if named is not None:  # "are all the red circles red?"
        return yes_no(named == meaning.value, p_total)
    matching, p_matching = asked.count(_restricted(meaning.refs[0], meaning.attribute or "", meaning.value))
    result = matching == total if meaning.kind == "all" else matching > 0
    return yes_no(result, p_total * p_matching)


def _compare_attribute(meaning: Meaning, asked: Asked) -> Outcome:
    a, pa = asked.value(meaning.attribute or "", meaning.refs[0])
    b, pb = asked.value(meaning.attribute or "", meaning.refs[1])
    return yes_no((a == b) != meaning.negated, pa * pb)


def _distinct(meaning: Meaning, asked: Asked) -> Outcome:
    base = meaning.refs[0] if meaning.refs else Reference(plural=True)
    probability, found = 1.0, 0
    for value in _values(meaning.attribute or ""):
        n, p = asked.count(_restricted(base, meaning.attribute or "", value))
        found, probability = found + (n > 0), probability * p
    return single(str(found), probability)


def _which_size(meaning: Meaning, asked: Asked) -> Outcome:
    (a, pa), (b, pb) = (asked.value("size", r) for r in meaning.refs)
    if a == b:
        return single(f"neither: both are {a}", pa * pb)
    winner = meaning.refs[0] if a == meaning.value else meaning.refs[1]
    return single(f"the {winner.words}", pa * pb)


def _which_position(meaning: Meaning, asked: Asked) -> Outcome:
    a, b = meaning.refs
    first, pa = asked.top(position_question(a, b, meaning.direction or ""))
    second, pb = asked.top(position_question(b, a, meaning.direction or ""))
    if first == second:
        return single("neither clearly", pa * pb)
    return single(f"the {(a if first == 'yes' else b).words}", pa * pb)


def _size_relation(meaning: Meaning, asked: Asked) -> Outcome:
    """ "Is the circle bigger or smaller than the square?": bigger, smaller, or the same size."""
    (a, pa), (b, pb) = (asked.value("size", r) for r in meaning.refs)
    answer = "the same size" if a == b else "bigger" if a == "large" else "smaller"
    return single(answer, pa * pb)


def _bigger(meaning: Meaning, asked: Asked) -> Outcome:
    (a, pa), (b, pb) = (asked.value("size", r) for r in meaning.refs)
    return yes_no(a == meaning.value and b != meaning.value, pa * pb)


COUNT_RELATIONS = {"==": int.__eq__, ">=": int.__ge__, "<=": int.__le__, ">": int.__gt__, "<": int.__lt__}


def _count_is(meaning: Meaning, asked: Asked) -> Outcome:
    """ "Are there two circles?", "more than one square?": the count, compared."""
    n, p = asked.count(meaning.refs[0])
    return yes_no(COUNT_RELATIONS[meaning.variant or "=="](n, int(meaning.value or 0)), p)


def _all_same(meaning: Meaning, asked: Asked) -> Outcome:
    total, p_total = asked.count(meaning.refs[0])
    if total == 0:
        return single(NONE, p_total)
    distinct = _distinct(meaning, asked)
    return yes_no((distinct.answer == "1") != meaning.negated, p_total * distinct.probability)


def _which_count(meaning: Meaning, asked: Asked) -> Outcome:
    (a, pa), (b, pb) = (asked.count(r) for r in meaning.refs)
    if a == b:
        return single("the same number", pa * pb)
    first = (a > b) == (meaning.variant == "more")
    return single(meaning.refs[0 if first else 1].words, pa * pb)


def _count_sum(meaning: Meaning, asked: Asked) -> Outcome:
    (a, pa), (b, pb) = (asked.count(r) for r in meaning.refs)
    return single(str(a + b), pa * pb)


def _side_of(meaning: Meaning, asked: Asked) -> Outcome:
    """ "Is A left or right of B?": the side, or neither clearly."""
    a, b = meaning.refs
    for direction in (meaning.direction or "", meaning.value or ""):
        said, p = asked.top(position_question(a, b, direction))
        if said == "yes":
            return single(direction, p)
    return single("neither clearly", p)


def _anything_beside(meaning: Meaning, asked: Asked) -> Outcome:
    """ "Is there anything to the left of the circle?": how many objects are, above 0."""
    n, p = asked.top(_beside_question(meaning))
    return yes_no(n.isdigit() and int(n) > 0, p)


def _beside_question(meaning: Meaning) -> str:
    return family_question(Meaning("relate_count", meaning.refs, direction=meaning.direction))


def _both(meaning: Meaning, asked: Asked) -> Outcome:
    values = [asked.value(meaning.attribute or "", r) for r in meaning.refs]
    return yes_no(all(v == meaning.value for v, _ in values), float(np.prod([p for _, p in values])))


def _values(attribute: str) -> tuple[str, ...]:
    return {"color": w.COLORS, "shape": w.SHAPES, "size": w.SIZES}[attribute]


def _extreme_of(meaning: Meaning, asked: Asked) -> Outcome:
    """ "The leftmost circle": the circle's attribute when there is one circle; with
    several, the leftmost object's, when that object is a circle."""
    ref, attribute, direction = meaning.refs[0], meaning.attribute or "", meaning.direction or ""
    n, p = asked.count(ref)
    if n == 0:
        return nothing_named(ref, p)
    if n == 1:
        value, q = asked.value(attribute, ref)
        return single(value, p * q)
    probability = p
    for named in (a for a in ("size", "color", "shape") if ref.names(a)):
        value, q = asked.top(extreme_question(named, direction))
        probability *= q
        if value != ref.names(named):
            note = f"The {w.EXTREME_OF[direction]} object is not a {ref.words}, and there are {n}: say which one."
            return Outcome("", 0.0, [], ambiguous=[{"reference": ref.words, "matches": n}], note=note)
    value, q = asked.value(attribute, ref) if ref.names(attribute) else asked.top(extreme_question(attribute, direction))
    return single(value, probability * q)


COMPOSED: dict[str, Callable[[Meaning, Asked], Outcome]] = {
    "extreme_of": _extreme_of,
    "verify": _verify,
    "all": _all_or_any,
    "any": _all_or_any,
    "compare_attribute": _compare_attribute,
    "distinct": _distinct,
    "which_size": _which_size,
    "which_position": _which_position,
    "bigger": _bigger,
    "size_relation": _size_relation,
    "count_is": _count_is,
    "all_same": _all_same,
    "which_count": _which_count,
    "count_sum": _count_sum,
    "side_of": _side_of,
    "both": _both,
    "anything_beside": _anything_beside,
}


def composed_questions(meaning: Meaning) -> list[str]:
    """The template questions a composed kind needs (its counts are asked by the plan)."""
    kind, refs, attribute = meaning.kind, meaning.refs, meaning.attribute or ""
    if kind == "verify" and meaning.direction:
        return [extreme_question(attribute, meaning.direction)]
    if kind == "extreme_of":
        named = [a for a in ("size", "color", "shape") if refs[0].names(a)]
        own = [] if refs[0].names(attribute) else [query_question(attribute, refs[0])]
        return [*own, *(extreme_question(a, meaning.direction or "") for a in dict.fromkeys([*named, attribute]))]
    if kind in ("verify", "compare_attribute", "which_size", "bigger", "size_relation", "both"):
        return [query_question(attribute, r) for r in refs if not r.names(attribute) and not r.foreign]
    if kind in ("all", "any"):
        return [count_question(_restricted(refs[0], attribute, meaning.value))]
    if kind in ("distinct", "all_same"):
        base = refs[0] if refs else Reference(plural=True)
        return [count_question(_restricted(base, attribute, v)) for v in _values(attribute)]
    if kind == "anything_beside":
        return [_beside_question(meaning)]
    if kind == "side_of":
        return [position_question(refs[0], refs[1], d) for d in (meaning.direction or "", meaning.value or "")]
    if kind == "which_position":
        return [
            position_question(refs[0], refs[1], meaning.direction or ""),
            position_question(refs[1], refs[0], meaning.direction or ""),
        ]
    return []
