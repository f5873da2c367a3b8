"""Charts, the reading: from the reader model's regions to a table of elements.

The model (`chart_reader`) says the chart's kind and, on a 64 x 64 grid, where the
elements, the legend and the text are. The measuring is geometry on the full-size
picture, inside those regions:
- colours: every element has its own colour (the contract). The colours are the peaks
  of the coloured pixels' histogram; a peak that lies between another peak and white,
  or between two peaks, is an anti-aliased edge, not an element;
- bars: each colour's widest run of columns (rows for horizontal bars) in the element
  region; its far end against the common baseline;
- slices: the share of angles around the pie's centre that each colour holds (white
  outlines and blended edges split between their neighbours);
- lines: each colour's median row in every column, gaps (where another line is on
  top) filled between their ends;
- the value axis: the numbers read in the "values" region, fitted to their positions
  by a straight line that most of them agree with (a misread tick is left out);
- labels: the words in the "labels" region under, beside or around each element, or
  the words beside each colour's swatch in the legend.
Every measure keeps pixels as well as axis units, so a comparison never needs the axis
(only values do).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from app.worlds.charts.labels import name_colours
from app.worlds.charts.preprocessing import KINDS, REGION, REGIONS, grid_to_pixels
from app.worlds.charts.text import ChartWord, chart_words, enlarged_words, number_of, slanted_words

MIN_CHROMA = 40  # 0..255: max - min channel; below it a pixel is black, gray or white
PEAK_DISTANCE = 22.0  # RGB: two colours closer than this are one element
ASSIGN_DISTANCE = 48.0  # RGB: a pixel this close to an element's colour is the element's
TINT_DISTANCE = 10.0  # RGB: a colour this close to a blend of two others (or with white or black) is an edge
MIN_SHARE = 0.004  # of the coloured pixels: fewer is an edge or a speck, not an element
ANGLE_BINS = 720


@dataclass
class Axis:
    """pixel -> value along the value axis: value = slope * pixel + intercept."""

    slope: float
    intercept: float
    ticks: list[tuple[float, float]]  # (value, pixel) of the tick labels that agree

    def value(self, pixel: float) -> float:
        return self.slope * pixel + self.intercept


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


# -- colours ---------------------------------------------------------------------------------


def coloured(pixels: np.ndarray) -> np.ndarray:
    return (pixels.max(axis=2) - pixels.min(axis=2)) >= MIN_CHROMA


def _on_blend(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether `c` lies within TINT_DISTANCE of the segment from `a` to `b`."""
    ab = b - a
    t = float(np.clip(np.dot(c - a, ab) / max(float(np.dot(ab, ab)), 1e-9), 0.0, 1.0))
    return float(np.linalg.norm(c - (a + t * ab))) < TINT_DISTANCE


def flat_pixels(pixels: np.ndarray) -> np.ndarray:
    """Pixels that match all four neighbours: inside a shape, not on an anti-aliased or
    JPEG-smeared edge (an edge's blended pixels match only their neighbours along it)."""
    diff_x = np.abs(np.diff(pixels, axis=1)).max(axis=2) <= 12
    diff_y = np.abs(np.diff(pixels, axis=0)).max(axis=2) <= 12
    flat = np.zeros(pixels.shape[:2], dtype=bool)
    flat[1:-1, 1:-1] = diff_x[1:-1, :-1] & diff_x[1:-1, 1:] & diff_y[:-1, 1:-1] & diff_y[1:, 1:-1]
    return flat


def find_colours(pixels: np.ndarray, where: np.ndarray) -> list[np.ndarray]:
    """The colours of bars and slices among the pixels in `where`, most common first."""
    samples = pixels[where]
    if len(samples) == 0:
        return []
    flat = flat_pixels(pixels)[where]
    bins = (samples // 8).astype(np.int64)
    keys = bins[:, 0] * 1024 + bins[:, 1] * 32 + bins[:, 2]
    counts = np.bincount(keys, minlength=32768)
    flat_counts = np.bincount(keys, weights=flat.astype(float), minlength=32768)
    order = np.argsort(counts)[::-1]
    peaks: list[np.ndarray] = []
    white, black = np.array([255.0, 255.0, 255.0]), np.zeros(3)
    for key in order[:400]:
        if counts[key] < max(8, MIN_SHARE * len(samples)):
            break
        centre = samples[keys == key].mean(axis=0)
        if any(np.linalg.norm(centre - p) < PEAK_DISTANCE for p in peaks):
            continue
        flat_share = flat_counts[key] / counts[key]
        if flat_share < 0.15:
            continue  # an edge: bars and slices have insides
        on_blend = any(_on_blend(centre, p, white) or _on_blend(centre, p, black) for p in peaks) or any(
            _on_blend(centre, p, q) for i, p in enumerate(peaks) for q in peaks[i + 1 :]
        )
        if on_blend and flat_share < 0.5:
            continue
        peaks.append(centre)
    # Each colour as the mean of the pixels near its peak (JPEG noise averages out).
    refined = []
    for p in peaks:
        near = samples[np.linalg.norm(samples - p, axis=1) < PEAK_DISTANCE / 2]
        refined.append(near.mean(axis=0) if len(near) else p)
    return refined


TINT_LIMIT = 22.0  # RGB: how far a pixel may be from its line's colour-to-white blend
MIN_ALPHA = 0.45  # of the line's own ink: fainter pixels are too blended to say whose they are


def _tint_distance(values: np.ndarray, colour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each RGB value, its distance to the blend from `colour` to white, and how much
    of the colour's ink it has (alpha, 1 at the colour itself)."""
    ink = 255.0 - colour
    norm2 = max(float(ink @ ink), 1e-6)
    alpha = np.clip((255.0 - values) @ ink / norm2, 0.0, 1.2)
    return np.linalg.norm((255.0 - values) - alpha[:, None] * ink, axis=1), alpha


def find_line_colours(pixels: np.ndarray, where: np.ndarray, at_most: int | None) -> list[np.ndarray]:
    """The colours of lines. A thin line is mostly anti-aliased: its pixels are blends of
    its colour with white, often more of them than of the colour itself. So a peak that
    is a blend of a stronger peak with white (or of two peaks) is dropped, and when the
    legend says how many lines there are, only that many colours, those that own the
    most pixels, are kept."""
    samples = pixels[where]
    if len(samples) == 0:
        return []
    bins = (samples // 8).astype(np.int64)
    keys = bins[:, 0] * 1024 + bins[:, 1] * 32 + bins[:, 2]
    counts = np.bincount(keys, minlength=32768)
    peaks: list[np.ndarray] = []
    for key in np.argsort(counts)[::-1][:400]:
        if counts[key] < max(6, MIN_SHARE * len(samples)):
            break
        centre = samples[keys == key].mean(axis=0)
        if any(np.linalg.norm(centre - p) < PEAK_DISTANCE for p in peaks):
            continue
        peaks.append(centre)
    ink = [float(np.linalg.norm(255.0 - p)) for p in peaks]
    kept = []
    for i, p in enumerate(peaks):
        tint = any(
            ink[j] > ink[i] and _tint_distance(p[None], q)[0][0] < TINT_DISTANCE * 1.5 for j, q in enumerate(peaks) if j != i
        )
        blend = any(
            _on_blend(p, peaks[a], peaks[b]) for a in range(len(peaks)) for b in range(a + 1, len(peaks)) if i not in (a, b)
        )
        if not (tint or blend):
            kept.append(p)
    if at_most and len(kept) > at_most:
        owner = assign_lines(pixels, kept, where)
        owned = np.bincount(owner[owner >= 0].ravel(), minlength=len(kept))
        kept = [kept[i] for i in sorted(np.argsort(owned)[::-1][:at_most])]
    return kept


def legend_entries(pixels: np.ndarray, phrases: list[ChartWord]) -> list[tuple[np.ndarray, ChartWord]]:
    """(colour, label) of each legend entry: the strongest coloured pixels just left of
    each phrase (its swatch), which a legend draws unblended and clear of other lines."""
    entries = []
    height, width = pixels.shape[:2]
    for phrase in phrases:
        h = max(phrase.box[3] - phrase.box[1], 6.0)
        top, bottom = int(max(0, phrase.centre[1] - 0.6 * h)), int(min(height, phrase.centre[1] + 0.6 * h + 1))
        left, right = int(max(0, phrase.box[0] - 5 * h)), int(max(0, phrase.box[0] - 1))
        band = pixels[top:bottom, left:right]
        if band.size == 0:
            continue
        # The swatch is the run of coloured columns nearest the text: a line of the
        # chart may pass behind the legend further left.
        paint = (band.max(axis=2) - band.min(axis=2)) >= MIN_CHROMA
        runs = [r for r in _runs(paint.any(axis=0)) if r[1] - r[0] >= max(2.0, 0.5 * h)]  # a crossing line is narrower
        if not runs:
            continue
        start, end = runs[-1]
        start = max(start, end - int(round(0.8 * h)))  # its end by the text: a marker may touch its other end
        swatch = band[:, start:end][paint[:, start:end]]
        strength = np.linalg.norm(255.0 - swatch, axis=1)
        strong = swatch[strength >= np.percentile(strength, 60)]
        entries.append((np.median(strong, axis=0), phrase))
    return entries


def assign_lines(pixels: np.ndarray, colours: list[np.ndarray], where: np.ndarray) -> np.ndarray:
    """Per pixel, the line colour it is a blend of with white (-1: none), inside `where`."""
    out = np.full(pixels.shape[:2], -1, dtype=np.int16)
    if not colours:
        return out
    rows, cols = np.nonzero(where)
    values = pixels[rows, cols].astype(np.float32)
    scores = []
    for colour in colours:
        distance, alpha = _tint_distance(values, colour)
        scores.append(np.where(alpha >= MIN_ALPHA, distance, np.inf))
    table = np.stack(scores, axis=1)
    nearest = table.argmin(axis=1)
    best = table[np.arange(len(nearest)), nearest]
    runner_up = np.sort(table, axis=1)[:, 1] if len(colours) > 1 else np.full(len(best), np.inf)
    # A pixel as near one line's blend as another's is a crossing or a smear: nobody's.
    close = (best < TINT_LIMIT) & (best < 0.6 * runner_up)
    out[rows[close], cols[close]] = nearest[close]
    return out


def assign(pixels: np.ndarray, colours: list[np.ndarray], where: np.ndarray) -> np.ndarray:
    """Per pixel, the index of the element colour it is (-1: none), inside `where`."""
    out = np.full(pixels.shape[:2], -1, dtype=np.int16)
    if not colours:
        return out
    rows, cols = np.nonzero(where)
    values = pixels[rows, cols].astype(np.float32)
    distances = np.stack([np.linalg.norm(values - c, axis=1) for c in colours], axis=1)
    nearest = distances.argmin(axis=1)
    close = distances[np.arange(len(nearest)), nearest] < ASSIGN_DISTANCE
    out[rows[close], cols[close]] = nearest[close]
    return out


# -- the value axis --------------------------------------------------------------------------


# Letters Tesseract reads in place of digits in a lone number ("100¢" for "1000").
DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "¢": "0", "(": "0", ")": "0", "C": "0", "c": "0", "l": "1", "I": "1", "|": "1", "i": "1",
                                  "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9", "q": "9"})  # fmt: skip


def _readings(text: str) -> list[float]:
    """The numbers a tick label may be, likeliest first: as read, with look-alike
    letters taken for digits, and without a last or first character (a tick mark beside
    the number is read as "4", "1" or "-": "175-" as "1754")."""
    out = []
    fixed = text.translate(DIGIT_LOOKALIKES)
    # A short number is read whole: dropping a character of "20" makes "2" or "0".
    for variant in (text, fixed, *((fixed[:-1], fixed[1:]) if len(fixed) >= 3 else ())):
        number = number_of(variant) if variant else None
        if number is not None and number not in out:
            out.append(number)
    return out


def tick_readings(words: list[ChartWord], along: str) -> list[tuple[float, list[float]]]:
    """(position, possible numbers) per tick label; words on one line are joined both
    with and without a decimal point (Tesseract splits "17.5" into "17" and "5")."""
    rows: list[list[ChartWord]] = []
    for word in sorted(words, key=lambda w: w.centre[1]):
        height = max(word.box[3] - word.box[1], 1.0)
        if rows and abs(rows[-1][0].centre[1] - word.centre[1]) < 0.5 * height:
            rows[-1].append(word)
        else:
            rows.append([word])
    groups: list[list[ChartWord]] = []
    for row in rows:
        row.sort(key=lambda w: w.box[0])
        groups.append([row[0]])
        for word in row[1:]:
            last = groups[-1][-1]
            # Closer than a space (on a vertical axis, where each row is one label: closer
            # than a character): one number split where Tesseract lost its decimal point.
            gap = 1.2 if along == "y" else 0.6
            if word.box[0] - last.box[2] < gap * max(last.box[3] - last.box[1], 1.0):
                groups[-1].append(word)
            else:
                groups.append([word])
    out = []
    for group in groups:
        texts = ["".join(w.text for w in group)] + ([".".join(w.text for w in group)] if len(group) > 1 else [])
        numbers: list[float] = []  # the likeliest reading first
        for text in texts:
            numbers += [n for n in _readings(text) if n not in numbers]
        if numbers:
            x = (group[0].box[0] + group[-1].box[2]) / 2
            y = sum(w.centre[1] for w in group) / len(group)
            out.append((y if along == "y" else x, numbers))
    return out


def fit_axis(
    entries: list[tuple[float, list[float]]], tolerance: float = 0.02, rising: int = 0, zero_at: float | None = None
) -> Axis | None:
    """A straight line through most tick labels, given as (position, the numbers each
    may be: `tick_readings`): of every pair of labels and every way each may be read,
    the line most labels agree with (then the one that changes the fewest readings),
    refitted on those. `rising` 1 or -1: values must grow with the pixel position, or
    shrink (a vertical axis grows upwards, against pixel rows); 0: either. `zero_at`:
    where the value is 0 (bars start there), which settles two lines as well agreed."""
    if len(entries) < 2:
        return None
    reach = max(p for p, _ in entries) - min(p for p, _ in entries)
    best: tuple[int, int, int] = (0, 0, 0)
    chosen: list[tuple[float, float]] = []
    for i in range(len(entries)):
        for j in range(i + 1, len(entries)):
            pi, pj = entries[i][0], entries[j][0]
            if abs(pj - pi) < 3:
                continue
            for vi in entries[i][1]:
                for vj in entries[j][1]:
                    if vi == vj:
                        continue
                    slope = (vj - vi) / (pj - pi)
                    if rising and slope * rising <= 0:
                        continue
                    spread = abs(slope) * reach  # the values the labels span on this line
                    agree, changed = [], 0
                    for p, vs in entries:
                        expected = vi + slope * (p - pi)
                        near = [k for k, v in enumerate(vs) if abs(expected - v) <= tolerance * spread]
                        if near:
                            agree.append((vs[near[0]], p))
                            changed += near[0]
                    at_zero = zero_at is not None and abs(vi + slope * (zero_at - pi)) <= 2 * tolerance * spread
                    # Ticks are round: "5000" over "50004" (a tick mark read as a 4): a value
                    # with digits below a thousandth of the step costs two changed readings.
                    step = abs(slope) * float(np.median(np.diff(sorted(p for _, p in agree)))) if len(agree) > 1 else 0.0
                    unit = step / 1000 if step > 0 else 1.0
                    ragged = sum(abs(v / unit - round(v / unit)) > 0.05 for v, _ in agree)
                    score = (len(agree), int(at_zero), -(changed + 2 * ragged))
                    if score > best:
                        best, chosen = score, agree
    if len(chosen) < 2 or (len(chosen) < 3 and len(entries) >= 4) or max(abs(v) for v, _ in chosen) > 1e9:
        return None
    slope, intercept = np.polyfit([p for _, p in chosen], [v for v, _ in chosen], 1)
    return Axis(float(slope), float(intercept), [(v, p) for v, p in chosen])


def axis_from_words(words: list[ChartWord], along: str, zero_at: float | None = None) -> Axis | None:
    """The axis from the tick labels; `along` "y" uses each label's row, "x" its column."""
    return fit_axis(tick_readings(words, along), rising=-1 if along == "y" else 1, zero_at=zero_at)


# -- helpers ---------------------------------------------------------------------------------


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True, end exclusive."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


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


# -- bars ------------------------------------------------------------------------------------


def measure_bars(owner: np.ndarray, count: int, horizontal: bool) -> list[ReadElement | None]:
    """Each colour's bar: its widest run across the bars, its extent along the value axis."""
    out: list[ReadElement | None] = []
    for index in range(count):
        mine = owner == index
        across = mine.sum(axis=1 if horizontal else 0)  # pixels per row (horizontal) or column
        runs = [r for r in _runs(across >= 2) if r[1] - r[0] >= 3]
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
    return [((a + b - 1) / 2, b - a) for a, b in _runs(column)]


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
    words = chart_words(image, regions == REGION["element"])
    reading = read_chart(image, output, words)
    if reading.axis is None and reading.kind != "pie":
        values = regions == REGION["values"]
        inside = {id(w) for w in words_in(words, regions, ("values",))}
        words = [w for w in words if id(w) not in inside] + enlarged_words(image, values)
        reading = read_chart(image, output, words)
    if reading.legend_incomplete:
        legend = regions == REGION["legend"]
        inside = {id(w) for w in words_in(words, regions, ("legend",))}
        again = [w for w in words if id(w) not in inside] + enlarged_words(image, legend, scale=2.0)
        second = read_chart(image, output, again)
        if _labelled(second) > _labelled(reading):
            words, reading = again, second
    unlabelled = sum(1 for e in reading.elements if e.label is None or e.label_from == "colour")
    if reading.kind in ("vbar", "hbar", "pie") and unlabelled:
        labels = regions == REGION["labels"]
        slanted = slanted_words(image, labels, expected=len(reading.elements))
        if slanted:
            inside = {id(w) for w in words_in(words, regions, ("labels",))}
            second = read_chart(image, output, [w for w in words if id(w) not in inside] + slanted)
            if sum(1 for e in second.elements if e.label and e.label_from != "colour") > len(reading.elements) - unlabelled:
                reading = second
    return reading


def read_chart(image: Image.Image, output: np.ndarray, words: list[ChartWord], kinds: tuple[str, ...] = KINDS) -> ChartReading:
    """The table a chart shows, from the reader model's `output` (grid x grid x (regions
    + kinds)) and the words Tesseract read."""
    kind_probabilities = output[0, 0, len(REGIONS) :]
    kind = kinds[int(kind_probabilities.argmax())]
    regions = grid_to_pixels(output[..., : len(REGIONS)].argmax(-1).astype(np.uint8), image.size)
    pixels = np.asarray(image.convert("RGB")).astype(np.float32)
    paint = coloured(pixels)
    # One cell either side: the grid is coarse, a thin line or a bar's edge may fall just outside.
    grown = _grow(regions == REGION["element"], image.size)
    legend = regions == REGION["legend"]
    in_plot = grown & ~legend
    label_phrases = _phrases(_label_words(words_in(words, regions, ("labels",))))
    legend_phrases = _phrases(_label_words(words_in(words, regions, ("legend",))))
    value_words = words_in(words, regions, ("values",))
    entries: list[tuple[np.ndarray, ChartWord]] = []
    legend_incomplete = False
    if kind in ("line", "dotline"):
        entries = legend_entries(pixels, legend_phrases)
        peaks = find_line_colours(pixels, paint & in_plot, None)
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
        colours = find_colours(pixels, paint & in_plot)
        owner = assign(pixels, colours, paint & (in_plot | legend))
    plot_owner = np.where(in_plot, owner, -1)
    reading = ChartReading(kind, float(kind_probabilities.max()), [])
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
