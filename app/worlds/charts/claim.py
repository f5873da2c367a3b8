"""Charts, the claim: whether a picture looks like a chart, from its pixels alone.

A chart (docs/charts.md) is mostly a white or light background, dark text (its
numbers and labels) and a few flat colours; a photo has thousands of colours, a shapes scene a gray background (the
shapes world is asked first). Measured on a copy `SIDE` pixels wide, so the check
costs about a millisecond whatever the upload's size.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from app.worlds.base import Claim, Fit

SIDE = 256
MIN_LIGHT = 0.35  # share of white or near-white pixels (>= 236: a shapes scene's gray, 219, is not)
MIN_PAINT = 0.002  # share of coloured pixels (bars, slices, lines)
MIN_DARK = 0.0001  # share of dark gray pixels: a chart has printed numbers and labels
MAX_DARK = 0.5  # share of dark pixels (text, axes, a dark bar): more is a document or a drawing
MIN_FLAT = 0.85  # share of pixels in the 16 commonest colours
MIN_WIDTH = 120  # px: a chart's text and ticks need room (the contract's charts are 300-1,000 wide)


def measure(image: Image.Image) -> dict[str, float]:
    small = image.convert("RGB")
    small = small.resize((SIDE, max(1, round(SIDE * small.height / small.width))), Image.Resampling.NEAREST)
    pixels = np.asarray(small).reshape(-1, 3).astype(np.int16)
    chroma = pixels.max(axis=1) - pixels.min(axis=1)
    light = float(((pixels.min(axis=1) >= 236) & (chroma < 20)).mean())
    paint = float((chroma >= 40).mean())
    dark = float(((pixels.max(axis=1) <= 110) & (chroma < 80)).mean())
    keys = (pixels // 16) @ np.array([256, 16, 1])
    counts = np.sort(np.bincount(keys, minlength=4096))[::-1]
    flat = float(counts[:16].sum() / len(keys))
    return {
        "light_share": round(light, 4),
        "paint_share": round(paint, 4),
        "dark_share": round(dark, 4),
        "flat_share": round(flat, 4),
    }


def check_chart(image: Image.Image) -> Claim:
    if image.width < MIN_WIDTH:
        return Claim(Fit.NONE, f"too small for a chart (under {MIN_WIDTH} pixels wide)")
    m = measure(image)
    if (
        m["light_share"] >= MIN_LIGHT
        and m["paint_share"] >= MIN_PAINT
        and MIN_DARK <= m["dark_share"] <= MAX_DARK
        and m["flat_share"] >= MIN_FLAT
    ):
        return Claim(Fit.FULL, "mostly white, a few flat colours and dark text: a chart", m)
    return Claim(Fit.NONE, "not a chart (charts are mostly white, with a few flat colours and dark text)", m)
