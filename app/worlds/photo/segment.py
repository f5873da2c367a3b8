"""Photos, which pixels are people: MediaPipe's selfie segmentation (general, 256 x 256).

The model gives, per pixel of the photo stretched to 256 x 256, how sure it is that the
pixel shows a person (the package's library feeds it that way: `src/segmentation/
selfie.ts`, RGB in 0..1). The mask is used where clothes' colours are read (only the
pixels of the person, not the wall behind a narrow torso) and drawn on the page.
"""

from __future__ import annotations

import base64

import keras
import numpy as np
from PIL import Image

from app.tasks import Prepared
from app.tasks.imaging import png_bytes

SERVES = ("photo_segment",)

SIDE = 256
PERSON = 0.5  # a pixel this sure is the person's
MASK_SIDE = 128  # the longer side of the mask sent back to be drawn
TINT = (0, 194, 168)  # the page's skeleton colour


def photo_to_input(image: Image.Image) -> np.ndarray:
    rgb = image.convert("RGB").resize((SIDE, SIDE), Image.Resampling.BILINEAR)
    return np.asarray(rgb, dtype=np.float32) / 255.0


def mask_for(output: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The person probabilities at the photo's size (width, height), 0..1."""
    probabilities = Image.fromarray(np.clip(output[..., 0], 0.0, 1.0).astype(np.float32), mode="F")
    return np.asarray(probabilities.resize(size, Image.Resampling.BILINEAR), dtype=np.float32)


def mask_png(mask: np.ndarray) -> str:
    """The mask as a small tinted RGBA PNG (base64) to lay over the photo."""
    height, width = mask.shape
    scale = MASK_SIDE / max(width, height)
    small = Image.fromarray((mask * 255).astype(np.uint8), mode="L").resize(
        (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BILINEAR
    )
    alpha = (np.asarray(small, dtype=np.float32) * 0.45).astype(np.uint8)
    rgba = np.zeros((*alpha.shape, 4), dtype=np.uint8)
    rgba[..., :3], rgba[..., 3] = TINT, alpha
    return base64.b64encode(png_bytes(Image.fromarray(rgba, mode="RGBA"))).decode()


def prepare(model: keras.Model, card: dict, folder) -> Prepared:
    if tuple(model.outputs[0].shape[1:]) != (SIDE, SIDE, 1):
        raise ValueError(f"the model gives {tuple(model.outputs[0].shape[1:])}, not a {SIDE} x {SIDE} mask")
    return Prepared(assets={})
