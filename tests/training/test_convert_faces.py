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


def _segment_graph():
    """The selfie model's extra ops: a per-channel bias and scale, an average pool, AddN and
    a transposed convolution (saved as Conv2DBackpropInput)."""
    rng = np.random.default_rng(6)
    values = {
        "bias": np.array([1.0, -2.0], "float32"),
        "scale": np.array([0.5, 3.0], "float32"),
        "k": rng.normal(size=(2, 2, 1, 2)).astype("float32"),
        "sizes": np.array([1, 8, 8, 1], "int32"),
    }
    nodes = [{"name": n, "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}}} for n in values]
    nodes += [
        {
            "name": "input_1",
            "op": "Placeholder",
            "attr": {"shape": {"shape": {"dim": [{"size": "1"}, {"size": "4"}, {"size": "4"}, {"size": "2"}]}}},
        },
        {"name": "biased", "op": "Add", "input": ["input_1", "bias"], "attr": {}},
        {"name": "scaled", "op": "Mul", "input": ["scale", "biased"], "attr": {}},
        {
            "name": "pool",
            "op": "AvgPool",
            "input": ["scaled"],
            "attr": {
                "ksize": {"list": {"i": ["1", "2", "2", "1"]}},
                "strides": {"list": {"i": ["1", "2", "2", "1"]}},
                "padding": {"s": _b64("VALID")},
            },
        },
        {"name": "sum", "op": "AddN", "input": ["scaled", "input_1"], "attr": {}},
        {
            "name": "up",
            "op": "Conv2DBackpropInput",
            "input": ["sizes", "k", "sum"],
            "attr": {"strides": {"list": {"i": ["1", "2", "2", "1"]}}, "padding": {"s": _b64("SAME")}},
        },
    ]
    return nodes, values


def test_channel_constants_pool_addn_and_transposed_convolution():
    nodes, values = _segment_graph()
    graph = convert_centernet.GraphTranslator(nodes, values)
    model = keras.Model(graph.tensor("input_1"), [graph.tensor("pool"), graph.tensor("up")])
    for name, weights in graph.weights.items():
        model.get_layer(name).set_weights(weights)
    x = np.random.default_rng(7).normal(size=(1, 4, 4, 2)).astype("float32")
    pooled, up = model.predict(x, verbose=0)
    scaled = (x + values["bias"]) * values["scale"]
    np.testing.assert_allclose(pooled, scaled.reshape(1, 2, 2, 2, 2, 2).mean(axis=(2, 4)), rtol=1e-5)
    summed = scaled + x
    # stride 2, kernel 2: every input pixel writes its own 2 x 2 block, no overlap
    expected = np.einsum("bhwc,ijoc->bhiwjo", summed, values["k"]).reshape(1, 8, 8, 1)
    np.testing.assert_allclose(up, expected, rtol=1e-4, atol=1e-5)
