"""The reading: bars, slices and lines measured in the regions the model finds, the
value axis fitted through the tick numbers, labels tied to their elements."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app import ocr
from app.worlds.charts.axis import fit_axis
from app.worlds.charts.colours import assign, coloured, find_colours
from app.worlds.charts.measure import point_columns
from app.worlds.charts.reading import read_picture
from tests.worlds.charts.conftest import perfect_output

needs_ocr = pytest.mark.skipif(
    not ocr.available() and not os.environ.get("VQADEMO_REQUIRE_OCR"),
    reason="Tesseract is not installed (apt-get install tesseract-ocr); CI sets VQADEMO_REQUIRE_OCR",
)


def test_the_axis_fit_leaves_a_misread_tick_out():
    ticks = [(300.0, [0.0]), (250.0, [10.0]), (200.0, [20.0]), (150.0, [510.0]), (100.0, [40.0])]  # "30" read as "510"
    axis = fit_axis(ticks)
    assert axis is not None and len(axis.ticks) == 4
    assert axis.value(150.0) == pytest.approx(30.0, abs=0.01)


def test_one_number_is_no_axis():
    assert fit_axis([(5.0, [10.0])]) is None


def test_a_tick_mark_read_as_a_digit_is_dropped():
    axis = fit_axis([(100.0, [1754.0, 175.0, 754.0]), (200.0, [150.0]), (300.0, [1254.0, 125.0, 254.0]), (400.0, [100.0])])
    assert axis is not None and axis.value(250.0) == pytest.approx(137.5, abs=0.1)


def test_colours_are_found_without_their_anti_aliased_edges():
    # Drawn at four times the size and shrunk: edges blend over one pixel, as a renderer's anti-aliasing does.
    image = Image.new("RGB", (800, 480), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([81, 121, 241, 441], fill=(220, 20, 60))
    draw.rectangle([401, 241, 561, 441], fill=(70, 130, 180))
    pixels = np.asarray(image.resize((200, 120), Image.Resampling.BOX)).astype(np.float32)
    where = coloured(pixels)
    colours = find_colours(pixels, where)
    assert len(colours) == 2
    owner = assign(pixels, colours, where)
    assert (owner == 0).sum() >= 38 * 78 and (owner == 1).sum() >= 38 * 48


def test_points_are_found_where_the_lines_bend():
    xs = np.arange(100, 401, dtype=float)
    corners = np.linspace(100, 400, 7)
    heights = np.array([50, 120, 80, 160, 60, 140, 90], dtype=float)
    ys = np.interp(xs, corners, heights)
    found = point_columns([(xs, ys), (xs, ys[::-1])], [np.full(len(xs), 2.0)] * 2)
    assert found is not None and len(found) == 7


def test_a_line_outside_the_others_span_is_left_out_of_the_points():
    xs = np.arange(100, 401, dtype=float)
    ys = np.interp(xs, np.linspace(100, 400, 7), [50, 120, 80, 160, 60, 140, 90])
    stray = np.arange(10, 60, dtype=float)  # wholly left of the others (an untrained reader let it in)
    lines = [(xs, ys), (xs, ys[::-1]), (stray, np.full(len(stray), 30.0))]
    found = point_columns(lines, [np.full(len(x), 2.0) for x, _ in lines])
    assert found is not None and len(found) == 7


@needs_ocr
def test_charts_are_read_into_their_tables(rendered):
    checked = 0
    for image, record in rendered:
        table = record["table"]
        reading = read_picture(image, perfect_output(image, record))
        assert reading.kind == table["kind"]
        assert (
            len(table["elements"]) - 1 <= len(reading.elements) <= len(table["elements"])
        )  # two colours closer than PEAK_DISTANCE are one
        truth = {e["label"]: e for e in table["elements"]}
        read = {e.label: e for e in reading.elements if e.label in truth}
        assert len(read) >= len(truth) - 1, (table["kind"], list(truth), [e.label for e in reading.elements])
        for label, element in read.items():
            if table["kind"] in ("line", "dotline"):
                if reading.axis is not None:
                    highest = reading.axis.value(float(np.min(element.rows)))
                    assert highest == pytest.approx(max(truth[label]["ys"]), abs=0.03 * table["axis_max"])
            elif element.value is not None:
                tolerance = 2.0 if table["kind"] == "pie" else 0.03 * table["axis_max"]
                assert element.value == pytest.approx(truth[label]["value"], abs=tolerance)
        checked += 1
    assert checked == len(rendered)
