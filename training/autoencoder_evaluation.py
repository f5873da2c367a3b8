"""What the MNIST autoencoders are judged on, and the plots beside their cards.

The latent map of `autoencoder_2d` (its test codes, which the page draws a point on),
the pictures the anomaly score is measured on, the share of each kind it flags, and
the letters and scribbles it lets through. `training.train_autoencoder` calls these at
the end of a run, and again from the saved model with `--map-only` / `--unflagged-only`.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from app.tasks import autoencoder as task
from app.tasks import digits as digits_task
from training.datasets import mnist, non_digits
from training.outlier_exposure import predict, reconstruction_errors


def plot_latent_map(codes: np.ndarray, labels: np.ndarray, path: Path) -> list[float]:
    """Test codes coloured by digit, axes filling the image, so a point lands at
    `task.map_position` within the returned [xmin, xmax, ymin, ymax]. The codes are
    heavy-tailed (the 1s spread out far), so the map shows asinh(code)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    codes = np.arcsinh(codes)
    lo, hi = np.percentile(codes, 0.5, axis=0), np.percentile(codes, 99.5, axis=0)
    pad = 0.05 * (hi - lo)
    bounds = [float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])]
    fig = plt.figure(figsize=(4, 4), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=2, alpha=0.5, linewidths=0)
    for digit in range(10):
        cx, cy = np.median(codes[labels == digit], axis=0)
        ax.text(
            cx,
            cy,
            str(digit),
            fontsize=16,
            weight="bold",
            ha="center",
            va="center",
            color=plt.cm.tab10(digit),
            bbox={"facecolor": "white", "alpha": 0.7, "linewidth": 0, "pad": 1},
        )
    ax.set_xlim(bounds[0], bounds[1])
    ax.set_ylim(bounds[2], bounds[3])
    ax.set_axis_off()
    fig.savefig(path)
    plt.close(fig)
    return bounds


def latent_map(model: keras.Model, x_test: np.ndarray, y_test: np.ndarray, path: Path) -> dict:
    codes = predict(task.encoder_of(model), x_test)
    return {"latent_bounds": plot_latent_map(codes, y_test, path), "latent_transform": "asinh"}


def anomaly_pictures(x_raw: np.ndarray, rng: np.random.Generator, quick: bool) -> dict[str, np.ndarray]:
    """What the anomaly rates are measured on, [N, 28, 28] per kind: digits written unlike
    MNIST (which should pass) and the evaluation's non-digits (which should be flagged)."""
    n_digits = 500 if quick else 2000
    return {
        "drawn_like_digits": np.stack([digits_task.image_to_mnist(mnist.drawn_like(d, rng)) for d in x_raw[:n_digits]]),
        "pen_digits": non_digits.pen_digits(x_raw[:n_digits]),
        "font_digits": non_digits.font_digits(),
        **non_digits.evaluation_set(rng, 60 if quick else 300),
    }


def plot_unflagged(pictures: dict[str, np.ndarray], errors: dict[str, np.ndarray], threshold: float, path: Path) -> int:
    """The letters and scribbles whose error stays under `threshold`, each with its error:
    what a reader needs to judge the misses (most look like a digit). Returns how many."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    missed = [(k, i) for k in ("letters", "scribbles") for i in np.flatnonzero(errors[k] <= threshold)]
    cols = 12
    rows = max(1, -(-len(missed) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.8, rows * 0.95), dpi=100, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, (kind, i) in zip(axes.flat, missed, strict=False):
        ax.imshow(pictures[kind][i], cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{kind[:-1]} {errors[kind][i]:.1f}", fontsize=6)
    fig.suptitle(f"Evaluation letters and scribbles the anomaly score lets through: SSE under {threshold:.1f}", fontsize=8)
    fig.savefig(path)
    plt.close(fig)
    return len(missed)


def anomaly_rates(model: keras.Model, pictures: dict[str, np.ndarray], threshold: float, path: Path) -> dict:
    """The share flagged per kind, non-digits overall (the mean of letters, scribbles and
    noise); the unflagged letters and scribbles are plotted at `path`."""
    errors = {kind: reconstruction_errors(model, images) for kind, images in pictures.items()}
    flagged = {kind: float((e > threshold).mean()) for kind, e in errors.items()}
    flagged["non_digits_overall"] = float(np.mean([flagged[k] for k in ("letters", "scribbles", "noise")]))
    plot_unflagged(pictures, errors, threshold, path)
    return flagged


def pca_test_sse(x_train: np.ndarray, x_test: np.ndarray, components: int) -> float:
    """Mean test SSE of PCA with `components` components, fitted on the training set."""
    train = x_train.reshape(len(x_train), -1).astype(np.float64)
    mean = train.mean(axis=0)
    _, _, vt = np.linalg.svd(train - mean, full_matrices=False)
    basis = vt[:components]
    test = x_test.reshape(len(x_test), -1).astype(np.float64) - mean
    rebuilt = test @ basis.T @ basis
    return float(((test - rebuilt) ** 2).sum(axis=1).mean())
