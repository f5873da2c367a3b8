"""The forward pass every peer server runs: the app's Keras file through one compiled
`tf.function` with a batch-free signature, as the app compiles it.

Copied beside each peer's program (they run in their own virtual environments, from
a temporary folder); the program reads what to serve from `peer.json` there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

CONFIG_FILE = "peer.json"
# `benchmarks.peers --peer-intra-op-threads N`: the peer's TensorFlow threads as the app
# sizes its own (app.runtime.intra_op_threads), to see what that choice alone is worth.
if threads := int(os.environ.get("PEER_INTRA_OP_THREADS", "0")):
    tf.config.threading.set_intra_op_parallelism_threads(threads)


def config() -> dict:
    """What to serve: {"name", "path", "inputs": [[name, shape, dtype]], "output", "port", ...}."""
    return json.loads((Path(__file__).parent / CONFIG_FILE).read_text())


def load_forward(path: str, inputs: list):
    """`forward(*rows) -> numpy` for the model at `path`, warmed up at batch 1, 8 and 32."""
    if "/vqa/" in path:
        import app.worlds.shapes.models  # noqa: F401  (registers the VQA model's layers)
    model = keras.saving.load_model(path, compile=False)
    specs = [(tuple(shape), dtype) for _, shape, dtype in inputs]
    signature = [tf.TensorSpec((None, *shape), dtype) for shape, dtype in specs]

    def call(*xs):
        return model(xs[0] if len(xs) == 1 else list(xs), training=False)

    concrete = tf.function(call, input_signature=signature, reduce_retracing=True).get_concrete_function()

    def forward(*rows):
        return concrete(*rows).numpy()

    for n in (1, 8, 32):
        forward(*(np.zeros((n, *shape), dtype) for shape, dtype in specs))
    return forward
