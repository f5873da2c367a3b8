"""Autoencoders, from the article's smallest example up.

The article defines an encoder h = sigma(W x + B) and a decoder x' = sigma(W' h + B'),
trained on the mean squared error, and tries it on the one-hot codes of 0..3
squeezed from 4 to 2 dimensions, hoping for a 2-bit code: [0,0], [0,1], [1,0], [1,1].
`build_toy` is exactly that network; `toy_table` and `toy_solved` say what it learnt.
"""

from __future__ import annotations

import keras
import numpy as np

from app import runtime
from app.tasks import Prepared

SERVES = ("autoencoder", "autoencoder_toy")
TOY_INPUTS = np.eye(4, dtype=np.float32)
CORNER_TOLERANCE = 0.2  # each code coordinate within this of 0 or 1


def build_toy() -> keras.Sequential:
    """4 -> 2 -> 4, sigmoid on both layers (the article's network)."""
    return keras.Sequential(
        [
            keras.Input((4,), name="onehot"),
            keras.layers.Dense(2, activation="sigmoid", name="code"),
            keras.layers.Dense(4, activation="sigmoid", name="reconstruction"),
        ],
        name="autoencoder_toy",
    )


def toy_table(model: keras.Sequential) -> list[dict]:
    """The model on each of the four one-hot inputs: input, code and reconstruction."""
    code_layer, decoder = model.layers
    codes = keras.ops.convert_to_numpy(code_layer(TOY_INPUTS))
    rebuilt = keras.ops.convert_to_numpy(decoder(codes))
    return [
        {"input": x.tolist(), "code": [round(float(v), 4) for v in c], "reconstruction": [round(float(v), 4) for v in r]}
        for x, c, r in zip(TOY_INPUTS, codes, rebuilt, strict=False)
    ]


def toy_solved(rows: list[dict]) -> bool:
    """All four inputs rebuilt (rounding the reconstruction gives the input back, so
    the argmax is right too) and the codes at four distinct corners."""
    codes = np.array([r["code"] for r in rows])
    rebuilt = np.array([r["reconstruction"] for r in rows])
    at_corners = np.all(np.minimum(codes, 1 - codes) <= CORNER_TOLERANCE)
    distinct = len({tuple(np.rint(c).astype(int)) for c in codes}) == 4
    rebuilt_all = np.array_equal(np.rint(rebuilt), TOY_INPUTS) and np.array_equal(rebuilt.argmax(axis=1), np.arange(4))
    return bool(rebuilt_all and at_corners and distinct)


# ----------------------------------------------------------------------------------
# MNIST autoencoders: compression, the 2-D latent map, denoising, anomaly scores
# ----------------------------------------------------------------------------------

MNIST_SHAPE = (28, 28, 1)
CODE_DIM = 32
NOISE_STD = 0.5  # the fixed Gaussian noise level for denoising and its PSNR
ANOMALY_PERCENTILE = 98.0  # above this percentile of MNIST test errors: anomaly (2 % of digits are flagged)


def build_autoencoder(
    code_dim: int = CODE_DIM, hidden: tuple[int, ...] = (512, 256), name: str = "autoencoder", input_noise: float = 0.0
) -> keras.Model:
    """A deep dense autoencoder, 784-512-256-code and back, ReLU, with a linear code
    layer named `code` (the server reads the code from it) and a sigmoid output
    (pixels in 0..1). Hinton & Salakhutdinov's (2006) 784-1000-500-250 shape reached
    3.69 test SSE here but over-fitted (train 0.0022 vs validation 0.0048 MSE) and, with
    Adam's state, made 33 MB files; this one is a third of the size. `input_noise`
    (Gaussian, training only) is a denoising regulariser against that over-fitting."""
    image = keras.Input(MNIST_SHAPE, name="image")
    x = keras.layers.Flatten()(image)
    if input_noise:
        x = keras.layers.GaussianNoise(input_noise, name="input_noise")(x)
    for units in hidden:
        x = keras.layers.Dense(units, activation="relu")(x)
    code = keras.layers.Dense(code_dim, name="code")(x)
    x = code
    for units in reversed(hidden):
        x = keras.layers.Dense(units, activation="relu")(x)
    x = keras.layers.Dense(28 * 28, activation="sigmoid")(x)
    reconstruction = keras.layers.Reshape(MNIST_SHAPE, name="reconstruction")(x)
    return keras.Model(image, reconstruction, name=name)


def build_conv_autoencoder(
    code_dim: int = CODE_DIM, name: str = "autoencoder", input_noise: float = 0.0, filters: tuple[int, int] = (64, 128)
) -> keras.Model:
    """A convolutional autoencoder, 28 -> 14 -> 7 by stride-2 convolutions of
    `filters` channels, a linear `code` layer, and back by transposed convolutions;
    sigmoid output. Half the dense model's parameters at (64, 128), a quarter at
    (32, 64), and room to spare for outlier exposure: trained with it, the dense one
    lost 0.4-0.6 of test SSE (3.17-3.33), this one stays under 3.00."""
    narrow, wide = filters
    image = keras.Input(MNIST_SHAPE, name="image")
    x = keras.layers.GaussianNoise(input_noise, name="input_noise")(image) if input_noise else image
    x = keras.layers.Conv2D(narrow, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(wide, 3, strides=2, padding="same", activation="relu")(x)
    code = keras.layers.Dense(code_dim, name="code")(keras.layers.Flatten()(x))
    x = keras.layers.Dense(7 * 7 * wide, activation="relu")(code)
    x = keras.layers.Reshape((7, 7, wide))(x)
    x = keras.layers.Conv2DTranspose(narrow, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2DTranspose(narrow // 2, 3, strides=2, padding="same", activation="relu")(x)
    reconstruction = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="reconstruction")(x)
    return keras.Model(image, reconstruction, name=name)


def encoder_of(model: keras.Model) -> keras.Model:
    return keras.Model(model.inputs, model.get_layer("code").output, name=f"{model.name}_encoder")


def add_noise(x: np.ndarray, rng: np.random.Generator, std: float = NOISE_STD) -> np.ndarray:
    """Gaussian pixel noise, clipped back to 0..1."""
    return np.clip(x + rng.normal(0.0, std, size=x.shape), 0.0, 1.0).astype(np.float32)


def sse(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sum of squared errors per image (pixels in 0..1), the papers' measure."""
    a, b = (np.asarray(v, np.float64).reshape(len(v), -1) for v in (x, y))
    return ((a - b) ** 2).sum(axis=1)


def psnr(x: np.ndarray, y: np.ndarray) -> float:
    """Mean PSNR in dB over images with pixels in 0..1."""
    mse = sse(x, y) / np.prod(np.shape(x)[1:])
    return float(np.mean(10 * np.log10(1.0 / np.maximum(mse, 1e-12))))


def error_quantiles(errors: np.ndarray) -> list[float]:
    """The 0th..100th percentiles in steps of 0.1: enough to place any error."""
    return [round(float(q), 5) for q in np.percentile(errors, np.linspace(0, 100, 1001))]


def percentile_of(error: float, quantiles: list[float]) -> float:
    """Where `error` falls among the test errors, 0..100."""
    return float(np.interp(error, quantiles, np.linspace(0, 100, len(quantiles))))


def map_position(code: np.ndarray, bounds: list[float], transform: str | None) -> list[float]:
    """Where a 2-D code falls on the latent map image: [x, y] as fractions from the
    left and from the top, clipped to 0..1."""
    x, y = np.arcsinh(code) if transform == "asinh" else np.asarray(code, np.float64)
    xmin, xmax, ymin, ymax = bounds
    fx = (x - xmin) / (xmax - xmin)
    fy = (ymax - y) / (ymax - ymin)
    return [round(float(np.clip(fx, 0, 1)), 4), round(float(np.clip(fy, 0, 1)), 4)]


def prepare(model: keras.Model, card: dict, folder) -> Prepared:
    """Serving hook: the toy's four answers never change, so they are computed once; an
    MNIST autoencoder also gets its encoder (image -> code) as a forward pass."""
    if card.get("task") == "autoencoder_toy":
        return Prepared(answers={"toy": toy_table(model)})
    return Prepared(forwards={"encode": runtime.inference_forward(encoder_of(model))})
