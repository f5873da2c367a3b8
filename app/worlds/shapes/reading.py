"""Reading a question the way a person typed it: spelling, synonyms, then its meaning.

`read_question` returns a `Reading`: the question as read (typing slips corrected,
with the corrections listed), its meaning (`Meaning`: a kind of question with its
references) and, when there is no meaning it can act on, a one-sentence note saying
why. It knows words and grammar, never pictures: `app.worlds.shapes.plans` turns a meaning
into the template questions the model was trained on.

Rules:
- slips and phrases are handled first, by `app.worlds.shapes.spelling`;
- a word it cannot read puts the question out of scope, named in the note, since the
  question would be read wrongly without it;
- a reference names optional size and colour and a noun; colours and shapes this
  world never has ("orange", "star") make a reference that matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.worlds.shapes import words as w
from app.worlds.shapes.meaning import Meaning, Reading, Reference
from app.worlds.shapes.references import Parts, cut, merged, ref_values
from app.worlds.shapes.spelling import (
    ATTRIBUTE_OF,
    COMPARATIVE_OF,
    DIRECTION_OF,
    KNOWN,
    candidates,
    clean,
    correct,
    expand_shorthand,
    join_phrases,
)

# -- meaning ----------------------------------------------------------------------------

SCOPE_NOTE = (
    "These models answer questions about the circles, squares and triangles in a shapes scene: "
    "whether there is one, how many, their colour, shape and size, and where they are "
    "(for example 'How many red circles are there?')."
)


class OutOfScope(Exception):
    """The question asks what the shapes models cannot answer; the message says why."""


@dataclass
class Cues:
    """What the words outside the references ask for."""

    words: list[str]
    text: str
    counting: bool
    attribute: str | None
    directions: list[str]
    variant: str | None  # closest / farthest

    @classmethod
    def of(cls, parts: Parts) -> Cues:
        words = parts.words
        text = " " + " ".join(words) + " "
        counting = " how many " in text or any(t in words for t in ("number", "count", "total", "counting"))
        attribute = next((ATTRIBUTE_OF[t] for t in words if t in ATTRIBUTE_OF), None)
        directions = [DIRECTION_OF[t] for t in words if t in DIRECTION_OF]
        variant = "closest" if any(t in w.CLOSEST for t in words) else "farthest" if any(t in w.FARTHEST for t in words) else None
        return cls(words, text, counting, attribute, directions, variant)

    def has(self, *words: str) -> bool:
        return any(f" {word} " in self.text for word in words)


def _one_generic_target(parts: Parts) -> tuple[Reference, ...]:
    """'the object closest to R', 'how many things are left of R': the first reference
    must be generic; the anchor is the last."""
    if len(parts.refs) == 2 and not parts.refs[0].generic:
        raise OutOfScope(f"I can only count or pick out objects of any kind here, not only {parts.refs[0].words}.")
    if not 1 <= len(parts.refs) <= 2:
        raise OutOfScope("Name one object to measure from, for example 'the red circle'.")
    return (parts.refs[-1],)


def _comparison(parts: Parts, cues: Cues) -> Meaning | None:
    refs = tuple(parts.refs)
    if len(refs) == 1 and refs[0].plural and cues.attribute and cues.has("same", "different"):
        return Meaning("all_same", refs, cues.attribute, negated=cues.has("different"))  # "are the triangles the same size?"
    if len(refs) != 2:
        return None
    for variant, words in (("more", ("more", "greater")), ("fewer", ("fewer", "less"))):
        if cues.has(*words):
            which = cues.has("or") and not cues.has("than")  # "are there more circles or squares?"
            return Meaning("which_count" if which else "compare_count", refs, variant=variant)
    if (cues.has("same number", "equal") or (cues.has("same") and cues.counting)) and cues.attribute is None:
        return Meaning("compare_count", refs, variant="same")
    if cues.attribute and cues.has("same", "different"):
        return Meaning("compare_attribute", refs, cues.attribute, negated=cues.has("different"))
    comparatives = [COMPARATIVE_OF[t] for t in cues.words if t in COMPARATIVE_OF]
    comparative = comparatives[0] if comparatives else None
    if len(set(comparatives)) == 2:  # "bigger or smaller than"
        return Meaning("size_relation", refs, "size")
    if comparative and cues.has("which", "or"):
        return Meaning("which_size", refs, "size", value=comparative)
    if comparative:
        return Meaning("bigger", refs, "size", value=comparative)  # "is the circle bigger than the square?"
    sides = set(cues.directions)
    if sides in ({"left", "right"}, {"above", "below"}) and not cues.counting:  # "is A left or right of B?"
        first, second = cues.directions[0], next(d for d in cues.directions if d != cues.directions[0])
        return Meaning("side_of", refs, direction=first, value=second)
    if cues.directions and cues.has("which", "or") and not cues.counting:
        return Meaning("which_position", refs, direction=cues.directions[0])
    if cues.directions and not cues.counting and not cues.attribute and not cues.has("what"):
        if refs[0].generic and cues.has("there", "any", "anything"):  # "is there anything left of the circle?"
            return Meaning("anything_beside", refs[1:], direction=cues.directions[0])
        return Meaning("relate_position", refs, direction=cues.directions[0])
    return None


def _counting(parts: Parts, cues: Cues) -> Meaning | None:
    if not cues.counting or (len(parts.refs) == 2 and cues.has("same", "equal", "more", "fewer", "less", "greater")):
        return None  # comparing two counts is `_comparison`'s
    if cues.attribute and cues.has("different", "distinct", "unique", "kinds", "types", "sorts"):
        return Meaning("distinct", tuple(parts.refs[:1]), cues.attribute)
    asked_of = cues.has(*(f"how many {word}" for word in ("color", "colour", "colors", "colours", "sizes"))) or not (
        parts.refs or parts.loose
    )
    if cues.attribute in ("color", "size") and asked_of:  # "how many colours (do the circles have)?"
        return Meaning("distinct", tuple(parts.refs[:1]), cues.attribute)  # ("how many shapes" counts objects)
    if cues.directions:
        return Meaning("relate_count", _one_generic_target(parts), direction=cues.directions[0])
    refs, loose = parts.refs, parts.loose
    if len(refs) == 2 and cues.has("and") and not loose:
        return Meaning("count_sum", tuple(refs))  # "how many circles and squares are there?"
    if len(refs) == 2 and cues.has("of") and not cues.has("or"):  # "how many of the objects are circles?"
        refs, loose = [refs[0]], [*loose, *ref_values(refs[1])]
    narrowed = merged(refs[0], loose) if len(refs) == 1 and not cues.has("or") else None
    if narrowed is not None and not parts.numbers:
        return Meaning("count", (narrowed,))
    raise OutOfScope("I can count one kind of object at a time, for example 'How many red circles are there?'.")


def _asking(parts: Parts, cues: Cues) -> Meaning | None:
    """What colour / shape / size is something."""
    sizes = [v for a, v in parts.loose if a == "size"]
    attribute = cues.attribute or ("size" if len(sizes) == 2 and cues.has("or") else None)
    if attribute is None and cues.has("what", "which") and parts.loose and len(parts.refs) == 1 and parts.refs[0].shape is None:
        narrowed = merged(parts.refs[0], parts.loose)  # "which object is the smallest?": the small object's shape
        if narrowed is not None:
            return Meaning("query_shape", (narrowed,), "shape")
    if attribute is None and cues.has("what", "which") and not parts.loose:
        attribute = "shape"  # "what is the thing on the far left?"
    if attribute is None:
        return None
    if cues.directions and not parts.extremes:
        raise OutOfScope(
            "I can say how many objects are on one side of another, or whether one is left of another, "
            "but not name what is there (try 'How many objects are to the left of the green triangle?')."
        )
    if cues.variant:
        return Meaning("closest_farthest", _one_generic_target(parts), attribute, variant=cues.variant)
    if len(set(parts.extremes)) > 1:
        raise OutOfScope("I can pick out the leftmost, rightmost, topmost or bottommost object, one direction at a time.")
    if parts.extremes:
        if parts.refs and not parts.refs[0].generic:  # "the leftmost circle": answered when there is one circle
            return Meaning("extreme_of", tuple(parts.refs[:1]), attribute, direction=parts.extremes[0])
        return Meaning("extreme", (), attribute, direction=parts.extremes[0])
    if len(parts.refs) == 1:
        return Meaning(f"query_{attribute}", tuple(parts.refs), attribute)
    return None


def _count_relation(cues: Cues) -> str:
    """ "are there two circles?" is ==; "two or more", "at least two" >=; "more than one" >;
    "fewer than three" <; "at most two" <=."""
    if cues.has("or more", "at least"):
        return ">="
    if cues.has("or fewer", "or less", "at most"):
        return "<="
    if cues.has("more than", "greater than"):
        return ">"
    if cues.has("fewer than", "less than"):
        return "<"
    return "=="


def _checking(parts: Parts, cues: Cues) -> Meaning | None:
    """Yes/no about named objects: is there, is it red, are all of them small."""
    loose = [(a, v) for a, v in parts.loose]
    refs = list(parts.refs)
    if len(refs) == 2 and loose and cues.has("both"):  # "are the red circle and the blue square both large?"
        attribute, value = loose[0]
        return Meaning("both", tuple(refs), attribute, value=value)
    second = refs[1] if len(refs) == 2 else None
    if (
        second
        and not loose
        and second.shape
        and second.size is None
        and second.color is None
        and (second.article in ("a", "an") or (second.plural and second.article is None))
    ):
        loose.append(("shape", refs.pop().shape))  # "is the red thing a circle?", "are all the objects triangles?"
    if parts.numbers and len(refs) == 1 and not loose:
        return Meaning("count_is", tuple(refs), value=str(parts.numbers[0]), variant=_count_relation(cues))
    if loose and len(refs) == 1 and cues.has("there"):  # "is there a circle that is large?"
        attribute, value = loose[0]
        return Meaning("any", tuple(refs), attribute, value=value)
    if loose and (len(refs) == 1 or parts.extremes):
        attribute, value = loose[0]
        if parts.extremes:
            return Meaning("verify", (), attribute, direction=parts.extremes[0], value=value)
        if cues.has("all", "every", "each") or (refs[0].plural and not cues.has("any", "some")):
            return Meaning("all", tuple(refs), attribute, value=value)
        if cues.has("any", "some") or refs[0].plural:
            return Meaning("any", tuple(refs), attribute, value=value)
        return Meaning("verify", tuple(refs), attribute, value=value)
    if len(refs) == 1 and not loose:
        if parts.extremes:  # "is there a red thing on the left?": a part of the picture, not the leftmost
            raise OutOfScope(
                "I cannot look in one part of the picture yet; ask about the object furthest that way, "
                "for example 'What color is the leftmost object?'"
            )
        return Meaning("exist", tuple(refs))
    return None


def understand(parts: Parts) -> Meaning:
    cues = Cues.of(parts)
    stray = [t for t in cues.words if t in w.OUT_OF_SCOPE and not (t == "painted" and cues.attribute == "color")]
    if stray:
        raise OutOfScope(f"The shapes models cannot tell '{stray[0]}': {SCOPE_NOTE}")
    if parts.ref_unknown:
        raise OutOfScope(f"I do not know the word '{parts.ref_unknown[0]}', so I cannot tell which objects you mean.")
    if parts.unknown:
        raise OutOfScope(f"I do not know the word '{parts.unknown[0]}': {SCOPE_NOTE}")
    if cues.has("not", "no", "none", "neither") and not cues.text.startswith((" is not ", " are not ", " does not ", " do not ")):
        raise OutOfScope("I cannot read questions with 'not' or 'no' yet; ask it the other way round.")
    if not parts.refs and parts.loose and not parts.extremes:  # "how many are red?", "what shape is red?"
        base = Reference(plural=cues.counting, words="objects" if cues.counting else "object")
        ref = merged(base, parts.loose)
        if ref is None:
            raise OutOfScope(SCOPE_NOTE)
        parts.refs, parts.loose = [ref], []
    for step in (_counting, _comparison, _asking, _checking):
        meaning = step(parts, cues)
        if meaning is not None:
            return meaning
    raise OutOfScope(SCOPE_NOTE)


SECOND_TRIES = 2  # other words tried for each corrected slip when the first reading fails


def _reading(question: str, words: list[str], prefer: dict[str, str] | None = None) -> Reading:
    tokens, corrections = correct(words, prefer)
    tokens = join_phrases(tokens)
    reading = Reading(question, " ".join(tokens), corrections)
    reading.unknown_words = list(dict.fromkeys(t for t in tokens if t not in KNOWN and not t.isdigit()))
    try:
        reading.meaning = understand(cut(tokens))
    except OutOfScope as exc:
        reading.scope_note = str(exc)
    return reading


def read_question(question: str) -> Reading:
    """The question's reading. When the most likely correction of a slip leaves no
    meaning ("whay shape is it": "why"), the next likely words for that slip are tried
    ("what"); a word typed correctly is never replaced."""
    words = expand_shorthand(clean(question))
    reading = _reading(question, words)
    if reading.meaning is not None:
        return reading
    for slip in dict.fromkeys(c["from"] for c in reading.corrections):
        for other in candidates(slip)[1 : 1 + SECOND_TRIES]:
            second = _reading(question, words, {slip: other})
            if second.meaning is not None:
                return second
    return reading
