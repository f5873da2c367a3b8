"""Charts, measuring the elements in the full-size picture, from the map of which
colour owns each pixel (`colours.assign`, `colours.assign_lines`):
- bars: each colour's widest run of columns (rows for horizontal bars), its far end
  against the common baseline;
- slices: the share of angles around the pie's centre that each colour holds (white
  outlines and blended edges split between their neighbours);
- lines: followed column by column from their steadiest part; their data points found
  where they bend or their markers thicken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.worlds.charts.colours import flat_pixels, runs_of

ANGLE_BINS = 720


@dataclass
class ReadElement:
    colour: tuple[int, int, int]
    label: str | None = None
    label_from: str | None = None  # "tick", "legend", "slice label"
    size_px: float = 0.0  # bars: length; slices: share in percent
    value: float | None = None  # in the axis's units (slices: percent)
    box: tuple[float, float, float, float] = (0, 0, 0, 0)
    columns: np.ndarray | None = None  # lines: the x pixels sampled
    rows: np.ndarray | None = None  # lines: the y pixel at each

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.colour)


def measure_bars(owner: np.ndarray, count: int, horizontal: bool) -> list[ReadElement | None]:
    """Each colour's bar: its widest run across the bars, its extent along the value axis."""
    out: list[ReadElement | None] = []
    for index in range(count):
        mine = owner == index
        across = mine.sum(axis=1 if horizontal else 0)  # pixels per row (horizontal) or column
        runs = [r for r in runs_of(across >= 2) if r[1] - r[0] >= 3]
        if not runs:
            out.append(None)
            continue
        start, end = max(runs, key=lambda r: r[1] - r[0])
        band = mine[start:end, :] if horizontal else mine[:, start:end]
        along = np.flatnonzero(band.sum(axis=0 if horizontal else 1) >= max(1, 0.3 * (end - start)))
        if len(along) == 0:
            out.append(None)
            continue
        low, high = int(along.min()), int(along.max()) + 1
        fill = float(band[:, low:high].mean() if horizontal else band[low:high, :].mean())
        if fill < 0.5:
            out.append(None)  # scattered pixels of a colour (a JPEG edge), not a bar
            continue
        box = (low, start, high, end) if horizontal else (start, low, end, high)
        out.append(ReadElement(colour=(0, 0, 0), box=tuple(float(v) for v in box)))  # type: ignore[arg-type]
    # A bar is about as wide as the others; a thin one is the edge of another bar.
    widths = [(b.box[3] - b.box[1]) if horizontal else (b.box[2] - b.box[0]) for b in out if b is not None]
    if widths:
        typical = float(np.percentile(widths, 75))
        for i, b in enumerate(out):
            if b is not None and ((b.box[3] - b.box[1]) if horizontal else (b.box[2] - b.box[0])) < 0.5 * typical:
                out[i] = None
    return out


def bar_lengths(bars: list[ReadElement], horizontal: bool) -> float:
    """Sets each bar's length in pixels from the common baseline; returns the baseline."""
    if horizontal:
        baseline = float(np.median([b.box[0] for b in bars]))
        for b in bars:
            b.size_px = b.box[2] - baseline
    else:
        baseline = float(np.median([b.box[3] for b in bars]))
        for b in bars:
            b.size_px = baseline - b.box[1]
    return baseline


# -- slices ----------------------------------------------------------------------------------


def measure_slices(owner: np.ndarray, count: int, pixels: np.ndarray) -> tuple[list[float], tuple[float, float, float]]:
    """Each colour's share of the pie in percent, and the pie's centre and radius."""
    rows, cols = np.nonzero(owner >= 0)
    if len(rows) == 0:
        return [0.0] * count, (0.0, 0.0, 0.0)
    # Votes come from flat pixels only: blended edges between slices are not slices.
    flat = flat_pixels(pixels)
    cy, cx = float(rows.mean()), float(cols.mean())
    radius = math.sqrt(len(rows) / math.pi)
    distance = np.hypot(rows - cy, cols - cx)
    ring = (distance > 0.25 * radius) & (distance < 0.92 * radius) & flat[rows, cols]
    angles = np.degrees(np.arctan2(-(rows[ring] - cy), cols[ring] - cx)) % 360
    bins = (angles / 360 * ANGLE_BINS).astype(int) % ANGLE_BINS
    owners = owner[rows[ring], cols[ring]]
    votes = np.zeros((ANGLE_BINS, count))
    np.add.at(votes, (bins, owners), 1)
    winner = np.where(votes.sum(axis=1) > 0, votes.argmax(axis=1), -1)
    # Outlines and blended edges: each empty bin goes to its nearest filled neighbour.
    filled = np.flatnonzero(winner >= 0)
    if len(filled) == 0:
        return [0.0] * count, (cx, cy, radius)
    for b in np.flatnonzero(winner < 0):
        gaps = np.minimum(np.abs(filled - b), ANGLE_BINS - np.abs(filled - b))
        winner[b] = winner[filled[gaps.argmin()]]
    shares = [100.0 * float((winner == i).sum()) / ANGLE_BINS for i in range(count)]
    return shares, (cx, cy, radius)


def slice_angles(owner: np.ndarray, index: int, centre: tuple[float, float, float]) -> float:
    """The mean direction (degrees, counter-clockwise from east) of a slice's pixels."""
    cx, cy, _ = centre
    rows, cols = np.nonzero(owner == index)
    if len(rows) == 0:
        return 0.0
    angles = np.arctan2(-(rows - cy), cols - cx)
    return float(np.degrees(np.arctan2(np.sin(angles).mean(), np.cos(angles).mean())) % 360)


# -- lines -----------------------------------------------------------------------------------


def _column_runs(column: np.ndarray) -> list[tuple[float, int]]:
    """(centre row, length) of each run of a line's pixels down one column."""
    return [((a + b - 1) / 2, b - a) for a, b in runs_of(column)]


def measure_line(owner: np.ndarray, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A line's row in each column from its first to its last, and its thickness there
    (markers thicken it at the data points). The line is followed from its steadiest
    column outwards, each column taking the run of its pixels nearest to where the line
    was heading: pixels of its colour elsewhere in the column (another line's blended
    edge, a legend swatch the regions missed) are left out, and columns with none near
    are gaps, filled between their ends."""
    mine = owner == index
    columns = np.flatnonzero(mine.any(axis=0))
    if len(columns) < 5:
        return None
    first, last = int(columns.min()), int(columns.max())
    xs = np.arange(first, last + 1)
    runs = [_column_runs(mine[:, x]) for x in xs]
    single = [i for i, r in enumerate(runs) if len(r) == 1]
    if not single:
        return None
    typical = float(np.median([runs[i][0][1] for i in single]))
    start = min(single, key=lambda i: (abs(runs[i][0][1] - typical), abs(i - len(xs) / 2)))
    ys = np.full(len(xs), np.nan)
    thick = np.zeros(len(xs))
    ys[start], thick[start] = runs[start][0]
    for step in (1, -1):
        y, slope, missed, i = ys[start], 0.0, 0, start + step
        while 0 <= i < len(xs):
            if runs[i]:
                guess = y + slope * (missed + 1)
                centre, length = min(runs[i], key=lambda r: abs(r[0] - guess))
                near = abs(centre - guess) <= max(6.0, 2.0 * typical) + 2.0 * abs(slope) * (missed + 1)
                # Lost for a few columns (a sharp corner, a dotted line's gap): a column with
                # one run not far off picks it up again.
                found_again = missed >= 3 and len(runs[i]) == 1 and abs(centre - guess) <= 4 * typical + 3.0 * (missed + 1)
                if near or found_again:
                    slope = 0.6 * slope + 0.4 * (centre - y) / (missed + 1) if near else 0.0
                    y, ys[i], thick[i], missed = centre, centre, length, 0
                else:
                    missed += 1
            else:
                missed += 1
            i += step
    known = ~np.isnan(ys)
    if known.sum() < 2:
        return None
    ys = np.interp(xs, xs[known], ys[known])
    return xs.astype(float), ys, thick


MAX_POINTS = 20


def point_columns(lines: list[tuple[np.ndarray, np.ndarray]], thickness: list[np.ndarray]) -> np.ndarray | None:
    """Where the data points are: evenly spaced from the lines' first column to their
    last (the contract's lines share their x values). Points show as bends and as
    markers (the line thickens); the count chosen is the one whose points are most
    bent or thickened compared with the columns halfway between them, which rules out
    both half and double the true count."""
    if not lines:
        return None
    first = int(np.median([xs[0] for xs, _ in lines]))
    last = int(np.median([xs[-1] for xs, _ in lines]))
    if last - first < 20:
        return None
    lag = max(2, min(6, (last - first) // (4 * MAX_POINTS)))
    strength = np.zeros(last - first + 1)
    for (xs, ys), thick in zip(lines, thickness):
        evidence = np.zeros(len(xs))
        evidence[lag:-lag] = np.abs(ys[2 * lag :] - 2 * ys[lag:-lag] + ys[: -2 * lag])
        bulge = thick - np.convolve(thick, np.ones(15) / 15, mode="same")
        evidence += np.clip(bulge, 0, None)
        lo, hi = max(first, int(xs[0])), min(last, int(xs[-1]))
        if hi < lo:
            continue  # a line wholly outside the others' span (a stray mark the regions let in)
        strength[lo - first : hi - first + 1] += evidence[lo - int(xs[0]) : hi - int(xs[0]) + 1]
    strength = np.convolve(strength, np.ones(3), mode="same")
    contrast = {}
    for points in range(5, MAX_POINTS + 1):
        grid = np.linspace(0, last - first, points)
        inner = np.round(grid[1:-1]).astype(int)
        halves = np.round((grid[1:] + grid[:-1]) / 2).astype(int)
        contrast[points] = float(strength[inner].mean() - strength[halves].mean())
    chosen = max(contrast, key=lambda n: contrast[n])
    if contrast[chosen] <= 0.5:
        return None  # straight lines without markers: nothing tells where the points are
    return first + np.linspace(0, last - first, chosen)


def simplify(xs: np.ndarray, ys: np.ndarray, tolerance: float = 1.2) -> list[int]:
    """Douglas-Peucker: the indices of the polyline's corners within `tolerance` pixels."""
    keep = {0, len(xs) - 1}
    stack = [(0, len(xs) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        dx, dy = xs[b] - xs[a], ys[b] - ys[a]
        norm = math.hypot(dx, dy) or 1.0
        inner = np.arange(a + 1, b)
        distance = np.abs(dy * (xs[inner] - xs[a]) - dx * (ys[inner] - ys[a])) / norm
        k = int(distance.argmax())
        if distance[k] > tolerance:
            keep.add(int(inner[k]))
            stack += [(a, int(inner[k])), (int(inner[k]), b)]
    return sorted(keep)
