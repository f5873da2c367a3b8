"""Answers computed from a reading: each template on a known table, "the X" found
among the labels read (slips and colour names allowed), close calls marked as guesses."""

from __future__ import annotations

import numpy as np
import pytest

from app.worlds.charts.answer import compute, mentions
from app.worlds.charts.axis import Axis
from app.worlds.charts.measure import ReadElement
from app.worlds.charts.reading import ChartReading
from app.worlds.charts.words import read_chart_question


def bars(sizes: dict[str, float], kind: str = "vbar") -> ChartReading:
    """Bars of these heights in pixels over a 300-pixel axis (1 px is 1 unit)."""
    elements = []
    for i, (label, size) in enumerate(sizes.items()):
        elements.append(
            ReadElement(
                colour=(40 * i, 100, 200), label=label, size_px=size, value=size, box=(10 + 30 * i, 300 - size, 30 + 30 * i, 300)
            )
        )
    return ChartReading(kind, 0.99, elements, axis=Axis(-1.0, 300.0, []), baseline_px=300.0, plot_box=(0, 0, 400, 300))


def lines(series: dict[str, list[float]]) -> ChartReading:
    """Lines of these heights (pixels above a baseline at row 300), one point per 10 columns."""
    elements = []
    for label, heights in series.items():
        columns = np.arange(0, 10 * (len(heights) - 1) + 1, dtype=float)
        rows = 300.0 - np.interp(columns, columns[::10], heights)
        elements.append(ReadElement(colour=(200, 50, 50), label=label, columns=columns, rows=rows))
    return ChartReading(
        "line",
        0.99,
        elements,
        baseline_px=300.0,
        plot_box=(0, 0, 100, 300),
        points=np.arange(0, 10 * (len(heights) - 1) + 1, 10.0),
    )


def ask(reading: ChartReading, text: str):
    question = read_chart_question(text)
    return compute(question.intent, reading, mentions(question.tokens, reading.elements))


CHART = bars({"Apples": 50, "Pears": 120, "Plums": 200, "Cherries": 90, "Dark Orchid": 160})


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Is Apples the minimum?", "yes"),
        ("Is Plums the minimum?", "no"),
        ("Is Plums the maximum?", "yes"),
        ("Is Apples less than Pears?", "yes"),
        ("Is Pears greater than Plums?", "no"),
        ("Is Pears the low median?", "yes"),
        ("Is Pears the high median?", "yes"),
        ("Is Cherries the low median?", "no"),
        ("is dark orchid bigger than pears", "yes"),
        ("Which is the smallest?", "Apples"),
        ("which one is the biggest?", "Plums"),
        ("What is the value of Cherries?", "90"),
        ("is Aples the smallest?", "yes"),
    ],
)
def test_bar_questions(question, answer):
    result = ask(CHART, question)
    assert result.answer == answer and not result.close


def test_a_label_not_read_is_said_not_guessed():
    result = ask(CHART, "Is Bananas the maximum?")
    assert result.answer is None and "Apples" in result.note


def test_a_close_call_is_a_guess():
    result = ask(bars({"Apples": 100, "Pears": 101}), "Is Apples less than Pears?")
    assert result.answer == "yes" and result.close


def test_values_need_the_axis():
    chart = bars({"Apples": 50, "Pears": 120})
    chart.axis = None
    for e in chart.elements:
        e.value = None
    assert ask(chart, "What is the value of Apples?").answer is None
    assert ask(chart, "Is Apples less than Pears?").answer == "yes"


LINES = lines({"Anna": [10, 50, 20, 60, 30], "Ben": [40, 40, 40, 40, 40], "Clara": [100, 110, 120, 130, 140]})


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Does Anna intersect Ben?", "yes"),
        ("Does Ben intersect Clara?", "no"),
        ("Is Ben less than Clara?", "yes"),
        ("is clara always above anna?", "yes"),
        ("Is Anna the roughest?", "yes"),
        ("Is Ben the smoothest?", "yes"),
        ("Does Clara have the maximum area under the curve?", "yes"),
        ("Does Anna have the lowest value?", "yes"),
        ("Does Ben have the highest value?", "no"),
        ("Is Clara the maximum?", "yes"),
        ("Which line reaches the highest value?", "Clara"),
    ],
)
def test_line_questions(question, answer):
    assert ask(LINES, question).answer == answer


def test_a_lines_value_is_not_one_number():
    result = ask(LINES, "What is the value of Anna?")
    assert result.answer is None and result.note
