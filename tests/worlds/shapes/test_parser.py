"""The scene parser's grid: labels and reading share one layout; the real model builds and learns."""

import keras
import numpy as np

from app.worlds.shapes import parser


def _logits(target: np.ndarray) -> np.ndarray:
    """A grid of logits that says exactly what the target says."""
    logits = np.where(target > 0.5, 8.0, -8.0).astype(np.float32)
    inside = np.clip(target[..., parser.CENTRE.start :], 1e-4, 1 - 1e-4)
    logits[..., parser.CENTRE.start :] = np.log(inside / (1 - inside))
    return logits


OBJECTS = [
    ("circle", "red", "small", 0.20, 0.30, 0.11),
    ("triangle", "yellow", "large", 0.70, 0.65, 0.21),
    ("square", "gray", "small", 0.93, 0.08, 0.10),
]


def test_target_and_decode_share_one_layout():
    found = parser.decode(_logits(parser.target_grid(OBJECTS)))
    assert [(o.shape, o.color, o.size) for o in found] == [(s, c, z) for s, c, z, *_ in OBJECTS]
    for o, (*_, x, y, side) in zip(found, OBJECTS, strict=True):
        assert abs(o.x - x) < 1e-3 and abs(o.y - y) < 1e-3 and abs(o.side - side) < 1e-3
        assert o.confidence > 0.99


def test_one_object_per_peak():
    logits = _logits(parser.target_grid(OBJECTS[:1]))
    row, col = 4, 3  # the circle's cell; a weaker neighbour is the same object, not a second one
    logits[row, col + 1, 0] = 4.0
    assert len(parser.decode(logits)) == 1


def test_the_model_learns_a_few_scenes():
    """The real builder, tiny data: the loss falls when it fits the same scenes twice over."""
    rng = np.random.default_rng(0)
    model = parser.build_scene_parser(width=16)
    assert model.output_shape == (None, parser.GRID, parser.GRID, parser.CHANNELS)
    targets = np.stack([parser.target_grid([OBJECTS[i % 3]]) for i in range(8)])
    images = rng.random((8, parser.IMAGE_SIDE, parser.IMAGE_SIDE, 3)).astype("float32")
    model.compile(keras.optimizers.Adam(1e-2), loss=parser.parse_loss)
    history = model.fit(images, targets, epochs=8, batch_size=8, verbose=0).history["loss"]
    assert np.isfinite(history).all() and history[-1] < history[0]
