"""From a question's meaning to an answer: which template questions the model is
asked, and how their answers combine.

The model was trained on the spec's 11 families in their template wording; people ask
more. Every meaning is answered from template questions, asked together in one batch:
- a family the model knows is asked in its canonical wording;
- before answering about "the" object, the model counts the objects the reference
  names: none gives the answer `none` (a false premise), several give an `ambiguous`
  note instead of an arbitrary pick;
- other kinds are composed: "is the small square brown?" is the square's colour
  compared with brown, "are all the circles small?" compares two counts, "how many
  different colours?" counts each colour. Comparing two objects' attributes is also
  composed from two queries, which the model answers more reliably than the family
  that asks it in one sentence.
A composed answer's probability is the product of the probabilities it used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from app.tasks import vqa_words as w
from app.tasks.vqa_reading import Meaning, Reference

NONE = "none"
SINGULAR_KINDS = {
    "query_color",
    "query_shape",
    "query_size",
    "compare_attribute",
    "relate_position",
    "relate_count",
    "closest_farthest",
    "verify",
    "which_size",
    "which_position",
    "bigger",
    "side_of",
    "both",
}


# -- template wording ----------------------------------------------------------------------


def with_article(words: str) -> str:
    return ("an " if words[0] in "aeiou" else "a ") + words


def count_question(ref: Reference) -> str:
    return f"How many {ref.phrase(plural=True)} are there?"


def query_question(attribute: str, ref: Reference) -> str:
    return f"What {attribute} is the {ref.phrase(plural=False)}?"


def extreme_question(attribute: str, direction: str) -> str:
    return f"What {attribute} is the {w.EXTREME_OF[direction]} object?"


def position_question(a: Reference, b: Reference, direction: str) -> str:
    relation = {"left": "to the left of", "right": "to the right of"}.get(direction, direction)
    return f"Is the {a.phrase(plural=False)} {relation} the {b.phrase(plural=False)}?"


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
        relation = {"left": "to the left of", "right": "to the right of"}.get(meaning.direction or "", meaning.direction)
        return f"How many objects are {relation} the {refs[0].phrase(plural=False)}?"
    if kind == "closest_farthest":
        relation = "closest to" if meaning.variant == "closest" else "farthest from"
        return f"What {meaning.attribute} is the object {relation} the {refs[0].phrase(plural=False)}?"
    raise ValueError(f"{kind} is not one of the model's families")


# -- what the model said -------------------------------------------------------------------


@dataclass
class Asked:
    """The model's answers to the template questions, by question."""

    labels: Sequence[str]
    probabilities: dict[str, np.ndarray]

    def top(self, question: str) -> tuple[str, float]:
        row = self.probabilities[question]
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


def yes_no(value: bool, probability: float) -> Outcome:
    answer, other = ("yes", "no") if value else ("no", "yes")
    return Outcome(
        answer, probability, [{"answer": answer, "probability": probability}, {"answer": other, "probability": 1 - probability}]
    )


def single(answer: str, probability: float) -> Outcome:
    return Outcome(answer, probability, [{"answer": answer, "probability": probability}])


# -- composed kinds ------------------------------------------------------------------------


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
        return Outcome(
            NONE,
            p_total,
            [{"answer": NONE, "probability": p_total}],
            note=f"There are no {meaning.refs[0].words} in the picture.",
        )
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


def _bigger(meaning: Meaning, asked: Asked) -> Outcome:
    (a, pa), (b, pb) = (asked.value("size", r) for r in meaning.refs)
    return yes_no(a == meaning.value and b != meaning.value, pa * pb)


def _count_is(meaning: Meaning, asked: Asked) -> Outcome:
    n, p = asked.count(meaning.refs[0])
    return yes_no(str(n) == meaning.value, p)


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
        return Outcome(NONE, p, [{"answer": NONE, "probability": p}], note=f"There is no {ref.words} in the picture.")
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
    "count_is": _count_is,
    "all_same": _all_same,
    "which_count": _which_count,
    "count_sum": _count_sum,
    "side_of": _side_of,
    "both": _both,
}


def _composed_questions(meaning: Meaning) -> list[str]:
    kind, refs, attribute = meaning.kind, meaning.refs, meaning.attribute or ""
    if kind == "verify" and meaning.direction:
        return [extreme_question(attribute, meaning.direction)]
    if kind == "extreme_of":
        named = [a for a in ("size", "color", "shape") if refs[0].names(a)]
        own = [] if refs[0].names(attribute) else [query_question(attribute, refs[0])]
        return [*own, *(extreme_question(a, meaning.direction or "") for a in dict.fromkeys([*named, attribute]))]
    if kind in ("verify", "compare_attribute", "which_size", "bigger", "both"):
        return [query_question(attribute, r) for r in refs if not r.names(attribute) and not r.foreign]
    if kind in ("all", "any"):
        return [count_question(_restricted(refs[0], attribute, meaning.value))]
    if kind in ("distinct", "all_same"):
        base = refs[0] if refs else Reference(plural=True)
        return [count_question(_restricted(base, attribute, v)) for v in _values(attribute)]
    if kind == "side_of":
        return [position_question(refs[0], refs[1], d) for d in (meaning.direction or "", meaning.value or "")]
    if kind == "which_position":
        return [
            position_question(refs[0], refs[1], meaning.direction or ""),
            position_question(refs[1], refs[0], meaning.direction or ""),
        ]
    return []


# -- the plan ------------------------------------------------------------------------------


def needs_one(meaning: Meaning) -> tuple[Reference, ...]:
    """The references that must name exactly one object for the question to make sense."""
    if meaning.kind in SINGULAR_KINDS:
        return tuple(r for r in meaning.refs if not r.plural or meaning.kind != "verify")
    return ()


def model_questions(meaning: Meaning) -> list[str]:
    """Every template question the answer needs, each once."""
    counts_all = meaning.kind in ("all", "any", "count_is", "all_same", "which_count", "count_sum", "extreme_of") or (
        meaning.kind == "compare_count" and any(r.foreign for r in meaning.refs)
    )
    counted = (*needs_one(meaning), *(meaning.refs if counts_all else ()))
    questions = [count_question(r) for r in counted if not r.foreign]
    if meaning.kind in COMPOSED:
        questions += _composed_questions(meaning)
    elif meaning.kind.startswith("query_") and meaning.refs[0].names(meaning.attribute or ""):
        pass  # "what colour is the red circle?": the reference says it
    elif not any(r.foreign for r in meaning.refs):
        questions.append(family_question(meaning))
    return list(dict.fromkeys(questions))


def _premises(meaning: Meaning, asked: Asked) -> Outcome | None:
    """`none` when a reference names nothing; the ambiguous references listed."""
    ambiguous = []
    for ref in needs_one(meaning):
        n, p = asked.count(ref)
        if n == 0:
            return Outcome(NONE, p, [{"answer": NONE, "probability": p}], note=f"There is no {ref.words} in the picture.")
        if n > 1:
            ambiguous.append({"reference": ref.words, "matches": n})
    if meaning.kind in ("exist", "count", "compare_count") and any(r.foreign for r in meaning.refs):
        return _foreign_answer(meaning, asked)
    outcome = None
    if ambiguous:
        outcome = Outcome(
            "",
            0.0,
            ambiguous=ambiguous,
            note="; ".join(
                f"there are {a['matches']} {a['reference']}s: say which one (for example by its colour or size)"
                for a in ambiguous
            ),
        )
    return outcome


def _foreign_answer(meaning: Meaning, asked: Asked) -> Outcome:
    """Questions about things the world never has: their count is zero for sure."""
    if meaning.kind == "exist":
        return yes_no(False, 1.0)
    if meaning.kind == "count":
        return single("0", 1.0)
    (a, pa), (b, pb) = (asked.count(r) for r in meaning.refs)
    value = {"more": a > b, "fewer": a < b, "same": a == b}[meaning.variant or "same"]
    return yes_no(value, pa * pb)


def conclude(meaning: Meaning, asked: Asked, top_k: int) -> Outcome:
    premise = _premises(meaning, asked)
    if premise is not None and not premise.ambiguous:
        return premise
    if meaning.kind in COMPOSED:
        outcome = COMPOSED[meaning.kind](meaning, asked)
    elif meaning.kind.startswith("query_") and meaning.refs[0].names(meaning.attribute or ""):
        outcome = single(meaning.refs[0].names(meaning.attribute or "") or "", 1.0)  # "what colour is the red circle?"
    else:
        question = family_question(meaning)
        row = asked.probabilities[question]
        order = np.argsort(-row, kind="stable")[:top_k]
        answers = [{"answer": asked.labels[i], "probability": float(row[i])} for i in order]
        outcome = Outcome(answers[0]["answer"], answers[0]["probability"], answers)
    if premise is not None:
        outcome.ambiguous, outcome.note = premise.ambiguous, premise.note
    outcome.answers = outcome.answers[:top_k]
    return outcome
