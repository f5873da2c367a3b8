"""From a question's meaning to an answer: which template questions the model is
asked, and how their answers combine.

The model was trained on the spec's 11 families in their template wording; people ask
more. Every meaning is answered from template questions, asked together in one batch:
- a family the model knows is asked in its canonical wording;
- before answering about "the" object, the model counts the objects the reference
  names: none gives the answer `none` (a false premise), several give an `ambiguous`
  note instead of an arbitrary pick;
- other kinds are composed from the families (`app.worlds.shapes.composed`).
"""

from __future__ import annotations

from app.worlds.shapes import preprocessing as task
from app.worlds.shapes.composed import COMPOSED, composed_questions
from app.worlds.shapes.meaning import Meaning, Reference
from app.worlds.shapes.templates import (
    NEEDS_ONE_OBJECT,
    NONE,
    Asked,
    Outcome,
    count_question,
    family_question,
    nothing_named,
    single,
    yes_no,
)

__all__ = ["Asked", "Outcome", "conclude", "model_questions", "needs_one"]

# Kinds whose references must each name exactly one object.
SINGULAR_KINDS = {
    *NEEDS_ONE_OBJECT,
    "verify",
    "which_size",
    "which_position",
    "bigger",
    "size_relation",
    "side_of",
    "both",
    "anything_beside",
}


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
        questions += composed_questions(meaning)
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
            return nothing_named(ref, p)
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


def _family_answer(meaning: Meaning, asked: Asked, top_k: int) -> Outcome:
    """The model's answers to the family question, given that the objects it names are
    there (the plan counted them): `none` left out and the rest renormalised. A model that
    knows `none` may still say it: then its two readings disagree, and the best other
    answer is given as a guess, with a note."""
    question = family_question(meaning)
    doubted = asked.said_none(question)
    answers = [a for a in task.top_answers(asked.present(question), asked.labels, top_k + 1) if a["answer"] != NONE][:top_k]
    note = "The model is not sure that object is in the picture; this is a guess." if doubted else None
    return Outcome(answers[0]["answer"], answers[0]["probability"], answers, note=note, guess=doubted)


def conclude(meaning: Meaning, asked: Asked, top_k: int) -> Outcome:
    premise = _premises(meaning, asked)
    if premise is not None and not premise.ambiguous:
        return premise
    if meaning.kind in COMPOSED:
        outcome = COMPOSED[meaning.kind](meaning, asked)
    elif meaning.kind.startswith("query_") and meaning.refs[0].names(meaning.attribute or ""):
        outcome = single(meaning.refs[0].names(meaning.attribute or "") or "", 1.0)  # "what colour is the red circle?"
    else:
        outcome = _family_answer(meaning, asked, top_k)
    if premise is not None:
        outcome.ambiguous, outcome.note = premise.ambiguous, premise.note or outcome.note
    outcome.answers = outcome.answers[:top_k]
    return outcome
