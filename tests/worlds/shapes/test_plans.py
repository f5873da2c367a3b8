"""Plans: which template questions a meaning needs, and how their answers combine.

The model is replaced by the spec's own checker (a model that is always right), so
each test says what the plans conclude from right answers to their questions."""

import json

import numpy as np
import pytest

from app.config import ROOT
from app.worlds.shapes import plans
from app.worlds.shapes.reading import read_question
from training.datasets.shapes.check import derive_answer
from training.datasets.shapes.language import ANSWERS

SAMPLES = {s["id"]: s["scene"] for s in json.loads((ROOT / "static/samples/samples.json").read_text())["samples"]}


def truthful(scene: dict, questions: list[str]) -> plans.Asked:
    rows = {}
    for q in questions:
        right, problems = derive_answer(scene, q)
        row = np.full(len(ANSWERS), 0.001)
        row[ANSWERS.index(right) if right and not problems else 0] = 1 - 0.001 * (len(ANSWERS) - 1)
        rows[q] = row
    return plans.Asked(list(ANSWERS), rows)


def answer(scene_id: str, question: str) -> plans.Outcome:
    meaning = read_question(question).meaning
    questions = plans.model_questions(meaning)
    return plans.conclude(meaning, truthful(SAMPLES[scene_id], questions), top_k=5)


# scene_00: large purple circle, small green square, small blue square, large gray
# triangle, small blue circle.
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Is the gray triangle big?", "yes"),
        ("Is the gray triangle small?", "no"),
        ("Are all the squares small?", "yes"),
        ("Are all the circles small?", "no"),
        ("Are any of the circles purple?", "yes"),
        ("How many different colors are there?", "4"),
        ("How many different shapes are there?", "3"),
        ("Which is bigger, the purple circle or the blue square?", "the purple circle"),
        ("Is the blue square bigger than the gray triangle?", "no"),
        ("Are the blue square and the blue circle different colours?", "no"),
        ("Are there two circles?", "yes"),
        ("Are the squares the same size?", "yes"),
        ("Are there more squares or triangles?", "squares"),
        ("What color is the purple ball?", "purple"),
        ("How many circles and squares are there?", "4"),
        ("Is the blue circle to the left or right of the purple circle?", "left"),
        ("Are the purple circle and the gray triangle both large?", "yes"),
        ("How many of the squares are blue?", "1"),
        ("Is there more than one circle?", "yes"),
        ("Is the blue square bigger or smaller than the gray triangle?", "smaller"),
        ("Is the purple circle bigger or smaller than the gray triangle?", "the same size"),
        ("Are there at least three squares?", "no"),
        ("Does the image have two or more circles?", "yes"),
        ("Are there fewer than three triangles?", "yes"),
        ("Is there anything to the right of the purple ball?", "no"),
        ("are there any things to the right of the green square", "yes"),
    ],
)
def test_composed_kinds_follow_from_right_answers(question, expected):
    assert answer("scene_00", question).answer == expected


@pytest.mark.parametrize(
    "question",
    [
        "What color is the large square?",
        "Is the yellow circle left of the gray triangle?",
        "how big is the orange ball?",
        "Are all the cyan things small?",
    ],
)
def test_a_reference_that_names_nothing_is_answered_none(question):
    outcome = answer("scene_00", question)
    assert outcome.answer == "none" and "no " in outcome.note


def test_several_matches_are_reported_not_picked_silently():
    outcome = answer("scene_00", "What color is the circle?")
    assert outcome.ambiguous == [{"reference": "circle", "matches": 2}] and "2 circles" in outcome.note


def test_questions_about_foreign_things_need_no_model():
    meaning = read_question("How many stars are there?").meaning
    assert plans.model_questions(meaning) == []
    assert plans.conclude(meaning, plans.Asked(list(ANSWERS), {}), 5).answer == "0"


def test_a_family_question_is_asked_in_its_template_wording_after_the_count_check():
    meaning = read_question("whats the shape of the little blue thing").meaning
    assert plans.model_questions(meaning) == ["How many small blue objects are there?", "What shape is the small blue object?"]
    named = read_question("whats the colour of the little blue ball").meaning
    assert plans.model_questions(named) == ["How many small blue circles are there?"]  # the colour is in the question


def test_the_leftmost_of_several_is_the_leftmost_object_when_that_object_matches():
    # scene_02: the brown circle (y 0.22) is the topmost object; there are two circles.
    assert answer("scene_02", "Which colour does the round thing at the top have?").answer == "brown"
    # scene_00: two circles, and the leftmost object is a square: say so, do not pick one.
    outcome = answer("scene_00", "What colour is the circle on the far left?")
    assert outcome.ambiguous == [{"reference": "circle", "matches": 2}] and "not a circle" in outcome.note


def test_which_object_is_the_smallest_is_the_small_object_s_shape():
    # scene_18: a small brown triangle and two large triangles
    assert answer("scene_18", "Which object is the smallest?").answer == "triangle"
