"""Shapes questions streamed straight into training: no files, no scene seen twice.

`ShapesStream` is a `keras.utils.PyDataset` (backend-agnostic): batch `i` of epoch `e`
is generated from the seed sequence (seed, e, i), so any number of workers produce
the same batches, and a training stream never repeats a scene. A validation or test
stream is `fixed`: the same batches every epoch, from its own seed.

Images and questions pass through `app.tasks.vqa`, the functions the server uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from app.tasks import vqa as task
from training.datasets.shapes import render, sample_scene
from training.datasets.shapes_language import ANSWERS, FAMILIES
from training.datasets.shapes_questions import generate

ANSWER_INDEX = {a: i for i, a in enumerate(ANSWERS)}
VALIDATION_SEED = 1_000_003
TEST_SEED = 2_000_003


@dataclass
class Batch:
    images: np.ndarray  # float32 [n, side, side, 3]
    questions: np.ndarray  # int32 [n, max_tokens]
    answers: np.ndarray  # int32 [n]
    families: np.ndarray  # int32 [n], index into FAMILIES
    texts: list[str]


def make_batch(
    rng: np.random.Generator,
    size: int,
    encoder: task.QuestionEncoder,
    image_side: int = task.DEFAULT_IMAGE_SIDE,
    render_size: int = 128,
    per_scene: int = 8,
    antialias: int = 1,
) -> Batch:
    images, texts, answers, families = [], [], [], []
    for scene, questions in generate(rng, size, sample_scene, per_scene=per_scene):
        image = task.image_to_array(render(scene, render_size, antialias), image_side)
        for q in questions:
            images.append(image)
            texts.append(q.text)
            answers.append(ANSWER_INDEX[q.answer])
            families.append(FAMILIES.index(q.family))
    order = rng.permutation(len(texts))  # questions of one scene should not sit together
    return Batch(
        np.stack(images)[order],
        encoder.encode_batch([texts[i] for i in order]),
        np.asarray(answers, np.int32)[order],
        np.asarray(families, np.int32)[order],
        [texts[i] for i in order],
    )


class ShapesStream(keras.utils.PyDataset):
    def __init__(
        self,
        encoder: task.QuestionEncoder,
        batch_size: int = 64,
        steps: int = 1000,
        seed: int = 0,
        fixed: bool = False,
        image_side: int = task.DEFAULT_IMAGE_SIDE,
        render_size: int = 128,
        per_scene: int = 8,
        antialias: int = 1,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)  # workers, use_multiprocessing, max_queue_size
        self.encoder = encoder
        self.batch_size = batch_size
        self.steps = steps
        self.seed = seed
        self.fixed = fixed
        self.epoch = 0
        self.options = {"image_side": image_side, "render_size": render_size, "per_scene": per_scene, "antialias": antialias}

    def __len__(self) -> int:
        return self.steps

    def batch(self, index: int) -> Batch:
        epoch = 0 if self.fixed else self.epoch
        rng = np.random.default_rng([self.seed, epoch, index])
        return make_batch(rng, self.batch_size, self.encoder, **self.options)

    def __getitem__(self, index: int):
        b = self.batch(index)
        return (b.images, b.questions), b.answers

    def on_epoch_end(self) -> None:
        self.epoch += 1
