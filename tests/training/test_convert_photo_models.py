"""The photo conversions on small, hand-made inputs: the readers and the translation.

The real packages are not downloaded here; the converted models' answers on the sample
photos are pinned in tests/routers/test_vqa_photos.py.
"""

from __future__ import annotations

import base64
import io
import pickle
import sys
import types
from collections import OrderedDict

import keras
import numpy as np
import pytest

from training import convert_centernet, convert_efficientnet_lite0
from training.torch_legacy import load_state_dict

# -- the legacy PyTorch reader -------------------------------------------------------


def _legacy_torch_file(tensors: dict[str, np.ndarray]) -> bytes:
    """A state dict in torch's legacy format, written without torch: pickles naming
    `torch.FloatStorage` and `torch._utils._rebuild_tensor_v2` through a stand-in module."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called: only pickled by reference")

    FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    torch.FloatStorage, utils._rebuild_tensor_v2, torch._utils = FloatStorage, _rebuild_tensor_v2, utils

    class Ref:
        def __init__(self, key, array):
            self.key, self.array = key, array

        def __reduce__(self):
            strides = tuple(s // self.array.itemsize for s in self.array.strides)
            return _rebuild_tensor_v2, (StorageRef(self.key, self.array.size), 0, self.array.shape, strides, False, OrderedDict())

    class StorageRef:
        def __init__(self, key, size):
            self.key, self.size = key, size

    class Writer(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", FloatStorage, obj.key, "cpu", obj.size, None) if isinstance(obj, StorageRef) else None

    saved = dict(sys.modules)
    sys.modules.update({"torch": torch, "torch._utils": utils})
    try:
        out = io.BytesIO()
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, out, protocol=2)
        keys = [str(i) for i in range(len(tensors))]
        Writer(out, protocol=2).dump(OrderedDict((n, Ref(k, a)) for k, (n, a) in zip(keys, tensors.items(), strict=True)))
        pickle.dump(keys, out, protocol=2)
        for array in tensors.values():
            out.write(np.int64(array.size).tobytes())
            out.write(np.ascontiguousarray(array, "<f4").tobytes())
    finally:
        sys.modules.clear()
        sys.modules.update(saved)
    return out.getvalue()


def test_the_legacy_reader_rebuilds_every_tensor():
    tensors = {"conv.weight": np.arange(24, dtype="float32").reshape(2, 3, 2, 2), "fc.bias": np.array([0.5, -1.0], "float32")}
    read = load_state_dict(_legacy_torch_file(tensors))
    assert read.keys() == tensors.keys()
    for name, array in tensors.items():
        np.testing.assert_array_equal(read[name], array)


def test_the_legacy_reader_refuses_other_classes():
    out = io.BytesIO()
    for header in (1, 1001, {}):
        pickle.dump(header, out, protocol=2)
    pickle.dump(OrderedDict(bad=print), out, protocol=2)  # builtins.print: a callable is not a tensor
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        load_state_dict(out.getvalue())


# -- EfficientNet-lite0 --------------------------------------------------------------


def _state_dict_like(model: keras.Model) -> dict[str, np.ndarray]:
    """Random PyTorch-named parameters shaped like EfficientNet-lite0's."""
    rng = np.random.default_rng(0)
    state: dict[str, np.ndarray] = {}

    def conv(name, layer):
        kernel = model.get_layer(layer).get_weights()[0]
        state[name] = rng.normal(size=kernel.transpose(3, 2, 0, 1).shape).astype("float32")

    def bn(prefix, layer):
        size = model.get_layer(layer).get_weights()[0].shape
        for k in ("weight", "bias", "running_mean"):
            state[f"{prefix}.{k}"] = rng.normal(size=size).astype("float32")
        state[f"{prefix}.running_var"] = rng.uniform(0.5, 2, size=size).astype("float32")

    conv("_conv_stem.weight", "stem_conv"), bn("_bn0", "stem_bn")
    for i in range(16):
        if model.get_layer(f"block{i}_dw_conv") and any(layer.name == f"block{i}_expand_conv" for layer in model.layers):
            conv(f"_blocks.{i}._expand_conv.weight", f"block{i}_expand_conv"), bn(f"_blocks.{i}._bn0", f"block{i}_expand_bn")
        dw = model.get_layer(f"block{i}_dw_conv").get_weights()[0]
        state[f"_blocks.{i}._depthwise_conv.weight"] = rng.normal(size=dw.transpose(2, 3, 0, 1).shape).astype("float32")
        bn(f"_blocks.{i}._bn1", f"block{i}_dw_bn")
        conv(f"_blocks.{i}._project_conv.weight", f"block{i}_project_conv"), bn(f"_blocks.{i}._bn2", f"block{i}_project_bn")
    conv("_conv_head.weight", "head_conv"), bn("_bn1", "head_bn")
    state["_fc.weight"] = rng.normal(size=(1000, 1280)).astype("float32")
    state["_fc.bias"] = rng.normal(size=(1000,)).astype("float32")
    return state


def test_efficientnet_has_the_papers_size_and_takes_every_weight():
    model = convert_efficientnet_lite0.build_model()
    assert model.count_params() == 4_694_024  # the source's parameters, less the 49 BatchNorm step counters
    state = _state_dict_like(model)
    convert_efficientnet_lite0.load_weights(model, convert_efficientnet_lite0.torch_to_keras_weights(state))
    np.testing.assert_array_equal(model.get_layer("logits").get_weights()[0], state["_fc.weight"].T)
    dw = model.get_layer("block3_dw_conv").get_weights()[0]
    np.testing.assert_array_equal(dw[:, :, 5, 0], state["_blocks.3._depthwise_conv.weight"][5, 0])
    out = model.predict(np.zeros((1, 224, 224, 3), "float32"), verbose=0)
    assert out.shape == (1, 1000) and abs(out.sum() - 1) < 1e-4


def test_efficientnet_refuses_a_state_dict_that_does_not_fit():
    model = convert_efficientnet_lite0.build_model()
    weights = convert_efficientnet_lite0.torch_to_keras_weights(_state_dict_like(model))
    del weights["head_bn"]
    with pytest.raises(ValueError, match="head_bn"):
        convert_efficientnet_lite0.load_weights(model, weights)


# -- CenterNet: the tfjs graph translated to Keras -----------------------------------


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _tiny_graph():
    """A tfjs-style graph with every op the translator knows, ending in the two outputs."""
    rng = np.random.default_rng(1)
    values = {
        "k1": rng.normal(size=(3, 3, 3, 4)).astype("float32"),
        "b1": rng.normal(size=(4,)).astype("float32"),
        "dw": rng.normal(size=(3, 3, 4, 1)).astype("float32"),
        "b2": rng.normal(size=(4,)).astype("float32"),
        "three": np.array(3.0, "float32"),
        "sixth": np.array(1 / 6, "float32"),
        "axes": np.array([1, 2], "int32"),
        "size": np.array([8, 8], "int32"),
        "axis": np.array(3, "int32"),
        "k3": rng.normal(size=(1, 1, 8, 2)).astype("float32"),
        "b3": rng.normal(size=(2,)).astype("float32"),
        "k4": rng.normal(size=(1, 1, 8, 4)).astype("float32"),
    }
    conv = lambda strides, fused: {  # noqa: E731
        "strides": {"list": {"i": ["1", str(strides), str(strides), "1"]}},
        "padding": {"s": _b64("SAME")},
        "data_format": {"s": _b64("NHWC")},
        "dilations": {"list": {"i": ["1", "1", "1", "1"]}},
        "T": {"type": "DT_FLOAT"},
        **({"fused_ops": {"list": {"s": [_b64(f) for f in fused]}}, "num_args": {"i": "1"}} if fused else {}),
    }
    float_t = {"T": {"type": "DT_FLOAT"}}
    nodes = [
        {"name": n, "op": "Const", "attr": {"dtype": {"type": "DT_INT32" if v.dtype.kind == "i" else "DT_FLOAT"}}}
        for n, v in values.items()
    ]
    nodes += [
        {
            "name": "tower_0/images",
            "op": "Placeholder",
            "attr": {
                "dtype": {"type": "DT_FLOAT"},
                "shape": {"shape": {"dim": [{"size": "1"}, {"size": "8"}, {"size": "8"}, {"size": "3"}]}},
            },
        },
        {"name": "c1", "op": "_FusedConv2D", "input": ["tower_0/images", "k1", "b1"], "attr": conv(2, ["BiasAdd", "Relu"])},
        {"name": "d1", "op": "FusedDepthwiseConv2dNative", "input": ["c1", "dw", "b2"], "attr": conv(1, ["BiasAdd"])},
        {"name": "hs/add", "op": "Add", "input": ["d1", "three"], "attr": float_t},
        {"name": "hs/relu6", "op": "Relu6", "input": ["hs/add"], "attr": float_t},
        {"name": "hs/mul", "op": "Mul", "input": ["sixth", "hs/relu6"], "attr": float_t},
        {"name": "hs/out", "op": "Mul", "input": ["d1", "hs/mul"], "attr": float_t},
        {"name": "se/mean", "op": "Mean", "input": ["hs/out", "axes"], "attr": {**float_t, "keep_dims": {"b": True}}},
        {"name": "se/sig", "op": "Sigmoid", "input": ["se/mean"], "attr": float_t},
        {"name": "se/out", "op": "Mul", "input": ["hs/out", "se/sig"], "attr": float_t},
        {
            "name": "up",
            "op": "ResizeBilinear",
            "input": ["se/out", "size"],
            "attr": {**float_t, "align_corners": {"b": False}, "half_pixel_centers": {"b": False}},
        },
        {"name": "cat", "op": "ConcatV2", "input": ["up", "up", "axis"], "attr": {**float_t, "N": {"i": "2"}}},
        {"name": "heads/cls", "op": "_FusedConv2D", "input": ["cat", "k3", "b3"], "attr": conv(1, ["BiasAdd"])},
        {"name": "tower_0/keypoints", "op": "Sigmoid", "input": ["heads/cls"], "attr": float_t},
        {"name": "tower_0/wh", "op": "Conv2D", "input": ["cat", "k4"], "attr": conv(1, [])},
    ]
    return nodes, values


def test_the_translated_graph_computes_what_tensorflow_computes():
    import tensorflow as tf

    nodes, values = _tiny_graph()
    graph = convert_centernet.GraphTranslator(nodes, values)
    inputs = graph.tensor("tower_0/images")
    translated = keras.Model(inputs, [graph.tensor(convert_centernet.HEATMAP), graph.tensor(convert_centernet.DISTANCES)])
    for name, weights in graph.weights.items():
        translated.get_layer(name).set_weights(weights)
    x = np.random.default_rng(2).uniform(0, 255, (1, 8, 8, 3)).astype("float32")
    ours = translated.predict(x, verbose=0)
    outputs = (convert_centernet.HEATMAP, convert_centernet.DISTANCES)
    theirs = [t.numpy() for t in convert_centernet.original_graph(nodes, values, outputs)(tf.constant(x))]
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_the_whole_model_ends_in_the_graphs_box_layout():
    nodes, values = _tiny_graph()
    model = convert_centernet.build_model(nodes, values)
    assert model.output_shape == (None, 100, 6)  # the 100 strongest of 8 x 8 cells x 2 classes
    out = model.predict(np.zeros((2, 8, 8, 3), "float32"), verbose=0)
    assert out.shape == (2, 100, 6) and np.all(np.diff(out[0, :, 4]) <= 0)  # best first


def test_an_op_without_a_translation_is_refused():
    nodes, values = _tiny_graph()
    next(n for n in nodes if n["name"] == "se/sig")["op"] = "Tanh"
    with pytest.raises(ValueError, match="Tanh has no translation"):
        convert_centernet.build_model(nodes, values)


def test_weights_are_read_and_widened_from_fp16():
    manifest = [
        {
            "weights": [
                {"name": "a", "shape": [2], "dtype": "float32", "quantization": {"dtype": "float16"}},
                {"name": "b", "shape": [], "dtype": "int32"},
            ]
        }
    ]
    data = np.array([1.5, -2.0], "float16").tobytes() + np.array([7], "int32").tobytes()
    values = convert_centernet.read_weights(manifest, data)
    assert values["a"].dtype == np.float32 and values["a"].tolist() == [1.5, -2.0] and int(values["b"]) == 7
    with pytest.raises(ValueError, match="does not describe"):
        convert_centernet.read_weights(manifest, data + b"\0\0")
