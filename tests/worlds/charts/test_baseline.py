"""The baseline's question: the meaning the reader understood, in FigureQA's own words."""

from __future__ import annotations

from app.worlds.charts.baseline import baseline_question, template_of
from app.worlds.charts.preprocessing import TEMPLATES


def test_a_meaning_is_put_back_into_figureqas_words():
    assert baseline_question("minimum", ("Planes",), "vbar") == "Is Planes the minimum?"
    assert baseline_question("less", ("Paris", "Planes"), "pie") == "Is Paris less than Planes?"
    assert baseline_question("intersect", ("red", "blue"), "line") == "Does red intersect blue?"


def test_on_lines_the_bar_words_become_the_line_templates():
    assert baseline_question("maximum", ("Anna",), "line") == TEMPLATES["highest_value"].format(x="Anna")
    assert baseline_question("greater", ("Anna", "Ben"), "dotline") == TEMPLATES["line_greater"].format(x="Anna", y="Ben")


def test_what_no_template_says_is_not_asked():
    assert baseline_question(None, (), "vbar") is None
    assert baseline_question("which_min", ("Planes",), "vbar") is None
    assert baseline_question("value", ("Planes",), "vbar") is None
    assert baseline_question("median", ("Planes",), "vbar") is None
    assert baseline_question("less", ("Paris",), "vbar") is None  # one of the two labels was not found


def test_a_template_is_known_without_its_labels():
    assert template_of("maximum", "line") == TEMPLATES["highest_value"]
    assert template_of("which_min", "vbar") is None and template_of(None, "pie") is None
