"""Charts: what the reader model sees and what it says, shared by training and serving.

The model reads a chart squeezed to `INPUT_SIDE` x `INPUT_SIDE` (stretched, not
letterboxed: charts run from 0.55 to 1 high per wide, and every pixel row and column
of the plot matters more than the aspect), as lightness and colourfulness without the
hue (`features`), and answers two things:
- `kind`: which of FigureQA's five kinds the chart is (`KINDS`);
- `regions`: a `GRID` x `GRID` map of what each cell of the picture holds (`REGIONS`):
  elements (bars, slices, lines), the legend, the value axis's tick labels, the
  elements' own labels, other text, or nothing.
The reading (`app.worlds.charts.reading`) measures the elements in the full-size
picture inside the regions the model found.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

INPUT_SIDE = 256
GRID = 64
KINDS = ("vbar", "hbar", "pie", "line", "dotline")
REGIONS = ("background", "element", "legend", "values", "labels", "other")
REGION = {name: i for i, name in enumerate(REGIONS)}


def chart_pixels(image: Image.Image) -> np.ndarray:
    """The chart squeezed to `INPUT_SIDE` square, RGB uint8 (what training stores)."""
    return np.asarray(image.convert("RGB").resize((INPUT_SIDE, INPUT_SIDE), Image.Resampling.BILINEAR))


def features(pixels: np.ndarray) -> np.ndarray:
    """What the model sees of RGB uint8 pixels (..., 3): lightness, colourfulness (max -
    min channel) and the brightest channel, float32 in 0..1. Not the hue: the training
    split pairs colours with chart kinds (FigureQA's design), and a model that cannot
    see which colour a bar is cannot learn that shortcut."""
    rgb = pixels.astype(np.float32) / 255.0
    lightness = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    high, low = rgb.max(axis=-1), rgb.min(axis=-1)
    return np.stack([lightness, high - low, high], axis=-1)


def chart_input(image: Image.Image) -> np.ndarray:
    """The model's input for a chart: `features` of it squeezed to `INPUT_SIDE` square."""
    return features(chart_pixels(image))


def grid_to_pixels(regions: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A `GRID` map of region ids stretched back over a picture of `size` (width, height)."""
    width, height = size
    rows = np.minimum(np.arange(height) * regions.shape[0] // height, regions.shape[0] - 1)
    cols = np.minimum(np.arange(width) * regions.shape[1] // width, regions.shape[1] - 1)
    return regions[rows][:, cols]
