"""The charts generator: tables that keep the contract, pictures whose boxes hold the
elements drawn, and questions whose answers hold with their margins."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from training.datasets.charts import questions as q
from training.datasets.charts.files import charts
from training.datasets.charts.render import render, sample_style
from training.datasets.charts.tables import (
    BAR_KINDS,
    COLOUR_SETS,
    KINDS,
    LINE_KINDS,
    ChartTable,
    Element,
    half_for,
    sample_table,
)


@pytest.mark.parametrize("kind", KINDS)
def test_tables_keep_the_contract(kind):
    rng = np.random.default_rng(1)
    for _ in range(50):
        table = sample_table(rng, kind)
        labels = [e.label for e in table.elements]
        assert len(set(labels)) == len(labels)
        if kind in LINE_KINDS:
            assert 2 <= len(labels) <= 7 and 5 <= len(table.xs) <= 20
            assert all(len(e.ys) == len(table.xs) and 0 < min(e.ys) and max(e.ys) < table.axis_max for e in table.elements)
        else:
            assert 2 <= len(labels) <= 10
            values = [e.value for e in table.elements]
            assert all(v is not None and 0 < v <= table.axis_max for v in values)
            if kind == "pie":
                assert sum(values) == pytest.approx(100, abs=0.01)


def test_the_alternated_split_swaps_the_colour_halves():
    assert {half_for(k, "train") for k in KINDS} == {"A", "B"}
    for kind in KINDS:
        assert half_for(kind, "alternated") != half_for(kind, "train")
    rng = np.random.default_rng(2)
    for kind in KINDS:
        for split in ("train", "alternated"):
            for _ in range(20):
                table = sample_table(rng, kind, split)
                names = {e.label for e in table.elements} & set(COLOUR_SETS["A"] + COLOUR_SETS["B"])
                assert names <= set(COLOUR_SETS[half_for(kind, split)])


@pytest.mark.parametrize("kind", KINDS)
def test_each_elements_box_holds_its_colour(kind):
    rng = np.random.default_rng(3)
    for _ in range(4):
        table = sample_table(rng, kind)
        style = sample_style(rng)
        style.jpeg_quality = None  # exact colours
        image, layout = render(table, style)
        assert layout["size"] == list(image.size) and 300 <= image.size[0] <= 1000
        pixels = np.asarray(image).astype(int)
        for element, box in zip(table.elements, layout["boxes"]):
            x1, y1, x2, y2 = (int(round(v)) for v in box)
            assert 0 <= x1 < x2 <= image.size[0] and 0 <= y1 <= y2 <= image.size[1]
            if kind in LINE_KINDS:
                continue
            colour = np.array([int(element.colour[i : i + 2], 16) for i in (1, 3, 5)])
            inside = pixels[y1 : y2 + 1, x1 : x2 + 1].reshape(-1, 3)
            assert (np.abs(inside - colour).max(axis=1) <= 8).any(), element.label
        if kind in LINE_KINDS:
            for element, points in zip(table.elements, layout["points"]):
                assert len(points) == len(table.xs)
                higher = [p[1] for p in points]  # pixels grow downwards: a larger value is a smaller y
                assert np.argmin(higher) == np.argmax(element.ys)


def bars(values: dict[str, float], kind: str = "vbar", top: float = 100.0) -> ChartTable:
    return ChartTable(kind, [Element(k, "#000000", value=v) for k, v in values.items()], top)


def answers(questions: list[q.ChartQuestion]) -> dict[tuple[str, str], tuple[str, ...]]:
    return {(x.template, x.answer): x.labels for x in questions}


def test_bar_templates_follow_figureqas_definitions():
    rng = np.random.default_rng(0)
    table = bars({"A": 10, "B": 30, "C": 50, "D": 70, "E": 90})
    got = answers(q.bar_questions(table, rng))
    assert got[("minimum", "yes")] == ("A",) and got[("maximum", "yes")] == ("E",)
    assert got[("low_median", "yes")] == ("C",) and got[("high_median", "yes")] == ("C",)
    x, y = got[("less", "yes")]
    assert table.elements[ord(x) - 65].value < table.elements[ord(y) - 65].value
    even = answers(q.bar_questions(bars({"A": 10, "B": 30, "C": 50, "D": 70}), rng))
    assert even[("low_median", "yes")] == ("B",) and even[("high_median", "yes")] == ("C",)


def test_nothing_too_close_to_see_is_asked():
    rng = np.random.default_rng(0)
    close = bars({"A": 50.0, "B": 51.0, "C": 90.0})  # A and B differ by 1 % of the axis
    for question in q.bar_questions(close, rng):
        assert set(question.labels) != {"A", "B"} or question.template not in ("less", "greater")
        assert not (question.template == "minimum" and question.answer == "yes")
    pie = bars({"A": 40.0, "B": 41.5, "C": 18.5}, kind="pie")
    assert all(not (x.template == "maximum" and x.answer == "yes") for x in q.bar_questions(pie, rng))


def lines(series: dict[str, list[float]]) -> ChartTable:
    xs = [float(i) for i in range(len(next(iter(series.values()))))]
    return ChartTable("line", [Element(k, "#000000", ys=v) for k, v in series.items()], 100.0, xs=xs)


def test_line_templates_follow_figureqas_definitions():
    table = lines({"low": [10, 12, 14, 16, 18], "high": [60, 40, 70, 40, 60], "mid": [20, 50, 30, 60, 25]})
    assert q.area(np.array([0.0, 2.0]), np.array([1.0, 3.0])) == pytest.approx(4.0)
    assert q.roughness(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 0.0])) == pytest.approx(2.0)
    seen: dict = {}
    for seed in range(40):
        seen.update(answers(q.line_questions(table, np.random.default_rng(seed))))
    assert seen[("min_area", "yes")] == ("low",) and seen[("max_area", "yes")] == ("high",)
    assert seen[("smoothest", "yes")] == ("low",)
    assert seen[("lowest_value", "yes")] == ("low",) and seen[("highest_value", "yes")] == ("high",)
    assert seen[("line_less", "yes")] == ("low", "high")
    assert set(seen[("intersect", "yes")]) == {"high", "mid"} and "low" in seen[("intersect", "no")]


def test_answers_are_balanced_per_template_and_every_template_is_asked():
    counts: Counter = Counter()
    for _, record in charts(np.random.default_rng(5), 60):
        counts.update((x["template"], x["answer"]) for x in record["questions"] if x["answer"] in ("yes", "no"))
    for template in q.TEMPLATES:
        assert counts[(template, "yes")] == counts[(template, "no")] > 0, template


def test_open_questions_answer_with_a_label_or_the_value():
    table = bars({"Apples": 20.0, "Pears": 80.0}, kind="hbar")
    assert table.kind in BAR_KINDS
    found = {x.text: x.answer for x in q.open_questions(table)}
    assert found["Which is the largest?"] == "Pears" and found["What is the value of Apples?"] == "20"
