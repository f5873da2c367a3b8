"""The face conversions' new ops on a small, hand-made graph, checked against NumPy (the
original graph is not run here: TensorFlow's oneDNN kernels crash on a channel pad's
followers, which `training/convert_faces.py` turns off before importing TensorFlow)."""

from __future__ import annotations

import base64

import keras
import numpy as np
import pytest

from app.worlds.photo.detect import PadChannels
from training import convert_centernet


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _graph():
    values = {
        "paddings": np.array([[0, 0], [0, 0], [0, 0], [0, 2]], "int32"),
        "rows": np.array([1, 8, 5], "int32"),
        "axes": np.array([1, 2], "int32"),
    }
    pool = {
        "ksize": {"list": {"i": ["1", "2", "2", "1"]}},
        "strides": {"list": {"i": ["1", "2", "2", "1"]}},
        "padding": {"s": _b64("SAME")},
        "T": {"type": "DT_FLOAT"},
    }
    nodes = [{"name": n, "op": "Const", "attr": {"dtype": {"type": "DT_INT32"}}} for n in values]
    nodes += [
        {
            "name": "input",
            "op": "Placeholder",
            "attr": {"shape": {"shape": {"dim": [{"size": "1"}, {"size": "4"}, {"size": "8"}, {"size": "3"}]}}},
        },
        {"name": "pool", "op": "MaxPool", "input": ["input"], "attr": pool},
        {"name": "pad", "op": "Pad", "input": ["pool", "paddings"], "attr": {"_cloned": {"b": True}}},
        {"name": "rows", "op": "Reshape", "input": ["pad", "rows"], "attr": {}},
        {"name": "mean", "op": "Mean", "input": ["pad", "axes"], "attr": {"keep_dims": {"b": False}}},
        {"name": "softmax", "op": "Softmax", "input": ["mean"], "attr": {}},
    ]
    return nodes, values


def test_pool_pad_reshape_mean_softmax_match_numpy():
    nodes, values = _graph()
    graph = convert_centernet.GraphTranslator(nodes, values)
    model = keras.Model(graph.tensor("input"), [graph.tensor("rows"), graph.tensor("softmax")])
    x = np.random.default_rng(5).normal(size=(1, 4, 8, 3)).astype("float32")
    rows, probabilities = model.predict(x, verbose=0)
    pooled = x.reshape(1, 2, 2, 4, 2, 3).max(axis=(2, 4))
    padded = np.pad(pooled, [[0, 0], [0, 0], [0, 0], [0, 2]])
    np.testing.assert_allclose(rows, padded.reshape(1, 8, 5), rtol=1e-6)
    mean = padded.mean(axis=(1, 2))
    np.testing.assert_allclose(probabilities, np.exp(mean) / np.exp(mean).sum(-1, keepdims=True), rtol=1e-5)


def test_only_a_pad_after_the_channels_is_translated():
    nodes, values = _graph()
    values["paddings"] = np.array([[0, 0], [1, 1], [0, 0], [0, 2]], "int32")
    with pytest.raises(ValueError, match="only zeros after the channels"):
        convert_centernet.GraphTranslator(nodes, values).tensor("pad")


def test_pad_channels_survives_saving(tmp_path):
    inputs = keras.Input((2, 2, 3))
    model = keras.Model(inputs, PadChannels(4)(inputs))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    x = np.ones((1, 2, 2, 3), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), np.pad(x, [[0, 0], [0, 0], [0, 0], [0, 4]]))
