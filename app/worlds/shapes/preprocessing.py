"""Visual question answering: what shapes questions and images for the VQA models.

The training stream and the server both go through these functions, so a question
or an image reaches the model the same way in both.

- Questions: `app.worlds.vocabulary` (the tokenizer and vocabulary every world's
  question-reading models share).
- Images: a non-square image is letterboxed to a square with its border colour (never
  stretched), then resized to the model's input side; float32 RGB in 0..1.
- Answers: the softmax over the model's answer list, highest first.
- Where the model looked: occlusion sensitivity (Zeiler & Fergus 2014). The image is
  shown again with each patch covered by the background colour; the heatmap is how
  much the top answer's probability drops. It needs only forward passes (one batch),
  so it works on every backend and for every model.
- Out of distribution: the scene autoencoder's mean squared reconstruction error over
  its calibrated threshold (`ood_score` >= 1 means unlike any scene seen in training).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from app.worlds.vocabulary import MAX_TOKENS
from app.worlds.vocabulary import QuestionEncoder as QuestionEncoder  # the shapes trainers take it from here
from app.worlds.vocabulary import tokenize as tokenize

MAX_QUESTION_TOKENS = MAX_TOKENS
DEFAULT_IMAGE_SIDE = 64


def border_color(image: Image.Image | np.ndarray) -> tuple[int, int, int]:
    """The median colour of the outermost pixels (a scene's background)."""
    pixels = np.asarray(image.convert("RGB")) if isinstance(image, Image.Image) else image
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    red, green, blue = (int(v) for v in np.median(border, axis=0))
    return red, green, blue


LETTERBOX_MAX_SIDE = 1024  # larger pictures are shrunk first (aspect kept): a 16,000 x 1
# upload must not become a 16,000 x 16,000 square. Scenes (at most a few hundred pixels)
# never reach it, so training and serving stay one path.


def letterbox(image: Image.Image) -> Image.Image:
    """Pad the shorter side with the border colour, keeping the picture centred. (The
    picture itself when already square RGB: never changed in place.)"""
    image = image if image.mode == "RGB" else image.convert("RGB")  # convert() copies even RGB
    w, h = image.size
    if max(w, h) > LETTERBOX_MAX_SIDE:
        scale = LETTERBOX_MAX_SIDE / max(w, h)
        w, h = max(1, round(w * scale)), max(1, round(h * scale))
        image = image.resize((w, h), Image.Resampling.BILINEAR)
    if w == h:
        return image
    side = max(w, h)
    square = Image.new("RGB", (side, side), border_color(image))
    square.paste(image, ((side - w) // 2, (side - h) // 2))
    return square


def image_to_pixels(image: Image.Image, side: int = DEFAULT_IMAGE_SIDE) -> np.ndarray:
    """Any image -> uint8 RGB [side, side, 3]: letterboxed, then resized (Pillow's
    bilinear filter widens its support when shrinking, so small objects are averaged,
    not skipped). Training stores scenes in this form, 4 times smaller than floats."""
    square = letterbox(image)
    if square.size != (side, side):
        square = square.resize((side, side), Image.Resampling.BILINEAR)
    return np.asarray(square, dtype=np.uint8)


def pixels_to_input(pixels: np.ndarray) -> np.ndarray:
    """uint8 pixels (any leading shape) -> the float32 0..1 the models take."""
    return np.asarray(pixels, dtype=np.float32) / 255.0


def image_to_array(image: Image.Image, side: int = DEFAULT_IMAGE_SIDE) -> np.ndarray:
    """Any image -> float32 [side, side, 3] in 0..1, as every VQA model takes it."""
    return pixels_to_input(image_to_pixels(image, side))


# -- model assets and answers ---------------------------------------------------------------


def read_assets(model_dir: Path) -> dict:
    """The vocabulary and answer list saved beside a VQA model."""
    words = json.loads((Path(model_dir) / "vocab.json").read_text())
    labels = json.loads((Path(model_dir) / "answers.json").read_text())
    return {"encoder": QuestionEncoder(words), "labels": list(labels)}


def top_answers(probabilities: np.ndarray, labels: Sequence[str], k: int) -> list[dict]:
    order = np.argsort(-probabilities, kind="stable")[:k]
    return [{"answer": labels[i], "probability": round(float(probabilities[i]), 6)} for i in order]


# -- where the model looked ------------------------------------------------------------------

OCCLUSION_PATCH = 16  # pixels of the model's input: about a large object
OCCLUSION_STRIDE = 8


def occlusion_offsets(side: int, patch: int = OCCLUSION_PATCH, stride: int = OCCLUSION_STRIDE) -> list[tuple[int, int]]:
    steps = range(0, side - patch + 1, stride)
    return [(y, x) for y in steps for x in steps]


def occluded_copies(pixels: np.ndarray, patch: int = OCCLUSION_PATCH, stride: int = OCCLUSION_STRIDE) -> np.ndarray:
    """uint8 [side, side, 3] -> [patches, side, side, 3], each with one patch painted over
    in the image's border colour (the scene's background)."""
    side = pixels.shape[0]
    fill = np.array(border_color(pixels), np.uint8)
    offsets = occlusion_offsets(side, patch, stride)
    copies = np.repeat(pixels[None], len(offsets), axis=0)
    for i, (y, x) in enumerate(offsets):
        copies[i, y : y + patch, x : x + patch] = fill
    return copies


def occlusion_map(
    base_probability: float,
    occluded_probabilities: np.ndarray,
    side: int,
    patch: int = OCCLUSION_PATCH,
    stride: int = OCCLUSION_STRIDE,
) -> np.ndarray:
    """float [side, side] in 0..1: the mean drop of the answer's probability over the
    patches covering each pixel, scaled so the largest drop is 1 (all 0 if none)."""
    total = np.zeros((side, side), np.float64)
    covered = np.zeros((side, side), np.float64)
    for (y, x), p in zip(occlusion_offsets(side, patch, stride), occluded_probabilities, strict=False):
        total[y : y + patch, x : x + patch] += max(0.0, base_probability - float(p))
        covered[y : y + patch, x : x + patch] += 1
    heat = total / np.maximum(covered, 1)
    peak = heat.max()
    return (heat / peak if peak > 0 else heat).astype(np.float32)


def heatmap_image(heat: np.ndarray) -> Image.Image:
    """A see-through red-to-yellow overlay (RGBA): transparent where the model did not look."""
    h = np.clip(heat, 0.0, 1.0)
    rgba = np.stack([np.full_like(h, 255), 220 * h, np.zeros_like(h), 170 * h], axis=-1)
    return Image.fromarray(np.rint(rgba).astype(np.uint8), "RGBA")


# -- out of distribution ---------------------------------------------------------------------


def reconstruction_error(inputs: np.ndarray, rebuilt: np.ndarray) -> np.ndarray:
    """Mean squared error per image, both in 0..1: the scene autoencoder's score."""
    return ((np.asarray(rebuilt, np.float32) - inputs) ** 2).reshape(len(inputs), -1).mean(axis=1)
