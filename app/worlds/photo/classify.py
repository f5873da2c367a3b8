"""Photos, what is in them: an ImageNet-1k classifier (EfficientNet-lite0).

The model comes from a PyPI package (`training/convert_efficientnet_lite0.py`); its
preprocessing is the one it was trained with: the shorter side resized to 256, the
centre 224 x 224 cropped, then (x - 127) / 128 per channel. The converter's check and
the server both call `photo_to_input`, so the two cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from app.tasks import Prepared
from app.worlds.photo import words

SERVES = ("photo_classify",)

SIDE = 224
RESIZE_SHORTER = 256  # the usual ImageNet evaluation crop: 224 of 256
MEAN, SCALE = 127.0, 128.0


def photo_to_pixels(image: Image.Image) -> np.ndarray:
    """RGB uint8, SIDE x SIDE: shorter side to RESIZE_SHORTER, then the centre crop."""
    image = image.convert("RGB")
    width, height = image.size
    scale = RESIZE_SHORTER / min(width, height)
    size = (max(SIDE, round(width * scale)), max(SIDE, round(height * scale)))
    image = image.resize(size, Image.Resampling.BILINEAR)
    left, top = (size[0] - SIDE) // 2, (size[1] - SIDE) // 2
    return np.asarray(image.crop((left, top, left + SIDE, top + SIDE)), dtype=np.uint8)


def pixels_to_input(pixels: np.ndarray) -> np.ndarray:
    return (pixels.astype(np.float32) - MEAN) / SCALE


def photo_to_input(image: Image.Image) -> np.ndarray:
    return pixels_to_input(photo_to_pixels(image))


def top_classes(
    probabilities: np.ndarray, labels: Sequence[str], k: int = 5, kind_of: Sequence[str | None] | None = None
) -> list[dict]:
    """The k most probable classes, each with its kind when `kind_of` (`kind_of_class`) is given."""
    order = np.argsort(-probabilities)[:k]
    top = [{"label": labels[i], "probability": round(float(probabilities[i]), 4)} for i in order]
    if kind_of is not None:
        for entry, i in zip(top, order, strict=True):
            entry["kind"] = kind_of[i]
    return top


def read_labels(folder: Path) -> list[str]:
    return list(json.loads((folder / "labels.json").read_text()))


def kind_indices(labels: Sequence[str]) -> dict[str, np.ndarray]:
    """Kind (`photo_words.KIND_RANGES`) -> the indices of its classes in `labels`."""
    position = {label: i for i, label in enumerate(labels)}
    kinds = {}
    for kind, ranges in words.KIND_RANGES.items():
        indices = [i for first, last in ranges for i in range(position[first], position[last] + 1)]
        kinds[kind] = np.array(sorted(set(indices)))
    return kinds


def kind_of_class(kinds: dict[str, np.ndarray], count: int) -> list[str | None]:
    """For each class index, the kind it belongs to (None for most objects)."""
    owner: list[str | None] = [None] * count
    for kind, indices in kinds.items():
        for i in indices:
            owner[i] = kind
    return owner


def prepare(model: keras.Model, card: dict, folder: Path) -> Prepared:
    labels = read_labels(folder)
    if len(labels) != model.outputs[0].shape[-1]:
        raise ValueError(f"labels.json has {len(labels)} labels for {model.outputs[0].shape[-1]} outputs")
    kinds = kind_indices(labels)
    # the classes that say which room a photo shows, looked up once, not per request
    room_classes = {label: labels.index(label) for names in words.ROOM_CLASSES.values() for label in names}
    assets = {"labels": labels, "kinds": kinds, "kind_of_class": kind_of_class(kinds, len(labels)), "room_classes": room_classes}
    return Prepared(assets=assets)
