"""The reader model's targets for a rendered chart: its kind and a map of regions.

The map (`app.worlds.charts.preprocessing.REGIONS`) is drawn from the layout the
renderer returns: element pixels are those within `COLOUR_DISTANCE` of an element's
colour inside its box (a line's box is the plot area, as it may cross anything there),
the legend is its box, and text is the boxes of the tick and slice labels and titles.
A cell of the `GRID` map takes a region when at least `MIN_COVER` of it is covered,
later regions over earlier ones (the legend last: its swatches share the elements'
colours but are not elements).
"""

from __future__ import annotations

import numpy as np
from matplotlib import colors as mcolors
from PIL import Image

from app.worlds.charts.preprocessing import GRID, KINDS, REGION
from training.datasets.charts.tables import LINE_KINDS

COLOUR_DISTANCE = 60.0  # RGB, 0..255: an element's own pixels, anti-aliased edges and JPEG noise included
MIN_COVER = 0.04


def _cells(mask: np.ndarray) -> np.ndarray:
    """The fraction of each GRID cell that `mask` (full size, bool) covers."""
    image = Image.fromarray(mask.astype(np.uint8) * 255)
    return np.asarray(image.resize((GRID, GRID), Image.Resampling.BOX), dtype=np.float32) / 255.0


def _box_mask(shape: tuple[int, int], boxes: list[list[float]], pad: float = 0.0) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    for x1, y1, x2, y2 in boxes:
        r1, r2 = max(0, int(y1 - pad)), min(shape[0], int(np.ceil(y2 + pad)))
        c1, c2 = max(0, int(x1 - pad)), min(shape[1], int(np.ceil(x2 + pad)))
        mask[r1:r2, c1:c2] = True
    return mask


def element_mask(pixels: np.ndarray, record: dict) -> np.ndarray:
    """Full-size: pixels of an element's colour inside its box, outside the legend."""
    table, layout = record["table"], record["layout"]
    shape = pixels.shape[:2]
    out = np.zeros(shape, dtype=bool)
    line = table["kind"] in LINE_KINDS
    for element, box in zip(table["elements"], layout["boxes"]):
        colour = np.array(mcolors.to_rgb(element["colour"])) * 255
        near = np.abs(pixels.astype(np.float32) - colour).sum(axis=2) < COLOUR_DISTANCE
        out |= near & _box_mask(shape, [layout["plot_box"] if line else box], pad=2)
    if layout.get("legend_box"):
        out &= ~_box_mask(shape, [layout["legend_box"]])
    return out


def targets(image: Image.Image, record: dict) -> tuple[int, np.ndarray]:
    """(kind index, GRID x GRID region ids as uint8) for one rendered chart."""
    pixels = np.asarray(image.convert("RGB"))
    shape = pixels.shape[:2]
    layout = record["layout"]
    regions = np.zeros((GRID, GRID), dtype=np.uint8)
    text = layout.get("text_boxes", {})
    layers = [
        ("element", element_mask(pixels, record)),
        ("values", _box_mask(shape, text.get("values", []), pad=1)),
        ("labels", _box_mask(shape, text.get("labels", []), pad=1)),
        ("other", _box_mask(shape, text.get("other", []), pad=1)),
        ("legend", _box_mask(shape, [layout["legend_box"]] if layout.get("legend_box") else [])),
    ]
    for name, mask in layers:
        regions[_cells(mask) >= MIN_COVER] = REGION[name]
    return KINDS.index(record["table"]["kind"]), regions
