"""Questions about a chart, answered from its table: FigureQA's fifteen templates, with
FigureQA's definitions, plus "which" and value questions.

A yes/no question is asked only where a careful reader can tell from the picture
(the margins, docs/charts.md): values that decide it differ by at least `MARGIN` of
the value axis (`PIE_MARGIN` points of a pie), an area or a roughness by at least
`RELATIVE_MARGIN` of the larger. Each chart gets at most one "yes" and one "no" per
template, so answers are balanced per template by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.worlds.charts.preprocessing import TEMPLATES
from training.datasets.charts.tables import LINE_KINDS, ChartTable

MARGIN = 0.03  # of the value axis
PIE_MARGIN = 2.0  # percentage points
RELATIVE_MARGIN = 0.1  # of the larger area under the curve, or roughness


@dataclass(frozen=True)
class ChartQuestion:
    template: str  # a key of TEMPLATES, or "which_min", "which_max", "value"
    text: str
    answer: str  # "yes" / "no", a label, or a number as text
    labels: tuple[str, ...]  # the elements it is about


def area(xs: np.ndarray, ys: np.ndarray) -> float:
    """Area under the curve by the trapezoid rule (FigureQA's definition)."""
    return float(np.sum((ys[1:] + ys[:-1]) * np.diff(xs)) / 2)


def roughness(xs: np.ndarray, ys: np.ndarray) -> float:
    """The sum of absolute changes of slope (FigureQA's definition)."""
    slopes = np.diff(ys) / np.diff(xs)
    return float(np.abs(np.diff(slopes)).sum())


def _extreme(scores: dict[str, float], margin: float, highest: bool) -> tuple[str | None, set[str]]:
    """The clear winner (None if the top two are too close) and the clear losers."""
    order = sorted(scores, key=scores.get, reverse=highest)
    best = scores[order[0]]
    winner = order[0] if len(order) > 1 and abs(best - scores[order[1]]) >= margin else None
    return winner, {k for k in order if abs(best - scores[k]) >= margin}


def _yes_no(rng: np.random.Generator, template: str, yes: list[tuple], no: list[tuple]) -> list[ChartQuestion]:
    """One "yes" and one "no" question, or none: balance per template by construction."""
    if not (yes and no):
        return []
    out = []
    for answer, pool in (("yes", yes), ("no", no)):
        labels = pool[int(rng.integers(len(pool)))]
        text = TEMPLATES[template].format(x=labels[0], y=labels[1] if len(labels) > 1 else "")
        out.append(ChartQuestion(template, text, answer, tuple(labels)))
    return out


def bar_questions(table: ChartTable, rng: np.random.Generator) -> list[ChartQuestion]:
    values = {e.label: float(e.value or 0.0) for e in table.elements}
    m = PIE_MARGIN if table.kind == "pie" else MARGIN * table.axis_max
    out: list[ChartQuestion] = []
    for template, highest in (("minimum", False), ("maximum", True)):
        winner, losers = _extreme(values, m, highest)
        out += _yes_no(rng, template, [(winner,)] if winner else [], [(k,) for k in sorted(losers)])
    pairs = [(a, b) for a in values for b in values if a != b and abs(values[a] - values[b]) >= m]
    out += _yes_no(
        rng, "less", [p for p in pairs if values[p[0]] < values[p[1]]], [p for p in pairs if values[p[0]] > values[p[1]]]
    )
    out += _yes_no(
        rng, "greater", [p for p in pairs if values[p[0]] > values[p[1]]], [p for p in pairs if values[p[0]] < values[p[1]]]
    )
    order = sorted(values, key=values.get)
    clear = [
        i
        for i in range(len(order))
        if all(abs(values[order[i]] - values[order[j]]) >= m for j in (i - 1, i + 1) if 0 <= j < len(order))
    ]
    for template, index in (("low_median", (len(order) - 1) // 2), ("high_median", len(order) // 2)):
        yes = [(order[index],)] if index in clear else []
        out += _yes_no(rng, template, yes, [(order[i],) for i in clear if i != index])
    return out


def line_questions(table: ChartTable, rng: np.random.Generator) -> list[ChartQuestion]:
    xs = np.asarray(table.xs)
    ys = {e.label: np.asarray(e.ys) for e in table.elements}
    m = MARGIN * table.axis_max
    out: list[ChartQuestion] = []
    areas = {k: area(xs, v) for k, v in ys.items()}
    rough = {k: roughness(xs, v) for k, v in ys.items()}
    for template, scores, highest in (
        ("min_area", areas, False),
        ("max_area", areas, True),
        ("smoothest", rough, False),
        ("roughest", rough, True),
    ):
        margin = RELATIVE_MARGIN * max(abs(v) for v in scores.values())
        winner, losers = _extreme(scores, margin, highest)
        out += _yes_no(rng, template, [(winner,)] if winner else [], [(k,) for k in sorted(losers)])
    for template, scores, highest in (
        ("lowest_value", {k: float(v.min()) for k, v in ys.items()}, False),
        ("highest_value", {k: float(v.max()) for k, v in ys.items()}, True),
    ):
        winner, losers = _extreme(scores, m, highest)
        out += _yes_no(rng, template, [(winner,)] if winner else [], [(k,) for k in sorted(losers)])
    below, not_below, crossing, apart = [], [], [], []
    for a in ys:
        for b in ys:
            if a == b:
                continue
            d = ys[b] - ys[a]  # > 0 where a is below b
            if (d >= m).all():
                below.append((a, b))
            elif (d <= -m).any():
                not_below.append((a, b))
            if a < b:
                if (np.abs(d) >= m).all() and len(set(np.sign(d))) == 1:
                    apart.append((a, b))
                elif any(d[i] >= m and d[i + 1] <= -m or d[i] <= -m and d[i + 1] >= m for i in range(len(d) - 1)):
                    crossing.append((a, b))
    out += _yes_no(rng, "line_less", below, not_below)
    out += _yes_no(rng, "line_greater", [(b, a) for a, b in below], [(b, a) for a, b in not_below])
    out += _yes_no(rng, "intersect", crossing, apart)
    return out


def open_questions(table: ChartTable) -> list[ChartQuestion]:
    """ "Which" questions (answered with a label) and values (answered with a number)."""
    out = []
    if table.kind in LINE_KINDS:
        scores = {e.label: max(e.ys) for e in table.elements}
        margin = MARGIN * table.axis_max
        winner, _ = _extreme(scores, margin, highest=True)
        if winner:
            out.append(ChartQuestion("which_max", "Which line reaches the highest value?", winner, (winner,)))
        return out
    values = {e.label: float(e.value or 0.0) for e in table.elements}
    margin = PIE_MARGIN if table.kind == "pie" else MARGIN * table.axis_max
    for template, text, highest in (("which_min", "Which is the smallest?", False), ("which_max", "Which is the largest?", True)):
        winner, _ = _extreme(values, margin, highest)
        if winner:
            out.append(ChartQuestion(template, text, winner, (winner,)))
    for e in table.elements:
        what = "What percentage is {x}?" if table.kind == "pie" else "What is the value of {x}?"
        out.append(ChartQuestion("value", what.format(x=e.label), f"{float(e.value or 0.0):.4g}", (e.label,)))
    return out


def questions_for(table: ChartTable, rng: np.random.Generator) -> list[ChartQuestion]:
    """Every question asked about one chart: the yes/no templates, then the open ones."""
    asked = line_questions(table, rng) if table.kind in LINE_KINDS else bar_questions(table, rng)
    return asked + open_questions(table)
