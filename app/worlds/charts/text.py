"""Charts, the printed text: tick numbers and labels, read by Tesseract with their boxes.

Chart text is small (7-12 pt) and sparse, so the picture is enlarged until its text is
about the size Tesseract reads best (`TARGET_WIDTH`), and every word with a box is
kept with its confidence: a tick number is one or two characters, which the photo
path's word filter would drop. Which word is what (a tick, a label, a title) is decided
by the region the reader model put it in, not here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app import ocr

TARGET_WIDTH = 1400  # px: small chart text is enlarged to this width (at most 2.5 x)
MAX_ENLARGE = 2.5
MIN_CONFIDENCE = 20.0  # Tesseract's 0-100: low, because the regions and the axis fit check the words
# Chart text is dark on light: skipping Tesseract's second pass for light-on-dark text saves a tenth.
NO_INVERT = (("tessedit_do_invert", "0"),)
NUMBER = re.compile(r"^[-\u2212]?\d{1,3}(?:,\d{3})*(?:\.\d+)?%?$|^[-\u2212]?\d+(?:\.\d+)?%?$")

__all__ = ["ChartWord", "chart_words", "enlarged_words", "number_of", "read_words", "slanted_words"]


@dataclass(frozen=True)
class ChartWord:
    text: str
    confidence: float  # 0-100
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the chart's pixels

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2


def number_of(text: str) -> float | None:
    """A tick label's number ("1,000", "2.5", "40%", "\u22125"), or None."""
    cleaned = text.strip().rstrip(".")
    if not NUMBER.match(cleaned):
        return None
    return float(cleaned.replace(",", "").replace("%", "").replace("\u2212", "-"))


def read_words(image: Image.Image, scale: float | None = None, page_mode: int = 11) -> list[ChartWord]:
    """Every word Tesseract finds, in the picture's pixels; blocks its thread. The
    picture is enlarged by `scale`, by default so that a chart is `TARGET_WIDTH` wide."""
    gray = image.convert("L") if image.mode != "L" else image
    scale = scale or min(MAX_ENLARGE, max(1.0, TARGET_WIDTH / gray.width))
    if scale > 1.0:
        gray = gray.resize((round(gray.width * scale), round(gray.height * scale)), Image.Resampling.LANCZOS)
    words = []
    for row in ocr.tsv(gray, page_mode, NO_INVERT).splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) != 12 or not cells[11].strip():
            continue
        confidence, text = float(cells[10]), cells[11].strip()
        if confidence >= MIN_CONFIDENCE:
            left, top, width, height = (int(v) / scale for v in cells[6:10])
            words.append(ChartWord(text, confidence, (left, top, left + width, top + height)))
    return words


SLANTS = (30.0, 45.0, 90.0)  # degrees counter-clockwise: how tick labels are turned when they crowd


def chart_words(image: Image.Image, elements: np.ndarray) -> list[ChartWord]:
    """The chart's words: Tesseract on the picture in gray with its elements blanked out
    (big coloured areas throw its page layout off)."""
    gray = np.asarray(image.convert("L")).copy()
    gray[elements] = 255
    return read_words(Image.fromarray(gray))


def enlarged_words(image: Image.Image, region: np.ndarray, scale: float = 3.0) -> list[ChartWord]:
    """The words of one region read again at `scale` times the size: tick numbers a few
    pixels high, which the whole-chart pass misses. One block of text (--psm 6): sparse
    text mode drops lone digits ("0 2 4 6 8")."""
    if not region.any():
        return []
    rows, cols = np.nonzero(region)
    top, left = max(0, int(rows.min()) - 2), max(0, int(cols.min()) - 2)
    crop = image.convert("L").crop((left, top, int(cols.max()) + 3, int(rows.max()) + 3))
    return [
        ChartWord(w.text, w.confidence, (w.box[0] + left, w.box[1] + top, w.box[2] + left, w.box[3] + top))
        for w in read_words(crop, scale=scale, page_mode=6)
    ]


def slanted_words(image: Image.Image, labels: np.ndarray, expected: int) -> list[ChartWord]:
    """The words of the labels region read level at each of `SLANTS` until `expected`
    are clear (crowded tick labels are printed slanted, which Tesseract cannot read)."""
    if not labels.any():
        return []
    rows, cols = np.nonzero(labels)
    top, left = int(rows.min()), int(cols.min())
    crop = image.convert("L").crop((left, top, int(cols.max()) + 1, int(rows.max()) + 1))
    best: list[ChartWord] = []
    for slant in SLANTS:
        found = [_unrotate(w, slant, crop.size, (left, top)) for w in read_words(crop.rotate(-slant, expand=True, fillcolor=255))]
        found = [w for w in found if _clear(w)]
        if len(found) > len(best):
            best = found
        if len(best) >= expected:
            break
    return best


def _clear(word: ChartWord) -> bool:
    """A word read clearly enough to count as a label (slanted text read level gives
    short, unsure fragments)."""
    return sum(ch.isalnum() for ch in word.text) >= 3 and word.confidence >= 50


def _unrotate(word: ChartWord, slant: float, size: tuple[int, int], offset: tuple[int, int]) -> ChartWord:
    """A word found in the crop turned by -slant (PIL, expanded), back in the chart's pixels;
    its box is a small square around its centre (the turned box is not upright)."""
    width, height = size
    angle = math.radians(slant)
    cos, sin = math.cos(angle), math.sin(angle)
    turned_w, turned_h = abs(width * cos) + abs(height * sin), abs(width * sin) + abs(height * cos)
    x, y = word.centre
    dx, dy = x - turned_w / 2, y - turned_h / 2
    # Undo a clockwise turn by `slant` (y downwards): turn counter-clockwise.
    ox, oy = dx * cos + dy * sin, -dx * sin + dy * cos
    cx, cy = ox + width / 2 + offset[0], oy + height / 2 + offset[1]
    half = max(2.0, (word.box[3] - word.box[1]) / 2)
    return ChartWord(word.text, word.confidence, (cx - half, cy - half, cx + half, cy + half))
