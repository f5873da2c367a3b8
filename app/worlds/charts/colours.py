"""Charts, colours: which colours a chart's elements are drawn in, and which pixels
are whose.

Every element has its own colour (the contract). Bars and slices: the colours are the
peaks of the coloured pixels' histogram, and a peak that lies between another peak and
white or black, or between two peaks, is an anti-aliased edge, not an element. Lines:
a thin line is mostly blends of its colour with white, so its pixels are those that
blend its colour (taken from its legend swatch) with white.
"""

from __future__ import annotations

import numpy as np

from app.worlds.charts.text import ChartWord

MIN_CHROMA = 40  # 0..255: max - min channel; below it a pixel is black, gray or white
PEAK_DISTANCE = 22.0  # RGB: two colours closer than this are one element
ASSIGN_DISTANCE = 48.0  # RGB: a pixel this close to an element's colour is the element's
TINT_DISTANCE = 10.0  # RGB: a colour this close to a blend of two others (or with white or black) is an edge
MIN_SHARE = 0.004  # of the coloured pixels: fewer is an edge or a speck, not an element


def runs_of(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True, end exclusive."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


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


def find_line_colours(pixels: np.ndarray, where: np.ndarray) -> list[np.ndarray]:
    """The colours of lines without a legend read. A thin line is mostly anti-aliased:
    its pixels are blends of its colour with white, often more of them than of the
    colour itself, so a peak that is a blend of a stronger peak with white (or of two
    peaks) is dropped."""
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
        runs = [r for r in runs_of(paint.any(axis=0)) if r[1] - r[0] >= max(2.0, 0.5 * h)]  # a crossing line is narrower
        if not runs:
            continue
        start, end = runs[-1]
        start = max(start, end - int(round(0.8 * h)))  # its end by the text: a marker may touch its other end
        swatch = band[:, start:end][paint[:, start:end]]
        strength = np.linalg.norm(255.0 - swatch, axis=1)
        strong = swatch[strength >= np.percentile(strength, 60)]
        entries.append((np.median(strong, axis=0), phrase))
    return entries


def _owners(shape: tuple[int, ...], rows: np.ndarray, cols: np.ndarray, table: np.ndarray, close: np.ndarray) -> np.ndarray:
    """The owner map: each pixel at (rows, cols) takes its nearest colour in `table`
    (pixels x colours distances) where `close` allows it, else -1."""
    out = np.full(shape[:2], -1, dtype=np.int16)
    nearest = table.argmin(axis=1)
    out[rows[close], cols[close]] = nearest[close]
    return out


def assign_lines(pixels: np.ndarray, colours: list[np.ndarray], where: np.ndarray) -> np.ndarray:
    """Per pixel, the line colour it is a blend of with white (-1: none), inside `where`."""
    if not colours:
        return np.full(pixels.shape[:2], -1, dtype=np.int16)
    rows, cols = np.nonzero(where)
    values = pixels[rows, cols].astype(np.float32)
    scores = []
    for colour in colours:
        distance, alpha = _tint_distance(values, colour)
        scores.append(np.where(alpha >= MIN_ALPHA, distance, np.inf))
    table = np.stack(scores, axis=1)
    ordered = np.sort(table, axis=1)
    best = ordered[:, 0]
    runner_up = ordered[:, 1] if len(colours) > 1 else np.full(len(best), np.inf)
    # A pixel as near one line's blend as another's is a crossing or a smear: nobody's.
    return _owners(pixels.shape, rows, cols, table, (best < TINT_LIMIT) & (best < 0.6 * runner_up))


def assign(pixels: np.ndarray, colours: list[np.ndarray], where: np.ndarray) -> np.ndarray:
    """Per pixel, the index of the element colour it is (-1: none), inside `where`."""
    if not colours:
        return np.full(pixels.shape[:2], -1, dtype=np.int16)
    rows, cols = np.nonzero(where)
    values = pixels[rows, cols].astype(np.float32)
    table = np.stack([np.linalg.norm(values - c, axis=1) for c in colours], axis=1)
    return _owners(pixels.shape, rows, cols, table, table.min(axis=1) < ASSIGN_DISTANCE)
