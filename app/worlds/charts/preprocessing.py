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


# -- the article's baseline (`chart_baseline`) ------------------------------------------------

BASELINE_SIDE = INPUT_SIDE // 2  # FigureQA's CNN + LSTM saw small pictures too
BASELINE_ANSWERS = ("yes", "no")  # it answers FigureQA's yes/no templates, nothing else
# FigureQA's fifteen templates in its own words: the only questions the baseline reads
# (the generator asks them; the world puts a question's meaning back into them).
BAR_TEMPLATES = {
    "minimum": "Is {x} the minimum?",
    "maximum": "Is {x} the maximum?",
    "less": "Is {x} less than {y}?",
    "greater": "Is {x} greater than {y}?",
    "low_median": "Is {x} the low median?",
    "high_median": "Is {x} the high median?",
}
LINE_TEMPLATES = {
    "min_area": "Does {x} have the minimum area under the curve?",
    "max_area": "Does {x} have the maximum area under the curve?",
    "smoothest": "Is {x} the smoothest?",
    "roughest": "Is {x} the roughest?",
    "lowest_value": "Does {x} have the lowest value?",
    "highest_value": "Does {x} have the highest value?",
    "line_less": "Is {x} less than {y}?",
    "line_greater": "Is {x} greater than {y}?",
    "intersect": "Does {x} intersect {y}?",
}
TEMPLATES = {**BAR_TEMPLATES, **LINE_TEMPLATES}


def baseline_pixels(pixels: np.ndarray) -> np.ndarray:
    """`chart_pixels` (..., INPUT_SIDE, INPUT_SIDE, 3) uint8 -> the baseline's float32 RGB
    in 0..1 at half the side, each pixel the mean of four: the baseline sees hue (it must
    match a colour-named label to its colour), unlike the reader."""
    rgb = np.asarray(pixels, dtype=np.float32) / 255.0
    *lead, height, width, channels = rgb.shape
    return rgb.reshape(*lead, height // 2, 2, width // 2, 2, channels).mean(axis=(-4, -2))


def baseline_input(image: Image.Image) -> np.ndarray:
    """The baseline's picture input: the reader's squeezed chart at half the side."""
    return baseline_pixels(chart_pixels(image))


def grid_to_pixels(regions: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A `GRID` map of region ids stretched back over a picture of `size` (width, height)."""
    width, height = size
    rows = np.minimum(np.arange(height) * regions.shape[0] // height, regions.shape[0] - 1)
    cols = np.minimum(np.arange(width) * regions.shape[1] // width, regions.shape[1] - 1)
    return regions[rows][:, cols]
