"""Outlier exposure (Hendrycks et al. 2019) for the autoencoder's anomaly score.

A plain autoencoder rebuilds letters nearly as well as digits, so its reconstruction
error cannot tell them apart. Here a fraction of every batch are pictures that are not
digits (`training.datasets.non_digits`), marked in their targets by `mark_outliers`,
and `OutlierExposureLoss` pushes their error up while digits keep the plain MSE.
`AutoencoderBatches` mixes them in (and serves the plain and denoising autoencoders
too); `KeepBestOnNonDigits` keeps the checkpoint that flags the most validation
non-digits.
"""

from __future__ import annotations

import logging

import keras
import numpy as np

from app.tasks import autoencoder as task

log = logging.getLogger(__name__)


def mark_outliers(x):
    """The training target of an outlier: -1 - x, every pixel below -0.5, so one target
    tensor says both what the picture is and that it is to be rebuilt badly. Applied
    twice it gives x back, which is how the loss reads the picture."""
    return -1.0 - x


@keras.saving.register_keras_serializable(package="vqa_demo")
class OutlierExposureLoss(keras.losses.Loss):
    """Per image: a digit's mean squared error (the plain autoencoder loss); for an
    outlier (target from `mark_outliers`), relu(margin - SSE) / pixels, which stops
    pulling once it is rebuilt at least `margin` away."""

    def __init__(self, margin: float = 25.0, name: str = "outlier_exposure", **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.margin = margin

    def call(self, y_true, y_pred):
        ops = keras.ops
        pixels = int(np.prod(y_pred.shape[1:]))
        y_true, y_pred = ops.reshape(y_true, (-1, pixels)), ops.reshape(y_pred, (-1, pixels))
        outlier = ops.min(y_true, axis=1) < -0.5
        target = ops.where(outlier[:, None], mark_outliers(y_true), y_true)
        sse = ops.sum(ops.square(target - y_pred), axis=1)
        return ops.where(outlier, ops.relu(self.margin - sse), sse) / pixels

    def get_config(self) -> dict:
        return {**super().get_config(), "margin": self.margin}


class AutoencoderBatches(keras.utils.PyDataset):
    """(input, target) batches from numpy, so training runs on any Keras backend. Every
    digit comes once an epoch, in a new order each epoch. With `outliers`, that order
    is mixed with outliers drawn at random so that they are a `fraction` of it, their
    targets marked by `mark_outliers`; with `noisy`, inputs get the denoising noise."""

    def __init__(
        self,
        x: np.ndarray,
        batch_size: int,
        seed: int,
        noisy: bool = False,
        outliers: np.ndarray | None = None,
        fraction: float = 0.0,
    ) -> None:
        super().__init__()
        self.pictures = x if outliers is None else np.concatenate([x, outliers])
        self.digits, self.batch_size, self.noisy = len(x), batch_size, noisy
        self.extra = 0 if outliers is None else round(len(x) * fraction / (1.0 - fraction))
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def on_epoch_end(self) -> None:
        drawn = self.rng.integers(self.digits, len(self.pictures), self.extra)
        self.order = self.rng.permutation(np.concatenate([np.arange(self.digits), drawn]))

    def __len__(self) -> int:
        return int(np.ceil(len(self.order) / self.batch_size))

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        clean = self.pictures[rows]
        if self.noisy:
            return task.add_noise(clean, self.rng), clean
        outlier = (rows >= self.digits).reshape(-1, *([1] * (clean.ndim - 1)))
        return clean, np.where(outlier, mark_outliers(clean), clean)


class KeepBestOnNonDigits(keras.callbacks.Callback):
    """Every `every` epochs (and after the last), the share of validation non-digits
    flagged at the threshold that flags (100 - ANOMALY_PERCENTILE) % of validation
    digits; keeps the weights that scored best (the later on a tie) and puts them back
    when training ends. Checkpoints are chosen on this, never on the evaluation set."""

    def __init__(self, digits: np.ndarray, non_digits: dict[str, np.ndarray], every: int = 5) -> None:
        super().__init__()
        self.digits, self.non_digits, self.every = digits, non_digits, every
        self.scores: list[dict] = []
        self.best: dict | None = None
        self.best_weights: list | None = None

    def score(self) -> dict:
        threshold = np.percentile(reconstruction_errors(self.model, self.digits), task.ANOMALY_PERCENTILE)
        rates = {kind: flagged_share(self.model, x, threshold) for kind, x in self.non_digits.items()}
        return {**{k: round(v, 4) for k, v in rates.items()}, "mean": round(float(np.mean(list(rates.values()))), 4)}

    def on_train_begin(self, logs=None) -> None:
        self.keep_if_best(0)  # a resumed model competes with what it becomes

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.params["epochs"]:
            self.keep_if_best(epoch + 1)

    def keep_if_best(self, epoch: int) -> None:
        scored = {"epoch": epoch, **self.score()}
        self.scores.append(scored)
        log.info("validation non-digits flagged: %s", scored)
        if self.best is None or scored["mean"] >= self.best["mean"]:
            self.best, self.best_weights = scored, self.model.get_weights()

    def on_train_end(self, logs=None) -> None:
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def predict(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """The model's outputs for a whole set, in large batches."""
    return model.predict(x, batch_size=1024, verbose=0)


def reconstruction_errors(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """SSE per picture of an autoencoder's rebuild; `x` as [N, 28, 28] or [N, 28, 28, 1]."""
    return task.sse(x, predict(model, x.reshape(*x.shape[:3], 1)))


def flagged_share(model: keras.Model, x: np.ndarray, threshold: float) -> float:
    """The share of pictures whose reconstruction error is above `threshold`."""
    return float((reconstruction_errors(model, x) > threshold).mean())
