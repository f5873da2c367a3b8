"""The MoveNet conversion on a small, hand-made graph: the ops MoveNet adds to the
translator (a cast input, per-channel constants with one value, ReLU6 fused into a
convolution, AddV2, an unfused depthwise convolution, TF2's half-pixel resize) compute
what TensorFlow computes. The real package is not downloaded here; the converted model
is pinned on a sample photo in tests/worlds/photo/test_pose.py."""

from __future__ import annotations

import base64

import keras
import numpy as np
import pytest

from training import convert_centernet


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _graph():
    rng = np.random.default_rng(3)
    values = {
        "offset": np.zeros((1, 1, 1, 3), "float32"),
        "scale": np.full((1, 1, 1, 3), 1 / 127.5, "float32"),
        "one": np.array(1.0, "float32"),
        "k1": rng.normal(size=(3, 3, 3, 4)).astype("float32"),
        "b1": rng.normal(size=(4,)).astype("float32"),
        "dw": rng.normal(size=(3, 3, 4, 1)).astype("float32"),
        "half_size": np.array([4, 4], "int32"),
        "two": np.array([2, 2], "int32"),
        "k2": rng.normal(size=(1, 1, 4, 2)).astype("float32"),
        "b2": rng.normal(size=(2,)).astype("float32"),
    }
    float_t = {"T": {"type": "DT_FLOAT"}}
    conv = lambda strides, fused: {  # noqa: E731
        "strides": {"list": {"i": ["1", str(strides), str(strides), "1"]}},
        "padding": {"s": _b64("SAME")},
        "data_format": {"s": _b64("NHWC")},
        "dilations": {"list": {"i": ["1", "1", "1", "1"]}},
        **float_t,
        **({"fused_ops": {"list": {"s": [_b64(f) for f in fused]}}, "num_args": {"i": "1"}} if fused else {}),
    }
    nodes = [
        {"name": n, "op": "Const", "attr": {"dtype": {"type": "DT_INT32" if v.dtype.kind == "i" else "DT_FLOAT"}}}
        for n, v in values.items()
    ]
    nodes += [
        {
            "name": "input",
            "op": "Placeholder",
            "attr": {
                "dtype": {"type": "DT_FLOAT"},
                "shape": {"shape": {"dim": [{"size": "1"}, {"size": "-1"}, {"size": "-1"}, {"size": "3"}]}},
            },
        },
        {"name": "cast", "op": "Cast", "input": ["input"], "attr": {"SrcT": {"type": "DT_FLOAT"}, "DstT": {"type": "DT_FLOAT"}}},
        {"name": "sub", "op": "Sub", "input": ["cast", "offset"], "attr": float_t},
        {"name": "norm", "op": "Mul", "input": ["sub", "scale"], "attr": float_t},
        {"name": "centred", "op": "Sub", "input": ["norm", "one"], "attr": float_t},
        {"name": "c1", "op": "_FusedConv2D", "input": ["centred", "k1", "b1"], "attr": conv(2, ["BiasAdd", "Relu6"])},
        {"name": "d1", "op": "DepthwiseConv2dNative", "input": ["c1", "dw"], "attr": conv(1, [])},
        {"name": "sum", "op": "AddV2", "input": ["c1", "d1"], "attr": float_t},
        {"name": "size", "op": "Mul", "input": ["half_size", "two"], "attr": {"T": {"type": "DT_INT32"}}},
        {
            "name": "up",
            "op": "ResizeBilinear",
            "input": ["sum", "size"],
            "attr": {**float_t, "align_corners": {"b": False}, "half_pixel_centers": {"b": True}},
        },
        {"name": "head", "op": "_FusedConv2D", "input": ["up", "k2", "b2"], "attr": conv(1, ["BiasAdd"])},
    ]
    return nodes, values


def test_movenets_ops_compute_what_tensorflow_computes():
    import tensorflow as tf

    nodes, values = _graph()
    graph = convert_centernet.GraphTranslator(nodes, values, input_shape=(8, 8, 3))
    model = keras.Model(graph.tensor("input"), graph.tensor("head"))
    for name, weights in graph.weights.items():
        model.get_layer(name).set_weights(weights)
    x = np.random.default_rng(4).uniform(0, 255, (1, 8, 8, 3)).astype("float32")
    ours = model.predict(x, verbose=0)
    (theirs,) = convert_centernet.original_graph(nodes, values, ("head",), image="input")(tf.constant(x))
    assert ours.shape == (1, 8, 8, 2)
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-4)


def test_a_constant_with_several_values_is_refused():
    nodes, values = _graph()
    values["scale"] = np.array([[[[1.0, 2.0, 3.0]]]], "float32")
    graph = convert_centernet.GraphTranslator(nodes, values, input_shape=(8, 8, 3))
    with pytest.raises(ValueError, match="only x op scalar"):
        graph.tensor("head")
