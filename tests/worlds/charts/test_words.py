"""The charts reader of questions: FigureQA's templates, people's words, slips, scope."""

from __future__ import annotations

import pytest

from app.worlds.charts.words import read_chart_question
from training.datasets.charts.questions import TEMPLATES

# The generator's templates, by the meaning each is read as (bars' words on lines are
# mapped at answer time: "less" is "line_less" on a line chart).
READ_AS = {
    **{t: t for t in TEMPLATES},
    "lowest_value": "minimum",
    "highest_value": "maximum",
    "line_less": "less",
    "line_greater": "greater",
}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_figureqa_template_is_read(template):
    question = read_chart_question(TEMPLATES[template].format(x="Dark Orchid", y="Plums"))
    assert question.intent == READ_AS[template]
    assert question.in_scope and question.scope_note is None


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("is Apples the biggest one", "maximum"),
        ("is red always above blue?", "greater"),
        ("do the Anna and Ben lines cross?", "intersect"),
        ("Which is the smallest?", "which_min"),
        ("Which line reaches the highest value?", "which_max"),
        ("which one is the bumpiest?", "which_roughest"),
        ("What is the value of Plums?", "value"),
        ("What percentage is Berlin?", "value"),
        ("how much is Berlin", "value"),
        ("is Tan the lowest?", "minimum"),
        ("is X the median?", "median"),
    ],
)
def test_peoples_wording_is_read(question, intent):
    assert read_chart_question(question).intent == intent


def test_slips_in_the_question_words_are_corrected_but_never_a_label():
    question = read_chart_question("is Apples the maximun")
    assert question.intent == "maximum"
    assert {"from": "maximun", "to": "maximum"} in question.corrections
    assert "apples" in question.tokens  # labels are looked for in the words as typed
    assert read_chart_question("Does tan have the lowest value?").corrections == []  # "tan" is not "than"


@pytest.mark.parametrize("question", ["will sales grow next year?", "why is red the largest?", "what is the title?", "hello"])
def test_what_a_table_cannot_say_is_out_of_scope_in_a_sentence(question):
    read = read_chart_question(question)
    assert not read.in_scope and read.scope_note and read.scope_note.endswith(".")
