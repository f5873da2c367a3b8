"""Grow a trained VQA model for a wider language: more words in, more answers out.

Retraining for people's words (#14) starts from the committed models rather than from
scratch: every layer keeps its weights; the word embedding keeps the row of every word
it knew and gains rows for new words (a synonym's row starts from its template word's,
"ball" from "circle", the others from the mean row plus noise); the answer layer keeps
its columns and gains one per new answer (`none`).

The trained model is very sure of itself: its winning logit leads the next by 9-53
nats, so a question outside its old world costs tens of nats and a new answer starts
out of reach of a fine-tuning step. Growing divides the old logits by
`HEAD_TEMPERATURE` (the argmax is unchanged) and starts each new answer's logit a fixed
margin below the lowest winning logits, so both the loss and the distance to learn are
a few nats; the served probabilities are calibrated afresh afterwards
(`benchmarks/vqa_language.py --fit-temperature`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from app.worlds.shapes import preprocessing as task
from training.datasets.shapes.language import vocabulary
from training.datasets.shapes.paraphrase import people_vocabulary, synonyms

HEAD_TEMPERATURE = 3.0
NEW_ANSWER_LOGIT = -12.0  # after softening: below all but the least sure 1 % of winning logits


def grown_words(old_words: Sequence[str] = ()) -> list[str]:
    """The words a model of both languages knows: `old_words` in their order (so their
    ids stay), then every new word, sorted."""
    old = set(old_words)
    return [*old_words, *sorted(w for w in {*vocabulary(), *people_vocabulary()} if w not in old)]


def _grown_config(config: dict, vocab_size: int, num_answers: int) -> dict:
    for layer in config["layers"]:
        if layer["class_name"] == "Embedding":
            layer["config"]["input_dim"] = vocab_size
        if layer["config"].get("name") == "answers":
            layer["config"]["units"] = num_answers
    return config


def _embedding_rows(old: np.ndarray, old_ids: dict[str, int], new_words: Sequence[str], rng: np.random.Generator) -> np.ndarray:
    mean, spread = old[2:].mean(axis=0), old[2:].std(axis=0)
    same_as = synonyms()
    rows = np.empty((len(new_words), old.shape[1]), old.dtype)
    for i, word in enumerate(new_words):
        if word in old_ids:
            rows[i] = old[old_ids[word]]
        elif same_as.get(word) in old_ids:
            rows[i] = old[old_ids[same_as[word]]] + rng.normal(0, 0.01, old.shape[1])
        else:
            rows[i] = mean + rng.normal(0, 0.5, old.shape[1]) * spread
    return rows


def grow(model: keras.Model, old_words: Sequence[str], new_words: Sequence[str], num_answers: int, seed: int = 0) -> keras.Model:
    """A copy of `model` for `new_words` and `num_answers` outputs, the old answers first.
    The word lists are the encoders' `words` (padding and unknown first)."""
    rng = np.random.default_rng(seed)
    old_ids = {w: i for i, w in enumerate(old_words)}
    grown = keras.Model.from_config(_grown_config(model.get_config(), len(new_words), num_answers))
    for old_layer, new_layer in zip(model.layers, grown.layers, strict=True):
        weights = old_layer.get_weights()
        if isinstance(old_layer, keras.layers.Embedding):
            weights = [_embedding_rows(weights[0], old_ids, new_words, rng)]
        elif old_layer.name == "answers" and num_answers > weights[0].shape[1]:
            kernel, bias = (w / HEAD_TEMPERATURE for w in weights)
            extra = num_answers - kernel.shape[1]
            kernel = np.concatenate([kernel, np.zeros((kernel.shape[0], extra), kernel.dtype)], axis=1)
            bias = np.concatenate([bias, np.full(extra, NEW_ANSWER_LOGIT, bias.dtype)])
            weights = [kernel, bias]
        new_layer.set_weights(weights)
    return grown


def freeze_vision(model: keras.Model) -> list[str]:
    """Fine-tune the language side only: the image layers before the first question-
    conditioned block, and every batch normalisation (whose statistics would drift with
    small batches), keep their weights. Returns the frozen layers' names."""
    frozen, in_stem = [], True
    for layer in model.layers:  # in graph order: the stem comes before the question's embedding
        if isinstance(layer, keras.layers.Embedding) or layer.name == "question_encoder":
            in_stem = False
            continue
        if isinstance(layer, keras.layers.BatchNormalization) or (in_stem and layer.weights):
            layer.trainable = False
            frozen.append(layer.name)
    return frozen


def grown_if_needed(model: keras.Model, folder: Path, words: Sequence[str], num_answers: int, seed: int = 0):
    """(model, grown): the model saved in `folder`, grown when it knows fewer words or
    answers than training now uses, with its vision frozen (`freeze_vision`); a grown
    model needs compiling afresh."""
    old_words = task.read_assets(folder)["encoder"].words
    if list(old_words) == list(words) and model.output.shape[-1] == num_answers:
        return model, False
    grown = grow(model, old_words, words, num_answers, seed)
    freeze_vision(grown)
    return grown, True


def resumed_words(folder: Path, resume: bool) -> list[str]:
    """The vocabulary to train with: the saved model's words first when resuming."""
    old = task.read_assets(folder)["encoder"].known_words if resume and (Path(folder) / "vocab.json").is_file() else []
    return grown_words(old)
