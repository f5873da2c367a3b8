"""The scene parser (`scene_parser`): every object of a shapes scene, as a table.

NS-VQA (Yi et al. 2018) answers CLEVR by parsing the scene into a table of objects and
running the question as a program over it (`app.worlds.shapes.programs`). This is the
parsing half: a small fully convolutional network over the picture at 64 x 64 that
predicts, for each cell of a 16 x 16 grid, whether an object's centre falls in it, the
object's shape, colour and size, where in the cell the centre is and the box's side
(a per-cell grid like YOLO's or CenterNet's; the generator gives these labels free).

Rules the geometry guarantees (docs/shapes-scenes.md): two centres are at least 12 %
of the side apart along one axis (boxes of at least 9 % keep a 3 % gap), about two
cells, so a cell never holds two centres, and a 3 x 3 block around a peak holds one
object: the peak test keeps one object per block, and the block's objectness is its
presence. The grid holds logits; `decode` applies the activations, so training
(`parse_loss`) and serving read the same channels the same way.

Positions are fractions of the letterboxed square (`preprocessing.letterbox`), as the
spec measures them: fractions of the picture's longer side.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

from app.tasks import Prepared
from app.worlds.shapes import words as w

SERVES = ("scene_parser",)
NAME = "scene_parser"

IMAGE_SIDE = 64
GRID = 16  # cells per side: 4 input pixels, 6.25 % of the picture
SIDE_SCALE = 0.3  # the side channel's sigmoid times this: boxes up to 30 % of the picture
SHAPES = w.SHAPES
COLORS = w.COLORS
SIZES = w.SIZES
# Channel layout of the grid: objectness, shape, colour, size, centre in the cell (x, y), side.
OBJ = slice(0, 1)
SHAPE = slice(1, 1 + len(SHAPES))
COLOR = slice(SHAPE.stop, SHAPE.stop + len(COLORS))
SIZE = slice(COLOR.stop, COLOR.stop + len(SIZES))
CENTRE = slice(SIZE.stop, SIZE.stop + 2)
SIDE = slice(CENTRE.stop, CENTRE.stop + 1)
CHANNELS = SIDE.stop
FOUND_ABOVE = 0.5  # presence (a peak's block of objectness) over which it is an object
SHARE_ABOVE = 0.1  # a neighbour's objectness counts towards a peak's presence from here


@dataclass(frozen=True)
class ParsedObject:
    """One object as the parser reads it; positions are fractions of the letterboxed side."""

    shape: str
    color: str
    size: str
    x: float
    y: float
    side: float
    confidence: float  # the lowest of its objectness and its three attributes' probabilities


# -- the model -------------------------------------------------------------------------------


def _conv(x, filters: int, strides: int = 1, dilation: int = 1):
    x = layers.Conv2D(filters, 3, strides=strides, dilation_rate=dilation, padding="same", use_bias=False)(x)
    return layers.ReLU()(layers.BatchNormalization()(x))


def build_scene_parser(image_side: int = IMAGE_SIDE, width: int = 64) -> keras.Model:
    """64 x 64 x 3 -> 16 x 16 x CHANNELS logits. The receptive field of a cell (37 input
    pixels) covers the largest object (24 % of the side, 15 pixels) around its centre."""
    image = keras.Input((image_side, image_side, 3), name="image")
    x = _conv(image, width // 2)
    x = _conv(x, width * 3 // 4, strides=2)  # 64 -> 32
    x = _conv(x, width * 3 // 4)
    x = _conv(x, width, strides=2)  # 32 -> 16: the grid
    x = _conv(x, width)
    x = _conv(x, width * 3 // 2, dilation=2)
    x = layers.Conv2D(width * 3 // 2, 1, activation="relu")(x)
    grid = layers.Conv2D(CHANNELS, 1, name="grid")(x)
    return keras.Model(image, grid, name=NAME)


@keras.saving.register_keras_serializable(package="vqademo")
def parse_loss(target, grid):
    """Objectness as binary cross-entropy over every cell (positive cells weighted up:
    a scene has 3-6 of 256); shape, colour and size as cross-entropy and the centre and
    side as squared error, on the cells that hold an object."""
    present = target[..., 0]
    objectness = ops.binary_crossentropy(present, grid[..., 0], from_logits=True)
    objectness = ops.mean(objectness * (1.0 + 9.0 * present), axis=(1, 2))
    attributes = sum(
        ops.categorical_crossentropy(target[..., part], grid[..., part], from_logits=True) for part in (SHAPE, COLOR, SIZE)
    )
    geometry = ops.sum(ops.square(target[..., CENTRE.start :] - ops.sigmoid(grid[..., CENTRE.start :])), axis=-1)
    per_object = (attributes + 20.0 * geometry) * present
    count = ops.maximum(ops.sum(present, axis=(1, 2)), 1.0)
    return objectness + ops.sum(per_object, axis=(1, 2)) / count


# -- labels and reading -------------------------------------------------------------------------


def target_grid(objects: list[tuple[str, str, str, float, float, float]]) -> np.ndarray:
    """(shape, colour, size, x, y, side) in fractions of the letterboxed side -> the
    training target [GRID, GRID, CHANNELS]."""
    target = np.zeros((GRID, GRID, CHANNELS), np.float32)
    for shape, color, size, x, y, side in objects:
        col, row = min(GRID - 1, int(x * GRID)), min(GRID - 1, int(y * GRID))
        cell = target[row, col]
        cell[OBJ] = 1.0
        cell[SHAPE.start + SHAPES.index(shape)] = 1.0
        cell[COLOR.start + COLORS.index(color)] = 1.0
        cell[SIZE.start + SIZES.index(size)] = 1.0
        cell[CENTRE] = (x * GRID - col, y * GRID - row)
        cell[SIDE] = min(1.0, side / SIDE_SCALE)
    return target


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def decode(grid: np.ndarray) -> list[ParsedObject]:
    """One picture's grid of logits -> its objects, left to right."""
    grid = np.asarray(grid, np.float32)
    objectness = _sigmoid(grid[..., 0])
    padded = np.pad(objectness, 1)
    around = np.stack([padded[dy : dy + GRID, dx : dx + GRID] for dy in range(3) for dx in range(3)])
    # A centre on a cell's edge splits its objectness between the cells that share the edge;
    # no two centres are that close, so the 3 x 3 block's clear votes are one object's.
    presence = np.minimum(1.0, np.where(around >= SHARE_ABOVE, around, 0.0).sum(axis=0))
    peaks = (objectness >= around.max(axis=0)) & (presence > FOUND_ABOVE)
    found = []
    for row, col in zip(*np.nonzero(peaks), strict=True):
        cell = grid[row, col]
        parts = {name: _softmax(cell[part]) for name, part in (("shape", SHAPE), ("color", COLOR), ("size", SIZE))}
        dx, dy = _sigmoid(cell[CENTRE])
        found.append(
            ParsedObject(
                shape=SHAPES[int(parts["shape"].argmax())],
                color=COLORS[int(parts["color"].argmax())],
                size=SIZES[int(parts["size"].argmax())],
                x=float((col + dx) / GRID),
                y=float((row + dy) / GRID),
                side=float(_sigmoid(cell[SIDE])[0] * SIDE_SCALE),
                confidence=float(min(presence[row, col], *(p.max() for p in parts.values()))),
            )
        )
    return sorted(found, key=lambda o: (o.x, o.y))


def prepare(model: keras.Model, card: dict, folder) -> Prepared:
    """Serving hook: the parser needs nothing besides its file."""
    return Prepared()
