"""What both VQA trainers share: the models they build, how they are measured, and
how a model folder and its card are written.

`training.train_vqa` (Keras `fit`, any backend) and `training.vqa_fast` (a jitted JAX
step) both import this module, and neither imports the other.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np

from app.worlds.shapes import models as vqa_models
from app.worlds.shapes import preprocessing as task
from training import vqa_growth
from training.common import save_model_with_card
from training.datasets.shapes.arrays import ShapesArrays, make_arrays
from training.datasets.shapes.language import ANSWERS, FAMILIES
from training.datasets.shapes.stream import PEOPLE_SEED_OFFSET, TEST_SEED

MODELS = ("vqa", "vqa_baseline", "question_only")
# How many of each family's most frequent mistakes a card's test tables list.
CONFUSIONS = 3
# Card fields a resumed run keeps: they describe files beside the model and the
# question-only comparison, not these weights. `temperature` and `serving` were measured
# on the old weights, so they go, and are measured again (see the README).
CARRIED_OVER = ("artifacts", "question_only")
# Published accuracies (%), for the card and README: CLEVR test (Johnson et al. 2017,
# Santoro et al. 2017, Perez et al. 2018, Hudson & Manning 2018) and Sort-of-CLEVR
# relational questions (Santoro et al. 2017).
PUBLISHED = {
    "CLEVR": {"CNN+LSTM": 52.3, "RN": 95.5, "FiLM": 97.7, "MAC": 98.9, "human": 92.6},
    "Sort-of-CLEVR relational": {"CNN+MLP": 63.0, "RN": 94.0},
}


# -- data --------------------------------------------------------------------------------


def shapes_encoder(folder: Path | None = None) -> task.QuestionEncoder:
    """Both languages' words; a resumed model's (in `folder`) first, so their ids stay."""
    return task.QuestionEncoder(vqa_growth.resumed_words(folder, resume=True) if folder else vqa_growth.grown_words())


def shapes_test_sets(
    encoder: task.QuestionEncoder, n_questions: int, image_side: int = task.DEFAULT_IMAGE_SIDE
) -> dict[str, ShapesArrays]:
    """The test sets: the plain renderer of the training split, scenes rendered
    differently (anti-aliased, other sizes, non-square, noisy), and plain scenes asked
    in people's language (paraphrases, slips, false premises). Fixed seeds."""
    return {
        "test": make_arrays(np.random.default_rng(TEST_SEED), n_questions, encoder, image_side, style="plain"),
        "test_rendered_differently": make_arrays(
            np.random.default_rng(TEST_SEED + 1), n_questions, encoder, image_side, style="different"
        ),
        "test_people": make_arrays(
            np.random.default_rng(TEST_SEED + PEOPLE_SEED_OFFSET), n_questions, encoder, image_side, language="people"
        ),
    }


# -- model -------------------------------------------------------------------------------


def build_model(
    name: str, vocab_size: int, num_answers: int = len(ANSWERS), image_side: int = task.DEFAULT_IMAGE_SIDE
) -> keras.Model:
    if name == "vqa":
        return vqa_models.build_vqa(vocab_size, image_side, num_answers=num_answers)
    if name == "vqa_baseline":
        return vqa_models.build_vqa_baseline(vocab_size, image_side, num_answers=num_answers)
    if name == "question_only":
        return vqa_models.build_question_only(vocab_size, num_answers=num_answers)
    raise ValueError(f"unknown model {name!r}; choose from {MODELS}")


def compile_model(model: keras.Model, learning_rate=1e-3) -> keras.Model:
    """Adam with clipping; `learning_rate` a number or a schedule."""
    optimizer = keras.optimizers.Adam(learning_rate, global_clipnorm=5.0)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def input_names(model: keras.Model) -> tuple[str, ...]:
    return tuple(t.name for t in model.inputs)


def select_inputs(inputs: dict, names: tuple[str, ...]):
    """What the model takes: a dict by input name, or the one array of a one-input model."""
    return inputs[names[0]] if len(names) == 1 else {k: inputs[k] for k in names}


# -- evaluate ------------------------------------------------------------------------------


def predict_arrays(predict_batch, data: ShapesArrays, names: tuple[str, ...], batch_size: int = 1024) -> np.ndarray:
    """Probabilities for every question, `predict_batch(inputs dict) -> [n, answers]`."""
    out = []
    for start in range(0, len(data), batch_size):
        rows = slice(start, start + batch_size)
        inputs = data.inputs(rows)
        out.append(np.asarray(predict_batch(select_inputs(inputs, names))))
    return np.concatenate(out)


def family_table(probabilities: np.ndarray, data: ShapesArrays, confusions: int = 0) -> dict:
    """Accuracy (%) overall and per question family; with `confusions`, also each
    family's most frequent mistakes as [true answer, answer given, count], so a card
    says what a weak family gets wrong, not only how often."""
    predicted = probabilities.argmax(-1)
    correct = predicted == data.answers
    families = {
        f: round(100 * float(correct[data.families == i].mean()), 2) for i, f in enumerate(FAMILIES) if (data.families == i).any()
    }
    table = {"overall": round(100 * float(correct.mean()), 2), "questions": int(len(data)), "families": families}
    if confusions:
        table["confusions"] = {}
        for i, f in enumerate(FAMILIES):
            wrong = np.flatnonzero((data.families == i) & ~correct)
            if len(wrong):
                table["confusions"][f] = mistakes(data.answers[wrong], predicted[wrong], confusions)
    return table


def mistakes(truth: np.ndarray, predicted: np.ndarray, top: int) -> list[list]:
    """The `top` most frequent (true answer, answer given) pairs of wrong answers."""
    pairs, counts = np.unique(np.stack([truth, predicted], axis=1), axis=0, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:top]
    return [[ANSWERS[pairs[i, 0]], ANSWERS[pairs[i, 1]], int(counts[i])] for i in order]


def keras_predictor(model: keras.Model):
    return lambda inputs: model.predict_on_batch(inputs)


def tables_for(model: keras.Model, tests: dict[str, ShapesArrays]) -> dict:
    """A card's test tables, mistakes included, for each of `tests`."""
    names = input_names(model)
    return {k: family_table(predict_arrays(keras_predictor(model), v, names), v, CONFUSIONS) for k, v in tests.items()}


# -- save ----------------------------------------------------------------------------------


def save_vqa_model(model: keras.Model, out_dir: Path, encoder: task.QuestionEncoder, answers: list[str], card: dict) -> Path:
    """The model, its card, and the vocabulary and answer list the server reads."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "vocab.json").write_text(json.dumps(encoder.words) + "\n")
    (out_dir / "answers.json").write_text(json.dumps(list(answers)) + "\n")
    save_model_with_card(model, out_dir, {"task": "vqa", "image_side": int(model.inputs[0].shape[1]), **card})
    return out_dir


def card_fields(name: str, previous: dict, *, command: str, run: dict, history: list[dict], metrics: dict) -> dict:
    """The card fields both trainers write the same way; `run` is this run's entry in
    `training_runs`, and `previous` the resumed model's card ({} for a new one)."""
    return {
        "version": int(previous.get("version", 0)) + 1,
        "description": vqa_models.DESCRIPTIONS[name],
        "training_command": command,
        "training_runs": [*previous.get("training_runs", []), {"command": command, **run}],
        "validation_history": [*previous.get("validation_history", []), *history],
        "metrics": metrics,
        "published": PUBLISHED,
        **{k: previous[k] for k in CARRIED_OVER if k in previous},
    }
