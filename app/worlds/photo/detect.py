"""Photos, where things are: a COCO-80 object detector (MobileNetV3 CenterNet).

CenterNet predicts, on a grid 4 times coarser than its 512 x 512 input, a heatmap per
class whose local maxima are object centres, and at each cell the distances from the
centre to the box's four sides. The Keras model (`training/convert_centernet.py`)
ends as the original graph does, with its 100 strongest peaks as boxes (`KeepPeaks`,
`PeakBoxes`); `decode` keeps the sure ones and scales them to the photo's pixels.

The input is the photo stretched to 512 x 512, RGB in 0..255, as the model was trained.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from app.tasks import Prepared
from app.tasks.imaging import upload_box

SERVES = ("photo_detect",)

SIDE = 512
STRIDE = 4  # input pixels per heatmap cell
MAX_DETECTIONS = 100
NMS_IOU = 0.5  # a second box of the same class overlapping this much is the same object


@keras.saving.register_keras_serializable(package="vqa_demo")
class UpsampleBilinearLegacy(keras.layers.Layer):
    """x2 bilinear upsampling as TensorFlow 1's `resize_bilinear` did it (no half-pixel
    centres): output 2k is input k, output 2k+1 the mean of inputs k and k+1, the last
    row and column repeated. Keras' own bilinear upsampling samples half a pixel off,
    which would shift every box the converted weights predict."""

    def call(self, x):
        x = self._double(x, axis=1)
        return self._double(x, axis=2)

    @staticmethod
    def _double(x, axis: int):
        size = x.shape[axis]
        following = keras.ops.concatenate(
            [keras.ops.take(x, keras.ops.arange(1, size), axis=axis), keras.ops.take(x, [size - 1], axis=axis)], axis=axis
        )
        pairs = keras.ops.stack([x, (x + following) * 0.5], axis=axis + 1)
        shape = [-1 if d is None else d for d in x.shape]
        shape[axis] = size * 2
        shape[0] = -1
        return keras.ops.reshape(pairs, shape)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, height * 2, width * 2, channels)


@keras.saving.register_keras_serializable(package="vqa_demo")
class PadChannels(keras.layers.Layer):
    """Zeros appended after the channels (BlazeFace widens a residual branch this way)."""

    def __init__(self, extra: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.extra = extra

    def call(self, x):
        # zeros concatenated, not a pad: TensorFlow's oneDNN kernels crash the process on
        # what follows a channel pad in BlazeFace
        zeros = keras.ops.repeat(keras.ops.zeros_like(x[..., :1]), self.extra, axis=-1)
        return keras.ops.concatenate([x, zeros], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:3], input_shape[3] + self.extra)

    def get_config(self) -> dict:
        return {**super().get_config(), "extra": self.extra}


@keras.saving.register_keras_serializable(package="vqa_demo")
class ChannelConstant(keras.layers.Layer):
    """A constant per channel added or multiplied (a bias kept apart from its convolution)."""

    def __init__(self, operation: str = "add", **kwargs) -> None:
        super().__init__(**kwargs)
        self.operation = operation

    def build(self, input_shape):
        self.constant = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False, name="constant")

    def call(self, x):
        return x + self.constant if self.operation == "add" else x * self.constant

    def get_config(self) -> dict:
        return {**super().get_config(), "operation": self.operation}


@keras.saving.register_keras_serializable(package="vqa_demo")
class KeepPeaks(keras.layers.Layer):
    """A heatmap with every value that is not the maximum of its 3 x 3 neighbourhood
    set to 0: CenterNet's replacement for non-maximum suppression."""

    def call(self, heatmap):
        pooled = keras.ops.max_pool(heatmap, 3, strides=1, padding="same")
        return heatmap * keras.ops.cast(keras.ops.equal(heatmap, pooled), heatmap.dtype)


@keras.saving.register_keras_serializable(package="vqa_demo")
class PeakBoxes(keras.layers.Layer):
    """The `max_detections` strongest peaks over all classes, each as a box in input
    pixels: x1, y1, x2, y2, score, class (the original graph's own output layout)."""

    def __init__(self, max_detections: int = MAX_DETECTIONS, stride: int = STRIDE, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_detections, self.stride = max_detections, stride

    def call(self, inputs):
        peaks, distances = inputs
        _, height, width, classes = peaks.shape
        scores, index = keras.ops.top_k(keras.ops.reshape(peaks, (-1, height * width * classes)), self.max_detections)
        cell, label = index // classes, index % classes
        row, col = cell // width, cell % width
        per_cell = keras.ops.reshape(distances, (-1, height * width, 4))
        picked = keras.ops.take_along_axis(per_cell, keras.ops.repeat(keras.ops.expand_dims(cell, -1), 4, axis=-1), axis=1)
        x = keras.ops.cast(col * self.stride, "float32")
        y = keras.ops.cast(row * self.stride, "float32")
        left, top, right, bottom = (picked[..., i] for i in range(4))
        corners = [x - left, y - top, x + right, y + bottom, scores, keras.ops.cast(label, "float32")]
        return keras.ops.stack(corners, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.max_detections, 6)

    def get_config(self) -> dict:
        return {**super().get_config(), "max_detections": self.max_detections, "stride": self.stride}


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the photo's pixels

    def as_dict(self, upload_scale: float = 1.0) -> dict:
        """With the box in the upload's pixels when the image was decoded at `upload_scale`."""
        return {"label": self.label, "score": round(self.score, 4), "box": upload_box(self.box, upload_scale)}


def photo_to_input(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB").resize((SIDE, SIDE), Image.Resampling.BILINEAR), dtype=np.float32)


def decode(output: np.ndarray, labels: list[str], size: tuple[int, int], min_score: float) -> list[Detection]:
    """Boxes in the photo's pixels from one image's output (max_detections x 6), best first."""
    kept = output[output[:, 4] >= min_score]
    kept = kept[np.argsort(-kept[:, 4], kind="stable")]
    width, height = size
    scale = np.array([width, height, width, height], dtype=np.float32) / SIDE
    boxes = np.clip(kept[:, :4] * scale, 0, [width, height, width, height])
    found = [
        Detection(labels[int(c)], float(s), (float(b[0]), float(b[1]), float(b[2]), float(b[3])))
        for b, s, c in zip(boxes, kept[:, 4], kept[:, 5], strict=True)
    ]
    return suppress_duplicates(found)


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    overlap = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap
    return overlap / union if union > 0 else 0.0


def suppress_duplicates(detections: list[Detection]) -> list[Detection]:
    """Greedy per-class suppression: peaks of different scales can mark one object twice."""
    kept: list[Detection] = []
    for d in detections:  # best first
        if all(k.label != d.label or iou(k.box, d.box) < NMS_IOU for k in kept):
            kept.append(d)
    return kept


def read_labels(folder: Path) -> list[str]:
    return list(json.loads((folder / "labels.json").read_text()))


def prepare(model: keras.Model, card: dict, folder: Path) -> Prepared:
    labels = read_labels(folder)
    if model.outputs[0].shape[-1] != 6:
        raise ValueError(f"the model gives {model.outputs[0].shape[-1]} numbers per detection, not x1, y1, x2, y2, score, class")
    return Prepared(assets={"labels": labels})
