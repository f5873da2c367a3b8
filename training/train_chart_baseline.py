"""Train `chart_baseline`: the VQA article's CNN + LSTM on FigureQA's yes/no templates.

FigureQA's own baseline (Kahou et al. 2017): a CNN of five strided convolutions sees
the chart, an LSTM reads the question, and an MLP over both says yes or no. It has no
idea of a table: whatever it knows of bars, lines and labels it must learn from the
answers alone. On FigureQA's test set it reached 56 % (text alone 50 %, humans 91 %).
The service serves it beside the reader (`chart_reader`), as `vqa_baseline` is served
beside `vqa`, so the page and the card can set the two side by side on the same charts.

It trains on the charts `training.train_chart_reader` rendered and cached (the same
6,000 charts; their questions are replayed from the generator's seeds, not stored),
with as many epochs as `--minutes` of CPU allow, and is measured on the reader's 500
held-out charts of the alternated split (colours and words never paired with their
kind in training).

    python -m training.train_chart_baseline                          # an hour on 2 cores
    python -m training.train_chart_baseline --charts 200 --validation-charts 50 --minutes 2 --out /tmp/models
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from app.worlds.charts.preprocessing import BASELINE_ANSWERS, BASELINE_SIDE, KINDS, baseline_pixels
from app.worlds.vocabulary import MAX_TOKENS, QuestionEncoder, tokenize
from training.common import MODELS_DIR, Stopwatch, command_line, history_table, lr_schedule, save_model_with_card, set_seed
from training.datasets.charts.files import specs
from training.datasets.charts.questions import TEMPLATES
from training.train_chart_reader import cached_arrays, render_jobs

DESCRIPTION = (
    "CNN + LSTM (FigureQA's baseline, the VQA article's approach): 5 strided conv layers over the chart at "
    f"{BASELINE_SIDE} x {BASELINE_SIDE}, an LSTM over the question, an MLP; answers FigureQA's yes/no templates"
)
PUBLISHED = {"FigureQA test, CNN + LSTM": 56.0, "FigureQA test, text only": 50.0, "FigureQA test, humans": 91.2}

# -- data ----------------------------------------------------------------------------------


@dataclass
class Asked:
    """The yes/no questions about a set of charts, one row per question."""

    chart: np.ndarray  # int: the chart each question is about
    text: list[str]
    template: list[str]
    answer: np.ndarray  # int: index in BASELINE_ANSWERS


def yes_no_questions(n: int, split: str, seed: int) -> Asked:
    """The template questions about the `n` charts `cached_arrays(n, split, seed)` holds,
    replayed from the same seeds in the same order (drawing takes nothing from them)."""
    chart, text, template, answer = [], [], [], []
    index = 0
    for job_seed, job, count, job_split in render_jobs(n, split, seed):
        for _, _, asked in specs(np.random.default_rng([job_seed, job]), count, job_split):
            for q in asked:
                if q.template in TEMPLATES:
                    chart.append(index)
                    text.append(q.text)
                    template.append(q.template)
                    answer.append(BASELINE_ANSWERS.index(q.answer))
            index += 1
    return Asked(np.array(chart, np.int32), text, template, np.array(answer, np.int32))


def vocabulary(texts: list[str]) -> list[str]:
    """Every word the training questions use, most frequent first."""
    counts = Counter(word for text in texts for word in tokenize(text))
    return [word for word, _ in counts.most_common()]


class Batches(keras.utils.PyDataset):
    """(chart, question) -> answer, shuffled anew each epoch."""

    def __init__(self, pixels: np.ndarray, asked: Asked, encoder: QuestionEncoder, batch_size: int, seed: int, **kw) -> None:
        super().__init__(**kw)
        self.pixels, self.asked, self.batch_size = pixels, asked, batch_size
        self.tokens = encoder.encode_batch(asked.text)
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(asked.answer))

    def __len__(self) -> int:
        return len(self.order) // self.batch_size

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        charts = baseline_pixels(self.pixels[self.asked.chart[rows]])
        return {"chart": charts, "question": self.tokens[rows]}, self.asked.answer[rows]

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.order))


# -- model ---------------------------------------------------------------------------------


def build_model(vocab_size: int, width: int = 64, hidden: int = 512) -> keras.Model:
    """FigureQA's baseline at a CPU's scale: 5 x (conv 3 x 3, stride 2, normalisation,
    ReLU), an LSTM over word embeddings, concatenation, a 2-layer MLP, softmax (yes, no)."""
    chart = keras.Input((BASELINE_SIDE, BASELINE_SIDE, 3), name="chart")
    question = keras.Input((MAX_TOKENS,), dtype="int32", name="question")
    x = chart
    for filters in (width // 2, width, width, width, width):  # the first layer halved: most of the cost on a CPU
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=False)(x)
        # Group normalisation computes the same in training and serving (see train_chart_reader).
        x = keras.layers.Activation("relu")(keras.layers.GroupNormalization(groups=8)(x))
    x = keras.layers.Dense(hidden // 2, activation="relu")(keras.layers.Flatten()(x))
    words = keras.layers.Embedding(vocab_size, 64, mask_zero=True)(question)
    q = keras.layers.LSTM(hidden // 2, name="question_encoder")(words)
    h = keras.layers.Concatenate()([x, q])
    for _ in range(2):
        h = keras.layers.Dense(hidden, activation="relu")(h)
    answers = keras.layers.Dense(len(BASELINE_ANSWERS), activation="softmax", name="answers")(h)
    return keras.Model([chart, question], answers, name="chart_baseline")


class TimeLimit(keras.callbacks.Callback):
    """Stops training at the end of the first epoch that ends past `seconds`."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds, self.start = seconds, time.monotonic()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if time.monotonic() - self.start > self.seconds:
            self.model.stop_training = True


# -- evaluation ----------------------------------------------------------------------------


def evaluate(model: keras.Model, pixels: np.ndarray, asked: Asked, encoder: QuestionEncoder, kinds: np.ndarray) -> dict:
    """Accuracy on every yes/no question, per template and per chart kind, in percent."""
    charts = baseline_pixels(pixels[asked.chart])
    predicted = model.predict({"chart": charts, "question": encoder.encode_batch(asked.text)}, batch_size=64, verbose=0)
    right = predicted.argmax(-1) == asked.answer
    templates = np.array(asked.template)
    chart_kinds = kinds[asked.chart]

    def percent(mask: np.ndarray) -> float:
        return round(100 * float(right[mask].mean()), 1)

    return {
        "questions": int(len(right)),
        "overall": percent(np.ones_like(right)),
        "per_template": {t: percent(templates == t) for t in TEMPLATES if (templates == t).any()},
        "per_kind": {k: percent(chart_kinds == i) for i, k in enumerate(KINDS) if (chart_kinds == i).any()},
    }


# -- training ------------------------------------------------------------------------------


def train(args: argparse.Namespace) -> dict:
    set_seed(args.seed)
    with Stopwatch() as data_clock:
        data = cached_arrays(args.charts, "train", args.seed, args.workers, args.cache)
        held_out = cached_arrays(args.validation_charts, "alternated", args.seed + 1, args.workers, args.cache)
        asked = yes_no_questions(args.charts, "train", args.seed)
        held_out_asked = yes_no_questions(args.validation_charts, "alternated", args.seed + 1)
    print(f"{len(asked.answer)} + {len(held_out_asked.answer)} questions ready in {data_clock.seconds:.0f} s", flush=True)
    encoder = QuestionEncoder(vocabulary(asked.text))
    model = build_model(len(encoder), args.width)
    batches = Batches(data["pixels"], asked, encoder, args.batch_size, args.seed)
    model.compile(
        keras.optimizers.Adam(lr_schedule(args.learning_rate, args.epochs * len(batches))),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    validation = Batches(held_out["pixels"], held_out_asked, encoder, 256, args.seed)
    with Stopwatch() as clock:
        history = model.fit(
            batches, validation_data=validation, epochs=args.epochs, callbacks=[TimeLimit(60 * args.minutes)], verbose=2
        )
    metrics = evaluate(model, held_out["pixels"], held_out_asked, encoder, held_out["kinds"])
    print(json.dumps(metrics), flush=True)
    out = args.out / "chart_baseline"
    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.json").write_text(json.dumps(encoder.words) + "\n")
    (out / "answers.json").write_text(json.dumps(list(BASELINE_ANSWERS)) + "\n")
    card = {
        "task": "chart_baseline",
        "version": 1,
        "description": DESCRIPTION,
        "input_side": BASELINE_SIDE,
        "data": f"the yes/no template questions about {args.charts} charts of training.datasets.charts (split 'train', "
        f"seed {args.seed}; {len(asked.answer)} questions, half yes); measured on {len(held_out_asked.answer)} questions "
        f"about {args.validation_charts} charts of the 'alternated' split",
        "training_command": command_line("training.train_chart_baseline"),
        "epochs": len(history.history["loss"]),
        "minutes_allowed": args.minutes,
        "wall_time_seconds": round(clock.seconds, 1),
        "history": history_table(history.history),
        "metrics": {"alternated": metrics},
        "published": PUBLISHED,
    }
    save_model_with_card(model, out, card)
    return card


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--charts", type=int, default=6000, help="the reader's cached training charts")
    parser.add_argument("--validation-charts", type=int, default=500)
    parser.add_argument(
        "--epochs", type=int, default=5, help="planned (the learning rate's schedule); --minutes may stop it sooner"
    )
    parser.add_argument("--minutes", type=float, default=60.0, help="stop after the first epoch that ends past this")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="processes that render charts missing from the cache")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=Path("data/chart_reader"), help="rendered charts (never committed)")
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    return train(parse_args(argv))


if __name__ == "__main__":
    main()
