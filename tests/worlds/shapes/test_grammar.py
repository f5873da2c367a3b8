"""Reading questions into programs: CLEVR's deep forms, people's slips, and what it leaves."""

import time

import pytest

from app.worlds.shapes import programs
from app.worlds.shapes.grammar import parse
from app.worlds.shapes.program_words import describe
from tests.worlds.shapes.scene_objects import Obj

# A scene drawn on paper: no two objects closer than 10 % on either axis, so no relation
# falls inside the spec's 8 % margin.
SCENE = [
    Obj("square", "blue", "large", 0.10, 0.15),
    Obj("circle", "red", "small", 0.30, 0.55),
    Obj("triangle", "yellow", "small", 0.50, 0.30),
    Obj("circle", "green", "small", 0.70, 0.85),
    Obj("triangle", "brown", "large", 0.90, 0.65),
    Obj("square", "red", "small", 0.20, 0.40),
]


def answer(question: str) -> str | None:
    program, _, _ = parse(question)
    assert program is not None, f"not read: {question}"
    return programs.run(program, SCENE).answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # a relation, then a query or a count
        ("What shape is the red thing right of the small red square?", "circle"),
        ("How many small things are left of the big brown triangle?", "4"),
        ("what colour is the circle to the left of the yellow triangle that is above the brown triangle", "red"),
        # two relations joined
        ("How many things are right of the blue square and above the green circle?", "4"),
        ("How many things are left of the red square or above the brown triangle?", "4"),
        # logic over counts
        ("How many green or yellow things are there?", "2"),
        ("How many things are not red?", "4"),
        ("How many shapes are not circles?", "4"),
        ("how many non red things are there", "4"),
        # the same attribute
        ("How many other things have the same size as the red circle?", "3"),
        ("What color is the other thing that has the same shape as the green object?", "red"),
        ("Are there any other things that are the same colour as the small square?", "yes"),
        # chains
        ("What shape is the thing below the thing that is right of the green circle?", "circle"),
        ("What size is the triangle that is below the square that is right of the blue square?", "large"),
        # exist with a relation, and one-step forms the grammar reads too
        ("Is there a big thing to the right of the tiny red circle?", "yes"),
        ("Is the red circle left of the yellow triangle?", "yes"),
        ("Is the big square the same color as the red circle?", "no"),
        ("Are there more circles than triangles?", "no"),
        ("what is the size of the leftmost triangle", "small"),
        ("What shape is the object closest to the blue square?", "square"),
        ("Is the small square red?", "yes"),
        # CLEVR's other wordings
        ("There is a small yellow triangle; how many things are left of it?", "3"),
        ("There is a thing that is right of the green circle; what is its size?", "large"),
        ("The large thing right of the yellow triangle is what colour?", "brown"),
        ("The thing right of the green circle has what shape?", "triangle"),
        ("Is the colour of the small square the same as the red circle?", "yes"),
        ("Are there an equal number of circles and squares?", "yes"),
        ("Is there anything else that has the same size as the blue square?", "yes"),
        ("How many objects are either green or brown?", "2"),
        ("How many triangles are there that are right of the red circle?", "2"),
        ("Is there a purple circle or a green circle?", "yes"),
        # counts compared with a number, all, any, and "but not"
        ("Are there two things left of the yellow triangle?", "no"),
        ("Are there at least two small things below the blue square?", "yes"),
        ("Are all the circles left of the brown triangle?", "yes"),
        ("Are all the red things small?", "yes"),
        ("Are all the squares above the green circle?", "yes"),
        ("Are all the small things left of the yellow triangle?", "no"),
        ("Is any circle right of the big square?", "yes"),
        ("How many things are right of the blue square but not red?", "3"),
    ],
)
def test_deep_questions_become_programs_that_answer_them(question, expected):
    assert answer(question) == expected


def test_slips_are_corrected_as_in_one_step_questions():
    program, words, corrections = parse("How many thigns are lefft of the brwon triangle?")
    assert program is not None and programs.run(program, SCENE).answer == "5"
    assert {c["from"] for c in corrections} == {"thigns", "lefft", "brwon"}
    assert "but" in parse("how many things are left of the yellow triangle but not red")[1]  # not "bot"


def test_the_program_reads_as_steps():
    program, _, _ = parse("How many green or yellow things are there?")
    assert describe(program) == [
        "1. all objects",
        "2. those of [1] that are green",
        "3. those of [1] that are yellow",
        "4. [2] or [3]",
        "5. how many are in [4]",
    ]
    assert programs.family(program) == "deep"
    assert programs.family(parse("how many red circles are there")[0]) == "count"


@pytest.mark.parametrize(
    "question",
    ["Why is the circle red?", "How many cats are left of the square?", "what is the area of the red circle", ""],
)
def test_what_it_cannot_read_it_leaves(question):
    assert parse(question)[0] is None


def test_a_long_question_gives_up_quickly():
    question = " or ".join(["how many red things left of the blue square and above the green circle"] * 12)
    start = time.perf_counter()
    parse(question)
    assert time.perf_counter() - start < 2.0
