"""Naming the colour of a thing in a photo from its own pixels.

The centre of the thing's box (its middle half each way, where the thing is rather
than its background) is converted to HSV, each pixel is named by the rules below, and
the most common name wins. A container (a cup, a bowl) is seen from above with its
contents in the middle, so for those the ring around the centre is used instead. The names are the eleven basic colour terms of English
(Berlin and Kay), the words people answer "what colour is it?" with.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from PIL import Image

# hue upper bounds (degrees) of the chromatic names, in order around the wheel
HUES = ((15, "red"), (40, "orange"), (70, "yellow"), (170, "green"), (260, "blue"), (300, "purple"), (345, "pink"), (360, "red"))
DARK, LIGHT, GREYISH = 0.22, 0.82, 0.2  # value and saturation cut-offs
SAMPLE_SIDE = 48  # the region is resampled to at most this: enough pixels to vote


def name_pixels(rgb: np.ndarray) -> np.ndarray:
    """A colour name for each RGB pixel (N x 3, 0..255)."""
    hsv = np.asarray(Image.fromarray(rgb.reshape(1, -1, 3).astype(np.uint8)).convert("HSV"), np.float32).reshape(-1, 3)
    hue, saturation, value = hsv[:, 0] * 360 / 255, hsv[:, 1] / 255, hsv[:, 2] / 255
    names = np.empty(len(rgb), dtype=object)
    chromatic = np.full(len(rgb), "red", dtype=object)
    for bound, name in reversed(HUES):
        chromatic[hue < bound] = name
    # orange and red that are dark are what people call brown; light red is pink
    # dark orange and yellow are what people call brown (dark red stays red: a maroon mug is "red")
    chromatic[np.isin(chromatic, ("orange", "yellow")) & (value < 0.6)] = "brown"
    chromatic[(chromatic == "red") & (value < 0.3)] = "brown"
    chromatic[(chromatic == "red") & (saturation < 0.5) & (value > 0.75)] = "pink"
    names[:] = chromatic
    grey = saturation < GREYISH
    names[grey] = "gray"
    names[grey & (value > LIGHT)] = "white"
    names[value < DARK] = "black"
    return names


CONTAINERS = {"cup", "bowl", "vase", "wine glass", "sink", "toilet", "bottle"}


def region_pixels(image: Image.Image, box: tuple[float, float, float, float] | None = None, ring: bool = False) -> np.ndarray:
    """The middle half of the box each way, or for a ring the box less its outer tenth
    and its central ellipse (half the box each way)."""
    width, height = image.size
    x1, y1, x2, y2 = box if box is not None else (0, 0, width, height)
    w, h = x2 - x1, y2 - y1
    margin = 0.1 if ring else 0.25
    crop = (int(x1 + w * margin), int(y1 + h * margin), int(np.ceil(x2 - w * margin)), int(np.ceil(y2 - h * margin)))
    region = image.convert("RGB").crop(crop)
    region.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.BILINEAR)
    pixels = np.asarray(region, dtype=np.uint8)
    if ring:
        rows, cols = np.mgrid[0 : pixels.shape[0], 0 : pixels.shape[1]]
        dy, dx = (rows + 0.5) / pixels.shape[0] - 0.5, (cols + 0.5) / pixels.shape[1] - 0.5
        inner = (dx / 0.3125) ** 2 + (dy / 0.3125) ** 2 <= 1.0  # half of the box, in the crop's units
        pixels = pixels[~inner]
    return pixels.reshape(-1, 3)


def dominant_colours(
    image: Image.Image, box: tuple[float, float, float, float] | None = None, label: str | None = None
) -> list[dict]:
    """Colour names with their share of the region's pixels, most common first."""
    pixels = region_pixels(image, box, ring=label in CONTAINERS)
    if len(pixels) == 0:
        return []
    counts = Counter(name_pixels(pixels).tolist())
    return [{"colour": name, "share": round(n / len(pixels), 3)} for name, n in counts.most_common(3)]
