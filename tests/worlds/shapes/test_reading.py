"""The question reader: people's words read as the template language's, and each kind
of question given its meaning or put out of scope."""

import pytest

from app.worlds.shapes.reading import read_question


def meaning(question):
    reading = read_question(question)
    assert reading.meaning is not None, reading.scope_note
    m = reading.meaning
    return m.kind, [r.phrase() for r in m.refs], m.attribute, m.direction, m.variant, m.value


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how many balls can you see", ("count", ["circles"], None, None, None, None)),
        ("the thing on the far left is what shape?", ("extreme", [], "shape", "left", None, None)),
        ("can you find a red box in the picture?", ("exist", ["red square"], None, None, None, None)),
        ("any green dots here?", ("exist", ["green circles"], None, None, None, None)),
        ("tell me the colour of the little square", ("query_color", ["small square"], "color", None, None, None)),
        ("whats the shape of the huge grey item", ("query_shape", ["large gray object"], "shape", None, None, None)),
        ("Is the trianlge big or smmall?", ("query_size", ["triangle"], "size", None, None, None)),
        (
            "Is the red ball on top of the blue block?",
            ("relate_position", ["red circle", "blue square"], None, "above", None, None),
        ),
        ("is the cube underneath the pyramid", ("relate_position", ["square", "triangle"], None, "below", None, None)),
        (
            "What colour is the shape next to the small circle?",
            ("closest_farthest", ["small circle"], "color", None, "closest", None),
        ),
        (
            "what size is the thing furthest from the cyan ball",
            ("closest_farthest", ["cyan circle"], "size", None, "farthest", None),
        ),
        ("what colour is the thing highest up", ("extreme", [], "color", "above", None, None)),
        (
            "How many objects are to the right of the big yellow square?",
            ("relate_count", ["large yellow square"], None, "right", None, None),
        ),
        ("Are there as many circles as triangles?", ("compare_count", ["circles", "triangles"], None, None, "same", None)),
        (
            "are there fewer red things than blue things",
            ("compare_count", ["red objects", "blue objects"], None, None, "fewer", None),
        ),
        (
            "Do the red circle and the blue square have the same shape?",
            ("compare_attribute", ["red circle", "blue square"], "shape", None, None, None),
        ),
        ("Is the small square brown?", ("verify", ["small square"], "color", None, None, "brown")),
        ("Is the red thing a circle?", ("verify", ["red object"], "shape", None, None, "circle")),
        ("Are all the circles small?", ("all", ["circles"], "size", None, None, "small")),
        ("Are any of the squares cyan?", ("any", ["squares"], "color", None, None, "cyan")),
        ("How many different colors are there?", ("distinct", [], "color", None, None, None)),
        ("how many colours are there", ("distinct", [], "color", None, None, None)),
        ("how many colours do the big things have", ("distinct", ["large objects"], "color", None, None, None)),
        ("how many shapes are there", ("count", ["objects"], None, None, None, None)),
        (
            "Which is bigger, the red circle or the blue square?",
            ("which_size", ["red circle", "blue square"], "size", None, None, "large"),
        ),
        ("Are there two circles?", ("count_is", ["circles"], None, None, "==", "2")),
        ("Is there more than one circle?", ("count_is", ["circle"], None, None, ">", "1")),
        ("Does the image have two or more circles?", ("count_is", ["circles"], None, None, ">=", "2")),
        ("Are the triangles the same size?", ("all_same", ["triangles"], "size", None, None, None)),
        ("How many of the circles are red?", ("count", ["red circles"], None, None, None, None)),
        ("How many are red?", ("count", ["red objects"], None, None, None, None)),
        ("How many circles and squares are there?", ("count_sum", ["circles", "squares"], None, None, None, None)),
        (
            "Is the red circle to the left or right of the blue square?",
            ("side_of", ["red circle", "blue square"], None, "left", None, "right"),
        ),
        (
            "Are the red circle and the blue square both large?",
            ("both", ["red circle", "blue square"], "size", None, None, "large"),
        ),
        (
            "Is the red circle as big as the blue square?",
            ("compare_attribute", ["red circle", "blue square"], "size", None, None, None),
        ),
        ("Do circles outnumber squares?", ("compare_count", ["circles", "squares"], None, None, "more", None)),
        ("Are there more squares or triangles?", ("which_count", ["squares", "triangles"], None, None, "more", None)),
        ("What colour is the square on the left side?", ("extreme_of", ["square"], "color", "left", None, None)),
    ],
)
def test_people_s_words_get_their_meaning(question, expected):
    assert meaning(question) == expected


def test_words_for_things_the_world_never_has_name_nothing():
    ref = read_question("What colour is the orange star?").meaning.refs[0]
    assert ref.foreign and ref.words == "orange star"


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("Why is the circle red?", "why"),
        ("Is this a nice picture?", "nice"),
        ("Is there a zebra?", "zebra"),
        ("Is there a shiny red circle?", "shiny"),
        ("What is left of the green triangle?", "how many objects"),
        ("how many red or blue objects are there", "one kind of object"),
        ("Is the circle not red?", "not"),
        ("is there a red thing on the left", "one part of the picture"),
        ("How many sides does the triangle have?", "sides"),  # not "sizes"
        ("What is the area of the square?", "area"),
        ("What number is on the ball?", "written"),
        ("", "circles, squares and triangles"),
    ],
)
def test_what_it_cannot_answer_is_out_of_scope_with_a_reason(question, said):
    reading = read_question(question)
    assert reading.meaning is None and said in reading.scope_note


def test_invisible_and_wide_characters_are_ignored():
    assert meaning("How\u200b many ＣＩＲＣＬＥＳ are there\u202e?")[0] == "count"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What size is the circle that is red?", ("query_size", ["red circle"], "size", None, None, None)),
        ("Is the circle that is red big?", ("verify", ["red circle"], "size", None, None, "large")),
        ("what colour is the square that is small", ("query_color", ["small square"], "color", None, None, None)),
    ],
)
def test_a_relative_clause_narrows_its_reference(question, expected):
    assert meaning(question) == expected
