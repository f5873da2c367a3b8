"""Charts, the answers: each meaning computed from the table the reader read.

Every answer is computed from measured sizes (bars' lengths and lines' heights in
pixels, slices' shares in percent), never from the text of a template. Where the
measure that decides a question is within `CLOSE` of going the other way, the answer
is a guess and says so: the contract asks only what a careful reader can tell (3 % of
the axis), and the reader's own error is about 1 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.worlds.charts.labels import _key, css_name, find_element
from app.worlds.charts.measure import ReadElement, simplify
from app.worlds.charts.reading import ChartReading

CLOSE = 0.008  # of the value axis's extent (bars, lines)
CLOSE_PIE = 0.8  # percentage points
CLOSE_RELATIVE = 0.03  # of the larger area or roughness
LINE_KINDS = ("line", "dotline")
# Bars' words on a line chart: "is X the maximum" means its highest value (FigureQA).
ON_LINES = {"minimum": "lowest_value", "maximum": "highest_value", "less": "line_less", "greater": "line_greater"}
NEEDS_TWO = {"less", "greater", "line_less", "line_greater", "intersect"}
NEEDS_ONE = {"minimum", "maximum", "low_median", "high_median", "median", "value", "lowest_value", "highest_value",
             "min_area", "max_area", "smoothest", "roughest"}  # fmt: skip


@dataclass
class Result:
    answer: str | None  # "yes" / "no", a label, a number; None: not answerable
    close: bool = False  # within CLOSE of the other answer: a guess
    note: str | None = None
    interpreted_as: str = ""
    about: tuple[str, ...] = ()  # the labels of the elements it is about, for the page


# -- finding what the question names ---------------------------------------------------------


def mentions(tokens: tuple[str, ...], elements: list[ReadElement]) -> list[ReadElement]:
    """The elements a question names, in the order it names them; the longest phrase
    first ("dark orchid" before "orchid")."""
    found: list[tuple[int, ReadElement]] = []
    used = [False] * len(tokens)
    for length in (3, 2, 1):
        for start in range(len(tokens) - length + 1):
            if any(used[start : start + length]):
                continue
            phrase = " ".join(tokens[start : start + length])
            if len(_key(phrase)) < 2:
                continue
            element = _exact(phrase, elements) or (find_element(elements, phrase) if _worth_fuzzy(phrase) else None)
            if element is not None and all(element is not e for _, e in found):
                found.append((start, element))
                used[start : start + length] = [True] * length
    return [e for _, e in sorted(found, key=lambda f: f[0])]


def _exact(phrase: str, elements: list[ReadElement]) -> ReadElement | None:
    key = _key(phrase)
    return next((e for e in elements if e.label and _key(e.label) == key), None)


# The question's own words are never a label, however close ("than" is not "Thai").
_QUESTION_WORDS = set(
    "is the a an of than does do have has which what how value line lines bar bars slice pie chart area under curve "
    "minimum maximum smallest largest biggest lowest highest less greater smaller bigger median low high cross "
    "intersect smoothest roughest percentage percent always above below one and or".split()
)


def _worth_fuzzy(phrase: str) -> bool:
    words = phrase.split()
    return not any(w in _QUESTION_WORDS for w in words) and (len(_key(phrase)) >= 4 or css_name(phrase) is not None)


# -- measures --------------------------------------------------------------------------------


def heights(reading: ChartReading, e: ReadElement) -> np.ndarray:
    """A line's height above the baseline in pixels, per column."""
    base = reading.baseline_px if reading.baseline_px is not None else reading.plot_box[3]
    return base - np.asarray(e.rows)


def at_points(reading: ChartReading, e: ReadElement) -> tuple[np.ndarray, np.ndarray] | None:
    """The line's (column, row) at the data points, each row the mean of three columns."""
    if reading.points is None:
        return None
    xs, rows = np.asarray(e.columns), np.asarray(e.rows)
    index = np.clip(np.round(reading.points - xs[0]).astype(int), 0, len(xs) - 1)
    smooth = np.convolve(np.pad(rows, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    return xs[index], smooth[index]


def roughness(reading: ChartReading, e: ReadElement) -> float:
    """FigureQA's roughness, the sum of absolute changes of slope between the data
    points (or the line's corners, when the points were not found)."""
    found = at_points(reading, e)
    if found is not None:
        xs, ys = found[0], -found[1]
    else:
        xs, ys = np.asarray(e.columns), -np.asarray(e.rows)
        corners = simplify(xs, ys)
        xs, ys = xs[corners], ys[corners]
    slopes = np.diff(ys) / np.maximum(np.diff(xs), 1e-9)
    return float(np.abs(np.diff(slopes)).sum())


def area(reading: ChartReading, e: ReadElement) -> float:
    h = heights(reading, e)
    return float(np.sum((h[1:] + h[:-1]) / 2))


def _extent(reading: ChartReading) -> float:
    """The value axis's extent in pixels (what CLOSE is a share of)."""
    x1, y1, x2, y2 = reading.plot_box
    return max(1.0, (x2 - x1) if reading.kind == "hbar" else (y2 - y1))


def _decide(values: dict[int, float], x: int, highest: bool, close: float) -> tuple[bool, bool]:
    """(X is the extreme, too close to tell)."""
    others = [v for k, v in values.items() if k != x]
    if not others:
        return True, False
    best = max(others) if highest else min(others)
    gap = values[x] - best if highest else best - values[x]
    return gap > 0, abs(gap) < close


def _label(e: ReadElement) -> str:
    return e.label or e.hex


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def compute(intent: str, reading: ChartReading, named: list[ReadElement]) -> Result:
    """The answer to a question's meaning about a chart's reading."""
    elements = reading.elements
    lines = reading.kind in LINE_KINDS
    if lines:
        intent = ON_LINES.get(intent, intent)
    if not elements:
        return Result(None, note="I could not find the chart's bars, slices or lines.")
    index = {id(e): i for i, e in enumerate(elements)}
    if lines:
        scores = {
            "lowest_value": (
                {i: float(heights(reading, e).min()) for i, e in enumerate(elements)},
                False,
                CLOSE * _extent(reading),
            ),
            "highest_value": (
                {i: float(heights(reading, e).max()) for i, e in enumerate(elements)},
                True,
                CLOSE * _extent(reading),
            ),
        }
        areas = {i: area(reading, e) for i, e in enumerate(elements)}
        rough = {i: roughness(reading, e) for i, e in enumerate(elements)}
        scores["min_area"] = (areas, False, CLOSE_RELATIVE * max(abs(v) for v in areas.values()))
        scores["max_area"] = (areas, True, CLOSE_RELATIVE * max(abs(v) for v in areas.values()))
        scores["smoothest"] = (rough, False, CLOSE_RELATIVE * max(max(rough.values()), 1e-9))
        scores["roughest"] = (rough, True, CLOSE_RELATIVE * max(max(rough.values()), 1e-9))
    else:
        sizes = {i: e.size_px for i, e in enumerate(elements)}
        close = CLOSE_PIE if reading.kind == "pie" else CLOSE * _extent(reading)
        scores = {"minimum": (sizes, False, close), "maximum": (sizes, True, close)}

    which = intent.removeprefix("which_")
    if intent.startswith("which_"):
        key = {"min": "lowest_value" if lines else "minimum", "max": "highest_value" if lines else "maximum"}.get(which, which)
        key = {"min_area": "min_area", "max_area": "max_area"}.get(which, key)
        if key not in scores:
            return Result(None, note=f"That question is for {'bar and pie' if lines else 'line'} charts.")
        values, highest, margin = scores[key]
        best = (max if highest else min)(values, key=lambda k: values[k])
        _, close_call = _decide(values, best, highest, margin)
        e = elements[best]
        if not e.label:
            return Result(None, note=f"It is the element drawn in {e.hex}, whose label I could not read.", about=(_label(e),))
        return Result(_label(e), close_call, interpreted_as=f"which element is the {key.replace('_', ' ')}", about=(_label(e),))

    wanted = 2 if intent in NEEDS_TWO else 1
    if len(named) < wanted:
        labels = ", ".join(_label(e) for e in elements)
        return Result(
            None,
            note=f"I could not find {'both elements' if wanted == 2 else 'the element'} the question names among the labels I read ({labels}).",
        )
    x = named[0]
    about = tuple(_label(e) for e in named[:wanted])
    if intent == "value":
        if lines:
            return Result(None, note="A line has many values; ask about its highest or lowest value, or compare lines.")
        if x.value is None:
            return Result(None, note="I could not read the value axis's numbers, so I cannot give values.")
        unit = " %" if reading.kind == "pie" else ""
        return Result(_number(x.value) + unit, interpreted_as=f"the value of {_label(x)}", about=about)
    if intent in scores:
        values, highest, margin = scores[intent]
        yes, close_call = _decide(values, index[id(x)], highest, margin)
        return Result(
            "yes" if yes else "no", close_call, interpreted_as=f"is {_label(x)} the {intent.replace('_', ' ')}", about=about
        )
    if intent in ("less", "greater"):
        sizes, _, margin = scores["minimum"]
        gap = sizes[index[id(x)]] - sizes[index[id(named[1])]]
        yes = gap > 0 if intent == "greater" else gap < 0
        return Result(
            "yes" if yes else "no",
            abs(gap) < margin,
            interpreted_as=f"is {about[0]} {'greater' if intent == 'greater' else 'less'} than {about[1]}",
            about=about,
        )
    if intent in ("low_median", "high_median", "median"):
        sizes, _, margin = scores["minimum"]
        order = sorted(sizes, key=lambda k: sizes[k])
        if intent == "median" and len(order) % 2 == 0:
            return Result(None, note=f"With {len(order)} elements there are two medians: ask about the low or the high median.")
        position = (len(order) - 1) // 2 if intent != "high_median" else len(order) // 2
        target = order[position]
        neighbours = [sizes[order[j]] for j in (position - 1, position + 1) if 0 <= j < len(order)]
        close_call = any(abs(sizes[target] - v) < margin for v in neighbours) or any(
            abs(sizes[index[id(x)]] - v) < margin for v in [sizes[target]] if index[id(x)] != target
        )
        return Result(
            "yes" if index[id(x)] == target else "no",
            close_call,
            interpreted_as=f"is {about[0]} the {intent.replace('_', ' ')}",
            about=about,
        )
    if intent in ("line_less", "line_greater", "intersect"):
        y = named[1]
        hx, hy = heights(reading, x), heights(reading, y)
        cx, cy = np.asarray(x.columns), np.asarray(y.columns)
        start, end = max(cx[0], cy[0]), min(cx[-1], cy[-1])
        if end - start < 3:
            return Result(None, note="The two lines do not share enough of the x axis to compare.")
        d = hy[int(start - cy[0]) : int(end - cy[0]) + 1] - hx[int(start - cx[0]) : int(end - cx[0]) + 1]
        margin = CLOSE * _extent(reading)
        if intent == "intersect":
            yes = bool(d.max() > 0 and d.min() < 0)
            close_call = min(abs(float(d.max())), abs(float(d.min()))) < margin
            return Result("yes" if yes else "no", close_call, interpreted_as=f"does {about[0]} cross {about[1]}", about=about)
        if intent == "line_greater":
            d = -d
        yes = bool(d.min() > 0)
        return Result(
            "yes" if yes else "no",
            abs(float(d.min())) < margin,
            interpreted_as=f"is {about[0]} {'below' if intent == 'line_less' else 'above'} {about[1]} everywhere",
            about=about,
        )
    return Result(None, note="That question is not one this chart's kind can answer.")
