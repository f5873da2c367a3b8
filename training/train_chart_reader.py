"""Train `chart_reader`: the model that finds what a chart is made of.

Given a chart squeezed to 256 x 256, a small fully convolutional network says which of
FigureQA's five kinds it is and, for each cell of a 64 x 64 grid, what the cell holds:
elements (bars, slices, lines), the legend, the value axis's tick labels, the
elements' own labels, other text, or nothing. Dilated convolutions give each cell the
context of most of the chart (a legend is told from a bar by what surrounds it).
The targets come free from the generator (`training.datasets.charts.masks`); the
reading (`app.worlds.charts.reading`) then measures bars, slices and lines in the
full-size picture inside those regions and reads the text there with Tesseract.

It sees lightness and colourfulness, not hue (`app.worlds.charts.preprocessing.features`):
FigureQA's training split pairs colours with kinds, and a model that cannot see hue
cannot lean on that pairing (the held-out "alternated" split swaps it).

The served model has one output: per cell, the six region probabilities and the five
kind probabilities (the same in every cell), so the registry batches it like any model.

    python -m training.train_chart_reader                       # about an hour on 2 cores
    python -m training.train_chart_reader --charts 400 --epochs 1 --out /tmp/models   # a smoke run
"""

from __future__ import annotations

import argparse
import os
from multiprocessing import get_context
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from app.worlds.charts.preprocessing import GRID, INPUT_SIDE, KINDS, REGIONS, chart_pixels, features
from training.common import MODELS_DIR, Stopwatch, command_line, history_table, lr_schedule, save_model_with_card, set_seed
from training.datasets.charts.files import charts
from training.datasets.charts.masks import targets

# Rare regions weigh more: a tick label is a few cells, the background most of them.
REGION_WEIGHTS = {"background": 1.0, "element": 2.0, "legend": 2.0, "values": 4.0, "labels": 4.0, "other": 1.5}
DESCRIPTION = "fully convolutional network that finds a chart's kind and its elements, legend and labels (64 x 64 grid)"

# -- data ----------------------------------------------------------------------------------


def _render_chunk(job: tuple[int, int, int, str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    seed, chunk, n, split = job
    rng = np.random.default_rng([seed, chunk])
    pixels, kinds, regions = [], [], []
    for image, record in charts(rng, n, split):
        kind, grid = targets(image, record)
        pixels.append(chart_pixels(image))
        kinds.append(kind)
        regions.append(grid)
    return np.stack(pixels), np.array(kinds, dtype=np.int32), np.stack(regions)


CHUNK = 100  # charts per rendering job


def render_jobs(n: int, split: str, seed: int, chunk: int = CHUNK) -> list[tuple[int, int, int, str]]:
    """(seed, job, charts, split) per job; job j's charts come from the generator seeded
    with (seed, j), so another trainer can replay them (`training.datasets.charts.files.specs`)."""
    return [(seed, i, min(chunk, n - i * chunk), split) for i in range((n + chunk - 1) // chunk)]


def chart_arrays(n: int, split: str, seed: int, workers: int = 2) -> dict[str, np.ndarray]:
    """`n` rendered charts as uint8 model inputs, kind indices and region grids."""
    with get_context("spawn").Pool(workers) as pool:
        parts = pool.map(_render_chunk, render_jobs(n, split, seed))
    return {
        "pixels": np.concatenate([p[0] for p in parts]),
        "kinds": np.concatenate([p[1] for p in parts]),
        "regions": np.concatenate([p[2] for p in parts]),
    }


def cached_arrays(n: int, split: str, seed: int, workers: int, cache: Path | None) -> dict[str, np.ndarray]:
    """`chart_arrays`, kept in `cache` (data/, never committed) for the next run."""
    path = cache / f"charts_{split}_{n}_{seed}.npz" if cache else None
    if path is not None and path.exists():
        with np.load(path) as saved:
            return {k: saved[k] for k in saved.files}
    data = chart_arrays(n, split, seed, workers=workers)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **data)
    return data


class Batches(keras.utils.PyDataset):
    """Training batches with each chart's colour channels in a random order before
    `features` (which keeps no hue, but weighs the channels in its lightness): the
    training split pairs colours with kinds (FigureQA's design), and a model that sees
    only geometry and lightness cannot lean on which colours come with which kind."""

    def __init__(self, data: dict[str, np.ndarray], batch_size: int, seed: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data, self.batch_size = data, batch_size
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(data["kinds"]))

    def __len__(self) -> int:
        return len(self.order) // self.batch_size

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        pixels = self.data["pixels"][rows]
        channels = np.array([self.rng.permutation(3) for _ in rows])
        pixels = np.take_along_axis(pixels, channels[:, None, None, :], axis=3)
        return features(pixels), {"regions": self.data["regions"][rows], "kind": self.data["kinds"][rows]}

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.order))


# -- model ---------------------------------------------------------------------------------


def build_model(width: int = 32) -> tuple[keras.Model, keras.Model]:
    """(training model with two outputs, served model with one), sharing their layers."""
    image = keras.Input((INPUT_SIDE, INPUT_SIDE, 3), name="chart")

    def conv(x, filters: int, stride: int = 1, dilation: int = 1, name: str | None = None):
        x = keras.layers.Conv2D(filters, 3, strides=stride, dilation_rate=dilation, padding="same", use_bias=False, name=name)(x)
        # Group normalisation, not batch normalisation: it computes the same in training
        # and serving (a small run with batch norm read 90 % of kinds right in training
        # mode and 22 % of the same charts in inference mode).
        x = keras.layers.GroupNormalization(groups=4)(x)
        return keras.layers.Activation("relu")(x)

    x = conv(image, 16, stride=2)  # 128
    x = conv(x, width, stride=2)  # 64: the grid
    local = x
    for dilation in (1, 2, 4, 8, 16):
        x = keras.layers.Add()([x, conv(x, width, dilation=dilation)])
    features = keras.layers.Concatenate()([local, x])
    regions = keras.layers.Conv2D(len(REGIONS), 1, activation="softmax", name="regions")(conv(features, width))
    k = conv(x, 2 * width, stride=2)
    k = keras.layers.Concatenate()([keras.layers.GlobalAveragePooling2D()(k), keras.layers.GlobalMaxPooling2D()(k)])
    kind = keras.layers.Dense(len(KINDS), activation="softmax", name="kind")(keras.layers.Dense(64, activation="relu")(k))
    trained = keras.Model(image, {"regions": regions, "kind": kind}, name="chart_reader_training")
    tiled = keras.layers.UpSampling2D(GRID, name="kind_per_cell")(keras.layers.Reshape((1, 1, len(KINDS)))(kind))
    served = keras.Model(image, keras.layers.Concatenate(name="reading")([regions, tiled]), name="chart_reader")
    return trained, served


class WeightedRegionLoss(keras.losses.Loss):
    """Cross-entropy per cell, each cell weighted by its true region (REGION_WEIGHTS)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.weights = keras.ops.convert_to_tensor([REGION_WEIGHTS[r] for r in REGIONS], dtype="float32")

    def call(self, y_true, y_pred):
        y_true = keras.ops.cast(keras.ops.squeeze(y_true, -1) if len(y_true.shape) == 4 else y_true, "int32")
        losses = keras.losses.sparse_categorical_crossentropy(y_true, y_pred)
        return losses * keras.ops.take(self.weights, y_true)


# -- evaluation ----------------------------------------------------------------------------


def evaluate(served: keras.Model, data: dict[str, np.ndarray]) -> dict:
    """Kind accuracy, and per region the share of its cells found (recall) and the
    share of cells called that region that are it (precision)."""
    out = served.predict(features(data["pixels"]), batch_size=32, verbose=0)
    regions, kinds = out[..., : len(REGIONS)].argmax(-1), out[:, 0, 0, len(REGIONS) :].argmax(-1)
    report: dict = {"charts": int(len(kinds)), "kind_accuracy": round(float((kinds == data["kinds"]).mean()), 4)}
    report["kind_accuracy_per_kind"] = {
        kind: round(float((kinds[data["kinds"] == i] == i).mean()), 4)
        for i, kind in enumerate(KINDS)
        if (data["kinds"] == i).any()
    }
    truth = data["regions"]
    for i, name in enumerate(REGIONS):
        found, called = (
            (regions[truth == i] == i).mean() if (truth == i).any() else 1.0,
            (truth[regions == i] == i).mean() if (regions == i).any() else 1.0,
        )
        report[f"{name}_recall"], report[f"{name}_precision"] = round(float(found), 4), round(float(called), 4)
    return report


# -- training ------------------------------------------------------------------------------


def train(args: argparse.Namespace) -> dict:
    set_seed(args.seed)
    with Stopwatch() as data_clock:
        data = cached_arrays(args.charts, "train", args.seed, args.workers, args.cache)
        held_out = cached_arrays(args.validation_charts, "alternated", args.seed + 1, args.workers, args.cache)
    print(f"rendered {args.charts} + {args.validation_charts} charts in {data_clock.seconds:.0f} s", flush=True)
    trained, served = build_model(args.width)
    steps = args.epochs * (args.charts // args.batch_size)
    trained.compile(
        keras.optimizers.Adam(lr_schedule(args.learning_rate, steps)),
        loss={"regions": WeightedRegionLoss(), "kind": "sparse_categorical_crossentropy"},
        loss_weights={"regions": 1.0, "kind": 0.2},
        metrics={"kind": ["accuracy"]},
    )
    x_val = features(held_out["pixels"])
    with Stopwatch() as clock:
        history = trained.fit(
            Batches(data, args.batch_size, args.seed),
            validation_data=(x_val, {"regions": held_out["regions"], "kind": held_out["kinds"]}),
            epochs=args.epochs,
            verbose=2,
        )
    metrics = evaluate(served, held_out)
    print(metrics, flush=True)
    card = {
        "task": "chart_reader",
        "version": 1,
        "description": DESCRIPTION,
        "input_side": INPUT_SIDE,
        "grid": GRID,
        "kinds": list(KINDS),
        "regions": list(REGIONS),
        "data": f"{args.charts} charts from training.datasets.charts (split 'train', seed {args.seed}), colour channels shuffled per chart; "
        f"measured on {args.validation_charts} of the 'alternated' split (colours and words never paired with their kind in training)",
        "training_command": command_line("training.train_chart_reader"),
        "epochs": args.epochs,
        "wall_time_seconds": round(clock.seconds, 1),
        "data_seconds": round(data_clock.seconds, 1),
        "history": history_table(history.history),
        "metrics": {"alternated": metrics},
    }
    save_model_with_card(served, args.out / "chart_reader", card)
    return card


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--charts", type=int, default=6000)
    parser.add_argument("--validation-charts", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="processes that render charts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cache", type=Path, default=Path("data/chart_reader"), help="rendered charts kept here (never committed)"
    )
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    return train(parse_args(argv))


if __name__ == "__main__":
    main()
