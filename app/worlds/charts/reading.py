"""Charts, the reading: from the reader model's regions to a table of elements.

The model (`chart_reader`) says the chart's kind and, on a 64 x 64 grid, where the
elements, the legend and the text are. The measuring is geometry on the full-size
picture, inside those regions: the element colours and whose each pixel is
(`colours`), bars, slices and lines (`measure`), the value axis from the tick labels
(`axis`), and here the labels: the words in the "labels" region under, beside or around
each element, or the words beside each colour's swatch in the legend. Every measure
keeps pixels as well as axis units, so a comparison never needs the axis (only values
do).
"""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from app.worlds.charts.axis import Axis, axis_from_words
from app.worlds.charts.colours import assign, assign_lines, coloured, find_colours, find_line_colours, legend_entries
from app.worlds.charts.labels import name_colours
from app.worlds.charts.measure import (
    ReadElement,
    bar_lengths,
    measure_bars,
    measure_line,
    measure_slices,
    point_columns,
    slice_angles,
)
from app.worlds.charts.preprocessing import KINDS, REGION, REGIONS, grid_to_pixels
from app.worlds.charts.text import ChartWord, chart_words, enlarged_words, slanted_words


@dataclass
class ChartReading:
    kind: str
    kind_probability: float
    elements: list[ReadElement]
    axis: Axis | None = None
    x_axis: Axis | None = None  # lines: the x values under the columns
    points: np.ndarray | None = None  # lines: the columns of the data points, when found
    baseline_px: float | None = None  # bars and lines: the pixel of the value axis's zero side
    plot_box: tuple[float, float, float, float] = (0, 0, 0, 0)
    notes: list[str] = field(default_factory=list)
    legend_incomplete: bool = False  # lines: a line colour with no legend entry read


# -- words ---------------------------------------------------------------------------------


def words_in(words: list[ChartWord], regions: np.ndarray, names: tuple[str, ...]) -> list[ChartWord]:
    wanted = {REGION[n] for n in names}
    height, width = regions.shape
    out = []
    for word in words:
        x, y = word.centre
        if regions[min(height - 1, max(0, int(y))), min(width - 1, max(0, int(x)))] in wanted:
            out.append(word)
    return out


def _phrases(words: list[ChartWord]) -> list[ChartWord]:
    """Words on one line and close together joined into one label ("New York")."""
    out: list[ChartWord] = []
    for word in sorted(words, key=lambda w: (round(w.centre[1] / 4), w.box[0])):
        if out:
            last = out[-1]
            height = max(last.box[3] - last.box[1], word.box[3] - word.box[1], 1.0)
            same_line = abs(last.centre[1] - word.centre[1]) < 0.5 * height
            if same_line and 0 <= word.box[0] - last.box[2] < 0.8 * height:
                box = (last.box[0], min(last.box[1], word.box[1]), word.box[2], max(last.box[3], word.box[3]))
                out[-1] = ChartWord(f"{last.text} {word.text}", min(last.confidence, word.confidence), box)
                continue
        out.append(word)
    return out


def _label_words(words: list[ChartWord]) -> list[ChartWord]:
    """Words that can be labels: mostly letters or digits (a legend's line swatch is
    read as "—o—"), and a short one only when Tesseract is fairly sure of it."""
    out = []
    for w in words:
        alnum = sum(ch.isalnum() for ch in w.text)
        if alnum >= 0.6 * len(w.text) and (alnum >= 3 or (alnum == 2 and w.confidence >= 60)):
            text = re.sub(r"^[^0-9A-Za-z]+|[^0-9A-Za-z%]+$", "", w.text)
            if text:
                out.append(ChartWord(text, w.confidence, w.box))
    return out


# -- labels ----------------------------------------------------------------------------------


def _pair(costs: np.ndarray, limit: float) -> dict[int, int]:
    """Element -> word, cheapest pairs first, each used once, none costlier than `limit`."""
    pairs: dict[int, int] = {}
    used: set[int] = set()
    if costs.size == 0:
        return pairs
    for flat in np.argsort(costs, axis=None):
        e, w = np.unravel_index(int(flat), costs.shape)
        if costs[e, w] > limit:
            break
        if int(e) not in pairs and int(w) not in used:
            pairs[int(e)] = int(w)
            used.add(int(w))
    return pairs


def label_bars(elements: list[ReadElement], phrases: list[ChartWord], horizontal: bool) -> None:
    """A bar's label is the phrase in line with its centre, beside the baseline."""
    if not elements or not phrases:
        return
    centres = [((e.box[1] + e.box[3]) / 2 if horizontal else (e.box[0] + e.box[2]) / 2) for e in elements]
    spacing = float(np.median(np.diff(sorted(centres)))) if len(centres) > 1 else 50.0
    costs = np.array([[abs((p.centre[1] if horizontal else p.centre[0]) - c) for p in phrases] for c in centres])
    for e, w in _pair(costs, 0.5 * spacing).items():
        elements[e].label, elements[e].label_from = phrases[w].text, "tick"


def label_slices(elements: list[ReadElement], phrases: list[ChartWord], directions: list[float], centre) -> None:
    """A slice's label is the phrase in the direction of the slice's middle."""
    if not elements or not phrases:
        return
    cx, cy, _ = centre
    # The side of a label that faces the pie: labels are aligned away from it, so their
    # centres sit off the slice's direction, their near edges do not.
    near = [(min(max(cx, p.box[0]), p.box[2]), min(max(cy, p.box[1]), p.box[3])) for p in phrases]
    angles = [math.degrees(math.atan2(-(y - cy), x - cx)) % 360 for x, y in near]
    costs = np.array([[min(abs(a - d), 360 - abs(a - d)) for a in angles] for d in directions])
    for e, w in _pair(costs, 40.0).items():
        elements[e].label, elements[e].label_from = phrases[w].text, "slice label"


def label_from_legend(elements: list[ReadElement], owner: np.ndarray, legend: np.ndarray, phrases: list[ChartWord]) -> None:
    """A colour's label is the phrase just right of its swatch in the legend."""
    if not phrases:
        return
    costs = np.full((len(elements), len(phrases)), np.inf)
    for i, element in enumerate(elements):
        if element.label:
            continue
        rows, cols = np.nonzero((owner == i) & legend)
        if len(rows) < 3:
            continue
        sy, sx = float(np.median(rows)), float(cols.max())
        for j, p in enumerate(phrases):
            height = max(p.box[3] - p.box[1], 6.0)
            if abs(p.centre[1] - sy) < 0.8 * height and -2 <= p.box[0] - sx < 6 * height:
                costs[i, j] = (p.box[0] - sx) + 4 * abs(p.centre[1] - sy)
    for e, w in _pair(costs, 1e9).items():
        elements[e].label, elements[e].label_from = phrases[w].text, "legend"


# -- the whole reading -----------------------------------------------------------------------


def _labelled(reading: ChartReading) -> int:
    return sum(1 for e in reading.elements if e.label and e.label_from != "colour")


def read_picture(image: Image.Image, output: np.ndarray) -> ChartReading:
    """The table a chart shows, from the reader model's `output` for it: Tesseract reads
    the text outside the elements; where the value axis was not read, its tick labels
    are read again enlarged, and so is a line chart's legend when a line's colour has no
    entry in it; where bars or slices are left without a label and there is
    a labels region, its text is read again turned level (slanted ticks)."""
    regions = grid_to_pixels(output[..., : len(REGIONS)].argmax(-1).astype(np.uint8), image.size)
    # Tesseract (out of the interpreter's lock) and the geometry (mostly NumPy) side by side.
    with ThreadPoolExecutor(1) as pool:
        measuring = pool.submit(picture_of, image, output, KINDS, regions)
        words = chart_words(image, regions == REGION["element"])
        picture = measuring.result()
    reading = read_chart(image, output, words, picture=picture)
    if reading.axis is None and reading.kind != "pie":
        values = regions == REGION["values"]
        inside = {id(w) for w in words_in(words, regions, ("values",))}
        words = [w for w in words if id(w) not in inside] + enlarged_words(image, values)
        reading = read_chart(image, output, words, picture=picture)
    if reading.legend_incomplete:
        legend = regions == REGION["legend"]
        inside = {id(w) for w in words_in(words, regions, ("legend",))}
        again = [w for w in words if id(w) not in inside] + enlarged_words(image, legend, scale=2.0)
        second = read_chart(image, output, again, picture=picture)
        if _labelled(second) > _labelled(reading):
            words, reading = again, second
    if reading.kind in ("vbar", "hbar", "pie") and _labelled(reading) < len(reading.elements):
        labels = regions == REGION["labels"]
        slanted = slanted_words(image, labels, expected=len(reading.elements))
        if slanted:
            inside = {id(w) for w in words_in(words, regions, ("labels",))}
            second = read_chart(image, output, [w for w in words if id(w) not in inside] + slanted, picture=picture)
            if _labelled(second) > _labelled(reading):
                reading = second
    return reading


@dataclass
class Picture:
    """What a reading measures that no word changes, measured once per chart: while
    Tesseract reads the words (`read_picture` runs the two side by side), and for every
    second reading after a word is read again."""

    kind: str
    kind_probability: float
    regions: np.ndarray  # region ids per pixel
    pixels: np.ndarray  # float32 RGB
    paint: np.ndarray  # pixels of a flat colour (`coloured`)
    legend: np.ndarray
    in_plot: np.ndarray
    # Bars and slices: the element colours; lines: the colours seen in the plot, which the
    # legend's swatches replace when its words are read.
    colours: list[np.ndarray] = field(default_factory=list)
    owner: np.ndarray | None = None  # bars and slices: whose each pixel is (-1: nobody's)


def picture_of(
    image: Image.Image, output: np.ndarray, kinds: tuple[str, ...] = KINDS, regions: np.ndarray | None = None
) -> Picture:
    """`regions`: the output's regions stretched over the picture, when known already."""
    kind_probabilities = output[0, 0, len(REGIONS) :]
    kind = kinds[int(kind_probabilities.argmax())]
    if regions is None:
        regions = grid_to_pixels(output[..., : len(REGIONS)].argmax(-1).astype(np.uint8), image.size)
    pixels = np.asarray(image.convert("RGB")).astype(np.float32)
    paint = coloured(pixels)
    # One cell either side: the grid is coarse, a thin line or a bar's edge may fall just outside.
    grown = _grow(regions == REGION["element"], image.size)
    legend = regions == REGION["legend"]
    in_plot = grown & ~legend
    picture = Picture(kind, float(kind_probabilities.max()), regions, pixels, paint, legend, in_plot)
    if kind in ("line", "dotline"):
        picture.colours = find_line_colours(pixels, paint & in_plot)
    else:
        picture.colours = find_colours(pixels, paint & in_plot)
        picture.owner = assign(pixels, picture.colours, paint & (in_plot | legend))
    return picture


def read_chart(
    image: Image.Image,
    output: np.ndarray,
    words: list[ChartWord],
    kinds: tuple[str, ...] = KINDS,
    picture: Picture | None = None,
) -> ChartReading:
    """The table a chart shows, from the reader model's `output` (grid x grid x (regions
    + kinds)) and the words Tesseract read; `picture` is `picture_of` the same two, when
    measured already."""
    picture = picture or picture_of(image, output, kinds)
    kind, regions, pixels, paint = picture.kind, picture.regions, picture.pixels, picture.paint
    legend, in_plot = picture.legend, picture.in_plot
    label_phrases = _phrases(_label_words(words_in(words, regions, ("labels",))))
    legend_phrases = _phrases(_label_words(words_in(words, regions, ("legend",))))
    value_words = words_in(words, regions, ("values",))
    entries: list[tuple[np.ndarray, ChartWord]] = []
    legend_incomplete = False
    if kind in ("line", "dotline"):
        entries = legend_entries(pixels, legend_phrases)
        peaks = picture.colours
        if len(entries) >= 2:
            colours = [colour for colour, _ in entries]
            # A line colour no legend entry has: a legend entry Tesseract did not read.
            unread = [p for p in peaks if min(float(np.linalg.norm(p - c)) for c in colours) > 40]
            legend_incomplete = bool(unread)
        else:
            colours = peaks
            legend_incomplete = bool(legend.any())
        owner = assign_lines(pixels, colours, paint & (in_plot | legend))
    else:
        colours, owner = picture.colours, picture.owner  # type: ignore[assignment]
    plot_owner = np.where(in_plot, owner, -1)
    reading = ChartReading(kind, picture.kind_probability, [])
    rows, cols = np.nonzero(plot_owner >= 0)
    if len(rows):
        reading.plot_box = (float(cols.min()), float(rows.min()), float(cols.max()), float(rows.max()))

    if kind in ("vbar", "hbar"):
        horizontal = kind == "hbar"
        measured = measure_bars(plot_owner, len(colours), horizontal)
        elements = []
        for colour, bar in zip(colours, measured):
            if bar is not None:
                bar.colour = tuple(int(round(c)) for c in colour)  # type: ignore[assignment]
                elements.append(bar)
        kept = [i for i, bar in enumerate(measured) if bar is not None]
        if elements:
            reading.baseline_px = bar_lengths(elements, horizontal)
        reading.axis = axis_from_words(value_words, "x" if horizontal else "y", zero_at=reading.baseline_px)
        if reading.axis is not None:
            for e in elements:
                end = e.box[2] if horizontal else e.box[1]
                e.value = reading.axis.value(end) - reading.axis.value(reading.baseline_px or end)
        label_bars(elements, label_phrases, horizontal)
        label_from_legend(elements, np.where(np.isin(owner, kept), np.searchsorted(kept, owner), -1), legend, legend_phrases)
        # Bars are read in the order they are drawn: left to right, top to bottom.
        elements.sort(key=lambda e: e.box[1] if horizontal else e.box[0])
    elif kind == "pie":
        shares, centre = measure_slices(plot_owner, len(colours), pixels)
        elements = [
            ReadElement(colour=tuple(int(round(c)) for c in colour), size_px=share, value=share)  # type: ignore[arg-type]
            for colour, share in zip(colours, shares)
        ]
        for i, e in enumerate(elements):
            rs, cs = np.nonzero(plot_owner == i)
            if len(rs):
                e.box = (float(cs.min()), float(rs.min()), float(cs.max()), float(rs.max()))
        directions = [slice_angles(plot_owner, i, centre) for i in range(len(colours))]
        label_slices(elements, label_phrases, directions, centre)
        label_from_legend(elements, owner, legend, legend_phrases)
        keep = [i for i, e in enumerate(elements) if e.size_px >= 0.4]
        elements = [elements[i] for i in keep]
    else:
        elements = []
        kept = []
        thicknesses: list[np.ndarray] = []
        for i, colour in enumerate(colours):
            line = measure_line(plot_owner, i)
            if line is None:
                continue
            kept.append(i)
            xs, ys, thick = line
            thicknesses.append(thick)
            e = ReadElement(colour=tuple(int(round(c)) for c in colour), columns=xs, rows=ys)  # type: ignore[arg-type]
            if len(entries) == len(colours):
                e.label, e.label_from = entries[i][1].text, "legend"
            e.box = (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
            elements.append(e)
        reading.points = point_columns([(e.columns, e.rows) for e in elements], thicknesses)  # type: ignore[misc]
        reading.axis = axis_from_words(value_words, "y")
        reading.baseline_px = reading.plot_box[3]
        if reading.axis is not None and reading.axis.slope != 0:
            reading.baseline_px = -reading.axis.intercept / reading.axis.slope
        others = [w for w in words_in(words, regions, ("other",)) if w.centre[1] > reading.plot_box[3]]
        reading.x_axis = axis_from_words(others, "x")
        label_from_legend(elements, np.where(np.isin(owner, kept), np.searchsorted(kept, owner), -1), legend, legend_phrases)
    name_colours(elements)
    reading.elements = elements
    reading.legend_incomplete = legend_incomplete
    if reading.axis is None and kind != "pie":
        reading.notes.append("The value axis's numbers could not be read, so values are not known (comparisons are).")
    if any(e.label is None for e in elements):
        reading.notes.append("Some elements' labels could not be read.")
    return reading


def _grow(mask: np.ndarray, size: tuple[int, int], cells: int = 1) -> np.ndarray:
    """`mask` widened by about one grid cell each way."""
    from app.worlds.charts.preprocessing import GRID

    step_y, step_x = max(1, size[1] // GRID * cells), max(1, size[0] // GRID * cells)
    grown = mask.copy()
    for shift in range(1, step_y + 1):
        grown[shift:] |= mask[:-shift]
        grown[:-shift] |= mask[shift:]
    widened = grown.copy()
    for shift in range(1, step_x + 1):
        widened[:, shift:] |= grown[:, :-shift]
        widened[:, :-shift] |= grown[:, shift:]
    return widened
