"""Autoencoders, from the article's smallest example up.

The article defines an encoder h = sigma(W x + B) and a decoder x' = sigma(W' h + B'),
trained on the mean squared error, and tries it on the one-hot codes of 0..3
squeezed from 4 to 2 dimensions, hoping for a 2-bit code: [0,0], [0,1], [1,0], [1,1].
`build_toy` is exactly that network; `toy_table` and `toy_solved` say what it learnt.
"""

from __future__ import annotations

import keras
import numpy as np

TOY_INPUTS = np.eye(4, dtype=np.float32)
CORNER_TOLERANCE = 0.2  # each code coordinate within this of 0 or 1


def build_toy() -> keras.Sequential:
    """4 -> 2 -> 4, sigmoid on both layers (the article's network)."""
    return keras.Sequential(
        [
            keras.Input((4,), name="onehot"),
            keras.layers.Dense(2, activation="sigmoid", name="code"),
            keras.layers.Dense(4, activation="sigmoid", name="reconstruction"),
        ],
        name="autoencoder_toy",
    )


def toy_table(model: keras.Sequential) -> list[dict]:
    """The model on each of the four one-hot inputs: input, code and reconstruction."""
    code_layer, decoder = model.layers
    codes = keras.ops.convert_to_numpy(code_layer(TOY_INPUTS))
    rebuilt = keras.ops.convert_to_numpy(decoder(codes))
    return [
        {"input": x.tolist(), "code": [round(float(v), 4) for v in c], "reconstruction": [round(float(v), 4) for v in r]}
        for x, c, r in zip(TOY_INPUTS, codes, rebuilt)
    ]


def toy_solved(rows: list[dict]) -> bool:
    """All four inputs rebuilt (rounding the reconstruction gives the input back, so
    the argmax is right too) and the codes at four distinct corners."""
    codes = np.array([r["code"] for r in rows])
    rebuilt = np.array([r["reconstruction"] for r in rows])
    at_corners = np.all(np.minimum(codes, 1 - codes) <= CORNER_TOLERANCE)
    distinct = len({tuple(np.rint(c).astype(int)) for c in codes}) == 4
    rebuilt_all = np.array_equal(np.rint(rebuilt), TOY_INPUTS) and np.array_equal(rebuilt.argmax(axis=1), np.arange(4))
    return bool(rebuilt_all and at_corners and distinct)
