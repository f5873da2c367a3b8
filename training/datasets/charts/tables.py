"""Chart tables: what a chart shows, sampled the way FigureQA samples its figures.

A table is the truth a chart is drawn from and questions are answered from: its kind
(vertical or horizontal bars, a pie, lines, dot-lines), its elements (a label, a
colour, and a value or a series of points) and its value axis. docs/charts.md is the
contract; choices the contract leaves open are made here:
- bars and slices: 2-10 elements; lines: 2-7 series of 5-20 points on shared x;
- values are drawn on a "nice" axis (its top one of 1, 2, 2.5, 5 times a power of ten,
  from 10 to 5,000) between 5 % and 100 % of it; a pie's values are shares summing to 100;
- line shapes as FigureQA's: linear, linear with noise, quadratic;
- labels are colour names, each element drawn in the colour it names (FigureQA), or
  ordinary words drawn in a qualitative palette (real charts);
- colours and label words come from one of two halves (`COLOUR_SETS`): training pairs
  half A with some kinds and half B with the others, and the held-out "alternated" split
  swaps them (FigureQA's validation 2), so a model cannot lean on colour-kind pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib import colors as mcolors

KINDS = ("vbar", "hbar", "pie", "line", "dotline")
BAR_KINDS = ("vbar", "hbar")
LINE_KINDS = ("line", "dotline")
SHAPES = ("linear", "linear_noise", "quadratic")
NICE_STEPS = (1.0, 2.0, 2.5, 5.0)

# CSS colour names a person can read and tell apart on white: not too light, not gray
# (gray bars on gray gridlines are the renderer's problem, not the reader's test).
_SKIP = {"white", "snow", "ivory", "ghostwhite", "whitesmoke", "seashell", "floralwhite", "linen", "oldlace", "mintcream"}


def _readable(name: str) -> bool:
    r, g, b = mcolors.to_rgb(name)
    light = 0.299 * r + 0.587 * g + 0.114 * b
    return name not in _SKIP and "grey" not in name and light < 0.85 and max(r, g, b) - min(r, g, b) > 0.15


COLOUR_NAMES = sorted(n for n in mcolors.CSS4_COLORS if _readable(n))
WORDS = (
    "Apples Pears Plums Cherries Grapes Lemons Mangoes Peaches Berlin Paris Madrid Rome Vienna Oslo Lisbon Dublin "
    "January February March April May June July August Anna Ben Clara David Emma Felix Grace Henry North South "
    "East West Alpha Beta Gamma Delta Coal Gas Wind Solar Hydro Nuclear Cars Buses Trains Bikes Ships Planes"
).split()
# A qualitative palette for word labels (matplotlib's tab10 without its gray, and
# Dark2's first four): elements are coloured, as the contract says.
WORD_PALETTE = [
    mcolors.to_hex(c)
    for c in (*(v for k, v in mcolors.TABLEAU_COLORS.items() if k != "tab:gray"), "#1b9e77", "#d95f02", "#7570b3", "#e7298a")
]
# The two halves: alternate entries, so each half has every hue.
COLOUR_SETS = {"A": COLOUR_NAMES[0::2], "B": COLOUR_NAMES[1::2]}
WORD_SETS = {"A": WORDS[0::2], "B": WORDS[1::2]}
# Training pairs half A with these kinds and half B with the rest; "alternated" swaps.
HALF_A_KINDS = ("vbar", "pie", "line")


@dataclass
class Element:
    label: str
    colour: str  # "#rrggbb"
    value: float | None = None  # bars and slices
    ys: list[float] = field(default_factory=list)  # lines, at the table's xs


@dataclass
class ChartTable:
    kind: str
    elements: list[Element]
    axis_max: float  # the value axis's top (pies: 100)
    xs: list[float] = field(default_factory=list)  # lines: shared x values
    title: str = ""
    x_title: str = ""
    y_title: str = ""

    def to_json(self) -> dict:
        out: dict = {"kind": self.kind, "axis_max": self.axis_max, "title": self.title}
        out["x_title"], out["y_title"] = self.x_title, self.y_title
        if self.kind in LINE_KINDS:
            out["xs"] = self.xs
        out["elements"] = [
            {"label": e.label, "colour": e.colour, **({"ys": e.ys} if self.kind in LINE_KINDS else {"value": e.value})}
            for e in self.elements
        ]
        return out


def half_for(kind: str, split: str) -> str:
    """Which half of the colours and words a kind draws from in a split."""
    trained = "A" if kind in HALF_A_KINDS else "B"
    return trained if split != "alternated" else {"A": "B", "B": "A"}[trained]


def nice_axis(rng: np.random.Generator) -> float:
    return float(rng.choice(NICE_STEPS) * 10 ** int(rng.integers(1, 4)))


def _labels(rng: np.random.Generator, n: int, half: str, colour_names: bool) -> list[tuple[str, str]]:
    """(label, colour) pairs: a colour name in its own colour, or a word in the palette."""
    if colour_names:
        names = rng.choice(COLOUR_SETS[half], size=n, replace=False)
        return [(str(name), mcolors.to_hex(str(name))) for name in names]
    words = rng.choice(WORD_SETS[half], size=n, replace=False)
    palette = rng.permutation(WORD_PALETTE)[:n]
    return [(str(w), str(c)) for w, c in zip(words, palette)]


def _series(rng: np.random.Generator, xs: np.ndarray, top: float, shape: str) -> np.ndarray:
    """One line's values between 5 % and 95 % of the axis, FigureQA's shapes."""
    t = (xs - xs[0]) / (xs[-1] - xs[0])
    if shape == "quadratic":
        vertex = rng.uniform(0.1, 0.9)
        ys = (t - vertex) ** 2 * rng.choice([-1.0, 1.0])
    else:
        ys = t * rng.uniform(-1.0, 1.0)
        if shape == "linear_noise":
            ys = ys + rng.normal(0.0, 0.12, size=len(t))
    low, high = sorted(rng.uniform(0.05, 0.95, size=2) * top)
    high = max(high, low + 0.15 * top)
    span = ys.max() - ys.min()
    ys = (ys - ys.min()) / span if span > 1e-9 else np.full_like(ys, 0.5)
    return np.clip(low + ys * (high - low), 0.02 * top, 0.98 * top)


def sample_table(rng: np.random.Generator, kind: str | None = None, split: str = "train") -> ChartTable:
    """A random chart table that keeps the contract (docs/charts.md)."""
    kind = kind or str(rng.choice(KINDS))
    half = half_for(kind, split)
    colour_names = bool(rng.random() < 0.5)
    if kind in LINE_KINDS:
        n, points = int(rng.integers(2, 8)), int(rng.integers(5, 21))
        start = float(rng.choice([0, 1, 10, 100, 2000]))
        xs = start + np.arange(points) * float(rng.choice([1, 2, 5, 10]))
        top = nice_axis(rng)
        elements = [
            Element(label, colour, ys=[round(float(v), 4) for v in _series(rng, xs, top, str(rng.choice(SHAPES)))])
            for label, colour in _labels(rng, n, half, colour_names)
        ]
        return ChartTable(kind, elements, top, xs=[float(x) for x in xs])
    n = int(rng.integers(2, 11))
    pairs = _labels(rng, n, half, colour_names)
    if kind == "pie":
        shares = rng.dirichlet(np.full(n, 2.0)) * 100
        shares = np.maximum(shares, 1.0)
        shares = shares / shares.sum() * 100
        return ChartTable(kind, [Element(lb, c, value=round(float(v), 4)) for (lb, c), v in zip(pairs, shares)], 100.0)
    top = nice_axis(rng)
    values = rng.uniform(0.05, 1.0, size=n) * top
    return ChartTable(kind, [Element(lb, c, value=round(float(v), 4)) for (lb, c), v in zip(pairs, values)], top)
