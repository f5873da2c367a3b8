"""The whole picture: whether a photo is in colour, and how dark it is, measured from
its pixels (no model knows better than the pixels themselves).

- Colour: the share of pixels whose chroma (brightest minus darkest channel) passes
  `COLOURFUL`. A black-and-white photo has next to none (JPEG noise gives a few), a
  colour photo many; a tinted one (sepia) falls between, and that is said, not guessed.
- Light: the mean lightness (Rec. 601 luma). Dark under `DARK`, bright over `BRIGHT`,
  neither between. The time of day is only ever a guess from it: a dim room at noon is
  dark, a lit street at night is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

SAMPLE_SIDE = 160  # the photo is measured at most this big: the shares do not need more
COLOURFUL = 0.1  # chroma, 0..1
COLOUR_PHOTO = 0.05  # at least this share of coloured pixels: a colour photo
GRAY_PHOTO = 0.01  # at most this share: black and white
DARK, BRIGHT = 0.3, 0.5  # mean lightness, 0..1


@dataclass(frozen=True)
class PictureMeasures:
    coloured_share: float
    lightness: float

    @property
    def colour(self) -> str | None:
        """ "colour", "gray", or None (between: tinted, or can't tell)."""
        if self.coloured_share >= COLOUR_PHOTO:
            return "colour"
        return "gray" if self.coloured_share <= GRAY_PHOTO else None

    @property
    def light(self) -> str | None:
        """ "dark", "bright", or None (neither)."""
        if self.lightness < DARK:
            return "dark"
        return "bright" if self.lightness > BRIGHT else None


def measure_picture(image: Image.Image) -> PictureMeasures:
    small = image.convert("RGB")
    small.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.BILINEAR)
    rgb = np.asarray(small, np.float32) / 255.0
    chroma = rgb.max(axis=-1) - rgb.min(axis=-1)
    lightness = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    return PictureMeasures(float((chroma > COLOURFUL).mean()), float(lightness.mean()))
