"""Handwritten digits: MNIST-style preprocessing, the models of the dropout article, and
what the server makes of their outputs.

MNIST digits were made by fitting each digit into a 20 x 20 box (aspect kept,
anti-aliased) and pasting it into 28 x 28 with its centre of mass at the centre.
`image_to_mnist` repeats that for any upload, so a digit drawn large and off-centre
on a white canvas reaches the model looking like the data it learnt from.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from PIL import Image

from app import runtime
from app.tasks import Prepared
from app.tasks.imaging import ImageError

SERVES = ("digits",)

SIDE = 28
BOX = 20  # MNIST fits each digit's longer side to 20 px
# Measured over MNIST's training set: the mean centre of mass is (13.99, 14.00) in
# pixel-index coordinates, so digits are pasted with their centre of mass at (14, 14).
CENTRE = 14.0
INPUT_SHAPE = (SIDE, SIDE, 1)
NUM_CLASSES = 10

INK_THRESHOLD = 0.25  # fraction of full contrast that counts as ink when cropping
NOISE_FLOOR = 0.05  # contrast below this is paper texture or JPEG noise, set to 0
MIN_CONTRAST = 0.15  # less than this between paper and darkest ink: no digit at all

# A prediction is `unsure` when its predictive entropy exceeds this many nats
# (ln 10 = 2.30 is a uniform guess; 0.5 is roughly a 90/10 split between two digits).
UNSURE_ENTROPY_NATS = 0.5


class NoInkError(ImageError):
    """The image holds no visible stroke to read as a digit (a 400)."""


# ----------------------------------------------------------------------------------
# Preprocessing (serving: any image; training: MNIST arrays)
# ----------------------------------------------------------------------------------


def to_model_input(images: np.ndarray) -> np.ndarray:
    """MNIST-layout images (uint8 0..255 or float 0..1; [28,28], [N,28,28], [N,784],
    [N,28,28,1]) to the float32 [N, 28, 28, 1] batch every digits model takes."""
    x = np.asarray(images)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    return x.reshape((-1, *INPUT_SHAPE))


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """Composite transparency onto whichever of black or white the ink is not."""
    rgba = image.convert("RGBA")
    pixels = np.asarray(rgba, dtype=np.float32)
    alpha = pixels[..., 3]
    if alpha.min() == 255:
        return rgba.convert("RGB")
    opaque = alpha > 127
    ink_luma = pixels[..., :3][opaque].mean() if opaque.any() else 0.0
    background = (255, 255, 255) if ink_luma < 128 else (0, 0, 0)
    flat = Image.new("RGB", rgba.size, background)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _gray_ink(image: Image.Image) -> np.ndarray:
    """Gray, light ink on dark paper, paper at 0 and full ink at 1."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = _flatten_alpha(image)
    gray = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    paper = float(np.median(border))
    if paper > 0.5:  # dark ink on light paper: flip to MNIST's polarity
        gray, paper = 1.0 - gray, 1.0 - paper
    contrast = float(gray.max()) - paper
    if contrast < MIN_CONTRAST:
        raise NoInkError("the image has no visible digit: draw or upload a darker or lighter stroke")
    ink = np.clip((gray - paper) / contrast, 0.0, 1.0)
    ink[ink < NOISE_FLOOR] = 0.0
    return ink


def _fit_box(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink and scale its longer side to BOX pixels, keeping the aspect."""
    rows = np.flatnonzero((ink >= INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink >= INK_THRESHOLD).any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resized = Image.fromarray(crop, mode="F").resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def _paste_centred(digit: np.ndarray) -> np.ndarray:
    """Paste into 28 x 28 with the centre of mass at (CENTRE, CENTRE)."""
    h, w = digit.shape
    mass = digit.sum()
    com_y = (digit.sum(axis=1) * np.arange(h)).sum() / mass
    com_x = (digit.sum(axis=0) * np.arange(w)).sum() / mass
    top = int(np.clip(round(CENTRE - com_y), 0, SIDE - h))
    left = int(np.clip(round(CENTRE - com_x), 0, SIDE - w))
    canvas = np.zeros((SIDE, SIDE), dtype=np.float32)
    canvas[top : top + h, left : left + w] = digit
    return canvas


def image_to_mnist(image: Image.Image) -> np.ndarray:
    """Any photo, scan or canvas drawing of one digit -> [28, 28] float32 in 0..1."""
    return _paste_centred(_fit_box(_gray_ink(image)))


# ----------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------


def build_cnn(dropout: bool = True) -> keras.Sequential:
    """The served `digits` model: two conv blocks and a dense head, dropout after each.

    Built-in layers only, so plain `keras.saving.load_model` opens the file. Batch
    normalisation speeds training on a CPU budget; Monte-Carlo dropout keeps it in
    inference mode (see `mc_dropout_forward`).
    """

    def conv_block(filters: int) -> list[keras.layers.Layer]:
        return [
            keras.layers.Conv2D(filters, 3, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.Conv2D(filters, 3, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.MaxPooling2D(),
            keras.layers.Dropout(0.25 if dropout else 0.0),
        ]

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE, name="image"),
            *conv_block(32),
            *conv_block(64),
            keras.layers.Flatten(),
            keras.layers.Dense(256, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.Dropout(0.5 if dropout else 0.0),
            keras.layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name="digits",
    )


def build_mlp(dropout: bool, hidden: int = 1024, depth: int = 3, max_norm: float | None = 3.0) -> keras.Sequential:
    """The dropout article's MLP (Srivastava et al. 2014): 784-1024-1024-1024-10 ReLU,
    dropout 0.2 on the input and 0.5 on hidden units, max-norm on incoming weights.
    Without dropout the same network is built with neither dropout nor max-norm."""
    constraint = keras.constraints.MaxNorm(max_norm) if (dropout and max_norm) else None
    layers: list[keras.layers.Layer] = [keras.Input(INPUT_SHAPE, name="image"), keras.layers.Flatten()]
    if dropout:
        layers.append(keras.layers.Dropout(0.2))
    for _ in range(depth):
        layers.append(keras.layers.Dense(hidden, activation="relu", kernel_constraint=constraint))
        if dropout:
            layers.append(keras.layers.Dropout(0.5))
    layers.append(keras.layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"))
    return keras.Sequential(layers, name="digits_mlp" if dropout else "digits_mlp_nodropout")


def mc_dropout_forward(model: keras.Sequential, x):
    """One stochastic pass: dropout active, everything else (batch norm) in inference
    mode. `model(x, training=True)` would also switch batch norm to batch statistics,
    which for N copies of one image are not the statistics the model learnt."""
    for layer in model.layers:
        x = layer(x, training=isinstance(layer, keras.layers.Dropout))
    return x


def has_dropout(model: keras.Model) -> bool:
    return any(isinstance(layer, keras.layers.Dropout) and layer.rate > 0 for layer in model.layers)


# ----------------------------------------------------------------------------------
# Postprocessing
# ----------------------------------------------------------------------------------


def entropy(p) -> float:
    """In nats. Plain Python: for ten numbers, numpy's per-call overhead is most of the cost."""
    return -sum(v * math.log(v) for v in map(float, p) if v > 1e-12)


def summarise(probabilities: np.ndarray, mc_probabilities: np.ndarray | None = None) -> dict:
    """The API answer for one image: the digit, its 10 probabilities and uncertainty.

    Without Monte-Carlo samples the uncertainty is the softmax's own entropy. With
    them (Gal & Ghahramani 2016) it is the entropy of the mean over the stochastic
    passes, split into the expected entropy (noise in the digit itself) and the
    mutual information (what the model does not know).
    """
    p = [float(v) for v in probabilities]
    total = sum(p)
    p = [v / total for v in p]
    result: dict = {"digit": max(range(len(p)), key=p.__getitem__), "probabilities": p}
    if mc_probabilities is None or len(mc_probabilities) == 0:
        h = entropy(p)
        result["uncertainty"] = {
            "method": "softmax",
            "entropy": h,
            "unsure": h > UNSURE_ENTROPY_NATS,
            "unsure_threshold_nats": UNSURE_ENTROPY_NATS,
        }
        return result
    samples = np.asarray(mc_probabilities, np.float64)
    mean = samples.mean(axis=0)
    predictive = entropy(mean)
    expected = float(np.mean([entropy(s) for s in samples]))
    votes = np.bincount(samples.argmax(axis=1), minlength=NUM_CLASSES)
    result["uncertainty"] = {
        "method": "mc_dropout",
        "samples": int(len(samples)),
        "mean_probabilities": [float(v) for v in mean],
        "std": [float(v) for v in samples.std(axis=0)],
        "entropy": predictive,
        "expected_entropy": expected,
        "mutual_information": max(0.0, predictive - expected),
        "agreement": float(votes.max() / len(samples)),
        "unsure": predictive > UNSURE_ENTROPY_NATS,
        "unsure_threshold_nats": UNSURE_ENTROPY_NATS,
    }
    return result


def prepare(model: keras.Model, card: dict, folder) -> Prepared:
    """Serving hook: a model with dropout also gets its Monte-Carlo forward pass."""
    if not has_dropout(model):
        return Prepared()
    mc = runtime.compile_forward(lambda x: mc_dropout_forward(model, x), runtime.input_specs(model))
    return Prepared(forwards={"mc_dropout": mc})
