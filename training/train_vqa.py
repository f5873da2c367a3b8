"""Train the VQA models: `vqa` (FiLM), `vqa_baseline` (CNN + LSTM) and a question-only model.

Data: the shapes stream by default (`docs/shapes-scenes.md`, scenes generated on
the fly, never repeated), or the official CLEVR / VQA v2 layouts through
`training.datasets.vqa_files` (`--dataset clevr|vqa-v2 --data-dir ...`; VQA v2 is scored
with its own accuracy metric). Every image and question goes through `app.worlds.shapes.preprocessing`,
as it does in the server.

This script trains with `fit` on any backend, which is what a CPU has time for: hours
for `vqa` to reach its goal, resumable across days (`--resume` continues from the
committed model, optimizer state included). On a GPU machine with JAX,
`python -m training.vqa_fast` trains the same builders in minutes (generator processes
feeding a jitted step) and writes the same model folders and cards.

    python -m training.train_vqa --model vqa --epochs 20 --resume
    python -m training.train_vqa --model vqa --evaluate       # re-measure the test tables

Retraining `vqa` on people's language runs in a folder of its own, then goes through
`training.adopt_vqa`. The committed model took three such runs (docs/benchmarks.md);
the last, which lifted its weakest family over the floor:

    cp -r models/vqa /tmp/run/ && python -m training.train_vqa --model vqa --resume \
        --epochs 12 --learning-rate 1e-4 --rehearsal 0.5 --focus compare_attribute=4 --out /tmp/run
    python -m training.train_vqa --model vqa_baseline --dataset clevr --data-dir ~/CLEVR_v1.0
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from PIL import Image

from app.worlds.shapes import preprocessing as task
from training import common, vqa_growth
from training.common import MODELS_DIR, Stopwatch, command_line, read_card, set_seed, write_card
from training.datasets import vqa_files
from training.datasets.shapes.arrays import ShapesArrays, make_arrays, parse_focus
from training.datasets.shapes.language import ANSWERS
from training.datasets.shapes.questions import LANGUAGES
from training.datasets.shapes.stream import PEOPLE_SEED_OFFSET, VALIDATION_SEED, ShapesStream
from training.vqa_common import (
    MODELS,
    build_model,
    card_fields,
    compile_model,
    family_table,
    input_names,
    keras_predictor,
    predict_arrays,
    save_vqa_model,
    select_inputs,
    shapes_encoder,
    shapes_test_sets,
    tables_for,
)

# -- data --------------------------------------------------------------------------------


def records_to_arrays(records, encoder: task.QuestionEncoder, answers: list[str], image_side: int) -> ShapesArrays:
    """CLEVR / VQA v2 records -> the same compact arrays (answers outside the vocabulary
    get -1 and are left out of training, as is usual for VQA v2's long tail)."""
    paths = sorted({r.image_path for r in records})
    row = {p: i for i, p in enumerate(paths)}
    index = {a: i for i, a in enumerate(answers)}
    images = np.stack([task.image_to_pixels(Image.open(p), image_side) for p in paths])
    return ShapesArrays(
        images=images,
        scene_index=np.asarray([row[r.image_path] for r in records], np.int32),
        questions=encoder.encode_batch([r.question for r in records]),
        answers=np.asarray([index.get(r.answer, -1) for r in records], np.int32),
        families=np.asarray([0] * len(records), np.int32),
        texts=[r.question for r in records],
    )


def load_official(args: argparse.Namespace) -> tuple[dict[str, ShapesArrays], task.QuestionEncoder, list[str], dict]:
    """Train / validation arrays from an official layout, with the vocabulary built on train."""
    layout = args.layout or ("clevr" if args.dataset == "clevr" else "vqa-v2")
    load = vqa_files.load_clevr if args.dataset == "clevr" else vqa_files.load_vqa_v2
    train, val = load(args.data_dir, "train", layout), load(args.data_dir, "val", layout)
    words = sorted({w for r in train for w in task.tokenize(r.question)})
    encoder = task.QuestionEncoder(words)
    answers = vqa_files.answer_vocabulary(train, args.top_answers)
    data = {
        "train": records_to_arrays(train, encoder, answers, args.image_side),
        "validation": records_to_arrays(val, encoder, answers, args.image_side),
    }
    return data, encoder, answers, {"train": train, "validation": val}


# -- model -------------------------------------------------------------------------------


# -- evaluate ------------------------------------------------------------------------------


class FamilyValidation(keras.callbacks.Callback):
    """Logs validation accuracy per family after every epoch (and keeps the history);
    with `people`, also the people's-language set's overall accuracy; with `save`, saves
    the model as it goes (`save(history)`), so a run of hours can be stopped."""

    def __init__(self, data: ShapesArrays, people: ShapesArrays | None = None, save=None) -> None:
        super().__init__()
        self.data, self.people, self.save = data, people, save
        self.history: list[dict] = []

    def _table(self, data: ShapesArrays) -> dict:
        return family_table(predict_arrays(keras_predictor(self.model), data, input_names(self.model)), data)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        table = self._table(self.data)
        entry = {"epoch": epoch + 1, "loss": round(float((logs or {}).get("loss", 0)), 4), **table}
        people = ""
        if self.people is not None:
            entry["validation_people"] = self._table(self.people)["overall"]
            people = f", people {entry['validation_people']:.2f} %"
        self.history.append(entry)
        worst = min(table["families"].items(), key=lambda kv: kv[1])
        print(f"epoch {epoch + 1}: validation {table['overall']:.2f} %{people}, weakest {worst[0]} {worst[1]:.1f} %", flush=True)
        if self.save is not None:
            self.save(self.history)


# -- save ----------------------------------------------------------------------------------


def evaluate_saved(name: str, args: argparse.Namespace) -> dict:
    """Re-measure the committed model's test tables on this backend and update its card."""
    out_dir = args.out / name
    model = keras.saving.load_model(out_dir / "model.keras", compile=False, safe_mode=True)
    encoder = task.read_assets(out_dir)["encoder"]
    tests = shapes_test_sets(encoder, args.test_questions, int(model.inputs[0].shape[1]))
    with Stopwatch() as clock:
        tables = tables_for(model, tests)
    card = read_card(out_dir)
    card.setdefault("metrics", {}).update(tables)
    card["metrics"]["measured_with"] = (
        f"{keras.backend.backend()} (python -m training.train_vqa --model {name} --evaluate), {clock.seconds:.0f} s"
    )
    write_card(out_dir, card)
    for k, t in tables.items():
        print(
            f"{name} {k}: {t['overall']:.2f} % over {t['questions']} questions; "
            + ", ".join(f"{f} {a:.1f}" for f, a in t["families"].items())
        )
    return card


# -- train ---------------------------------------------------------------------------------


def model_to_train(args: argparse.Namespace, out_dir: Path, encoder: task.QuestionEncoder, n_answers: int, steps: int):
    """(model, its previous card): resumed with its weights and Adam's moments and a fresh
    warm-up + cosine cycle (grown first, with a fresh Adam, when it knows fewer words or
    answers), or built new."""
    if args.resume:
        model = keras.saving.load_model(out_dir / "model.keras", safe_mode=True)
        if args.dataset == "shapes":
            model, grown = vqa_growth.grown_if_needed(model, out_dir, encoder.words, n_answers, args.seed)
            if grown:
                print("grown for new words and answers; the image stem and batch norms frozen")
                return compile_model(model, common.lr_schedule(args.learning_rate, steps)), read_card(out_dir)
        common.restart_schedule(model, args.learning_rate, steps)
        return model, read_card(out_dir)
    model = build_model(args.model, len(encoder), n_answers, args.image_side)
    return compile_model(model, common.lr_schedule(args.learning_rate, steps)), {}


def vqa_accuracy(model: keras.Model, data: ShapesArrays, names: tuple[str, ...], answers: list[str], records) -> float:
    """VQA v2's accuracy (min(#humans who said it / 3, 1)) on the official validation files."""
    probabilities = predict_arrays(keras_predictor(model), data, names)
    predicted = [answers[i] for i in probabilities.argmax(-1)]
    return round(100 * vqa_files.score(records, predicted), 2)


def fit(
    model: keras.Model,
    args: argparse.Namespace,
    encoder,
    names: tuple[str, ...],
    data: dict | None,
    keep: np.ndarray | None,
    validation_log: keras.callbacks.Callback,
) -> None:
    """Shapes: a fresh stream every epoch. Official files (`data`): the questions whose
    answer is in the vocabulary (`keep`)."""
    if data is None:
        stream = ShapesStream(
            encoder,
            args.batch_size,
            args.steps_per_epoch,
            seed=args.seed,
            image_side=args.image_side,
            language=args.language,
            rehearsal=args.rehearsal,
            focus=args.focus,
            input_names=names,
        )
        model.fit(stream, epochs=args.epochs, callbacks=[validation_log], verbose=2)
        return
    x = select_inputs(data["train"].inputs(keep), names)
    model.fit(
        x, data["train"].answers[keep], batch_size=args.batch_size, epochs=args.epochs, callbacks=[validation_log], verbose=2
    )


def data_description(args: argparse.Namespace) -> str:
    if args.dataset != "shapes":
        return str(args.data_dir)
    return f"shapes scenes generated per docs/shapes-scenes.md (style 'varied', language '{args.language}'), fresh every batch"


def train(args: argparse.Namespace) -> dict:
    set_seed(args.seed)
    out_dir = args.out / args.model
    answers = list(ANSWERS)
    people = None
    if args.dataset == "shapes":  # a fresh stream every epoch
        encoder = shapes_encoder(out_dir if args.resume else None)
        validation = make_arrays(
            np.random.default_rng(VALIDATION_SEED), args.validation_questions, encoder, args.image_side, style="plain"
        )
        if args.language == "people":
            people = make_arrays(
                np.random.default_rng(VALIDATION_SEED + PEOPLE_SEED_OFFSET),
                args.validation_questions,
                encoder,
                args.image_side,
                language="people",
            )
        samples_per_epoch = args.steps_per_epoch * args.batch_size
        data, keep = None, None
    else:  # the official files, questions with an answer outside the vocabulary left out
        data, encoder, answers, records = load_official(args)
        validation = data["validation"]
        keep = np.flatnonzero(data["train"].answers >= 0)
        samples_per_epoch = len(keep)
    steps = args.epochs * int(np.ceil(samples_per_epoch / args.batch_size))

    model, previous = model_to_train(args, out_dir, encoder, len(answers), steps)
    names = input_names(model)

    command = command_line("training.train_vqa")

    def card_for(history: list[dict], metrics: dict, seconds: float, samples: int) -> dict:
        device = common.accelerator(keras.backend.backend()) or f"cpu, {os.cpu_count()} cores"
        run = {"samples": samples, "seconds": round(seconds, 1), "how": "fit", "device": device}
        card = card_fields(args.model, previous, command=command, run=run, history=history, metrics=metrics)
        return {**card, "dataset": args.dataset, "data": data_description(args), "epochs": args.epochs}

    clock = Stopwatch()

    def save_so_far(history: list[dict]) -> None:
        seconds = clock.elapsed()
        card = card_for(history, {"validation": history[-1], "unfinished": True}, seconds, len(history) * samples_per_epoch)
        save_vqa_model(model, out_dir, encoder, answers, card)

    validation_log = FamilyValidation(validation, people, save_so_far if args.save_every_epoch else None)
    with clock:
        fit(model, args, encoder, names, data, keep, validation_log)

    metrics: dict = {"validation": validation_log.history[-1] if validation_log.history else {}}
    if args.dataset == "shapes":
        tests = shapes_test_sets(encoder, args.test_questions, args.image_side)
        metrics.update(tables_for(model, tests))
    else:
        metrics["validation_vqa_accuracy"] = vqa_accuracy(model, validation, names, answers, records["validation"])

    card = card_for(validation_log.history, metrics, clock.seconds, args.epochs * samples_per_epoch)
    save_vqa_model(model, out_dir, encoder, answers, card)
    print(json.dumps(metrics, indent=2))
    return card


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=MODELS, default="vqa")
    parser.add_argument("--dataset", choices=("shapes", "clevr", "vqa-v2"), default="shapes")
    parser.add_argument("--data-dir", type=Path, help="root of a CLEVR or VQA v2 download")
    parser.add_argument(
        "--layout", choices=("clevr", "vqa-v2", "shapes"), help="file layout under --data-dir (default: the dataset's own)"
    )
    parser.add_argument("--top-answers", type=int, default=1000, help="answer vocabulary size for VQA v2 / CLEVR")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps-per-epoch", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=1e-3,
        help="peak of the warm-up + cosine schedule (use less, e.g. 2e-4, to fine-tune with --resume)",
    )
    parser.add_argument("--image-side", type=int, default=task.DEFAULT_IMAGE_SIDE)
    parser.add_argument("--language", choices=LANGUAGES, default="people", help="the shapes questions' language")
    parser.add_argument(
        "--rehearsal",
        type=float,
        default=0.0,
        help="share of batches in the templates alone while training on people's language (e.g. 0.4 with --resume)",
    )
    parser.add_argument(
        "--focus",
        action="append",
        metavar="FAMILY=WEIGHT",
        help="ask a family WEIGHT times as often as each other one in training batches (repeatable)",
    )
    parser.add_argument("--validation-questions", type=int, default=5000)
    parser.add_argument("--test-questions", type=int, default=20000)
    parser.add_argument("--resume", action="store_true", help="continue from the model in --out")
    parser.add_argument("--save-every-epoch", action="store_true", help="save the model after every epoch, not only at the end")
    parser.add_argument("--evaluate", action="store_true", help="only re-measure the saved model's test tables")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    args = parser.parse_args(argv)
    if args.dataset != "shapes" and args.data_dir is None:
        parser.error("--data-dir is required for --dataset clevr or vqa-v2")
    try:
        args.focus = parse_focus(args.focus)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    return evaluate_saved(args.model, args) if args.evaluate else train(args)


if __name__ == "__main__":
    main()
