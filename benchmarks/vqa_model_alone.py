"""The shapes VQA model in process, without the server or its reader: the temperature
its probabilities are calibrated with, and what it answers to questions given exactly
as typed. Run from `python -m benchmarks.vqa_language` (`--fit-temperature`,
`--model-alone`).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

# -- the model, in process --------------------------------------------------------------


def load_vqa(model_dir: Path):
    """(Keras model, its vocabulary and answers, its image side) from a model folder."""
    import keras

    from app.worlds.shapes import models as vqa_models  # noqa: F401  (custom layers)
    from app.worlds.shapes import preprocessing as task

    model = keras.saving.load_model(model_dir / "model.keras", compile=False)
    return model, task.read_assets(model_dir), model.inputs[0].shape[1]


# -- temperature ----------------------------------------------------------------------


def fit_temperature(model_dir: Path, n_questions: int, seed: int) -> float:
    """The temperature that minimises the negative log-likelihood of the model's answers
    on generated validation questions (Guo et al. 2017), on a grid."""
    from app.worlds.shapes import preprocessing as task
    from training.datasets.shapes.questions import generate
    from training.datasets.shapes.scenes import render, sample_scene

    model, assets, side = load_vqa(model_dir)
    images, questions, answers = [], [], []
    for scene, qs in generate(np.random.default_rng(seed), n_questions, sample_scene):
        pixels = task.image_to_array(render(scene, 128), side)
        for q in qs:
            images.append(pixels)
            questions.append(q.text)
            answers.append(assets["labels"].index(q.answer))
    probabilities = model.predict([np.stack(images), assets["encoder"].encode_batch(questions)], batch_size=256, verbose=0)
    log_p = np.log(np.clip(probabilities, 1e-12, 1.0))
    best, best_nll = 1.0, np.inf
    for t in np.round(np.arange(0.5, 3.01, 0.05), 2):
        scaled = log_p / t
        scaled -= scaled.max(axis=1, keepdims=True)
        nll = -np.mean(scaled[np.arange(len(answers)), answers] - np.log(np.exp(scaled).sum(axis=1)))
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


# -- the model without the reader -------------------------------------------------------

ALONE_KINDS = ("paraphrase", "typo", "false_premise")


def model_alone_table(model_dir: Path, items: list[dict]) -> dict:
    """Right % per kind when the model reads the question exactly as typed."""
    from PIL import Image

    from app.worlds.shapes import preprocessing as task

    model, assets, side = load_vqa(model_dir)
    chosen = [item for item in items if item["kind"] in ALONE_KINDS]
    images = np.stack([task.image_to_array(Image.open(item["file"]), side) for item in chosen])
    probabilities = model.predict([images, assets["encoder"].encode_batch([i["question"] for i in chosen])], verbose=0)
    given = [assets["labels"][k] for k in probabilities.argmax(-1)]
    right: dict[str, list[bool]] = defaultdict(list)
    for item, answer in zip(chosen, given):
        right[item["kind"]].append(answer == item["answer"])
    table = {kind: {"questions": len(r), "right": round(100 * float(np.mean(r)), 2)} for kind, r in right.items()}
    everything = [x for r in right.values() for x in r]
    table["all"] = {"questions": len(everything), "right": round(100 * float(np.mean(everything)), 2)}
    return table
