"""Shapes questions streamed straight into `fit`: no files, no scene seen twice.

`ShapesStream` is a `keras.utils.PyDataset` (backend-agnostic): batch `i` of epoch `e`
is generated from the seed sequence (seed, e, i), so any number of workers produce
the same batches, and a training stream never repeats a scene. A validation or test
stream is `fixed`: the same batches every epoch, from its own seed.

`rehearsal` is the share of batches asked in the spec's templates alone when the
language is `people`: retraining a model on the wider language keeps seeing the
questions it already answers, so it forgets them less. `focus` asks some families more
often than the others (`shapes_arrays.focused`).

Batches come from `shapes_arrays.make_arrays`, which shapes images and questions with
`app.worlds.shapes.preprocessing`, the functions the server uses.
"""

from __future__ import annotations

import keras
import numpy as np

from app.worlds.shapes import preprocessing as task
from training.datasets.shapes.arrays import ShapesArrays, focused, make_arrays, rehearsed

VALIDATION_SEED = 1_000_003
TEST_SEED = 2_000_003
PEOPLE_SEED_OFFSET = 7  # the people's-language validation and test sets: scenes of their own seeds


class ShapesStream(keras.utils.PyDataset):
    def __init__(
        self,
        encoder: task.QuestionEncoder,
        batch_size: int = 64,
        steps: int = 1000,
        seed: int = 0,
        fixed: bool = False,
        image_side: int = task.DEFAULT_IMAGE_SIDE,
        style: str = "varied",
        per_scene: int = 8,
        language: str = "templates",
        rehearsal: float = 0.0,
        focus: dict[str, int] | None = None,
        input_names: tuple[str, ...] = ("image", "question"),
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)  # workers, use_multiprocessing, max_queue_size
        self.encoder = encoder
        self.batch_size = batch_size
        self.steps = steps
        self.seed = seed
        self.fixed = fixed
        self.epoch = 0
        self.input_names = input_names  # a question-only model takes no image
        self.rehearsal = rehearsal
        self.options = {
            "image_side": image_side,
            "style": style,
            "per_scene": per_scene,
            "language": language,
            "families": focused(focus),
        }

    def __len__(self) -> int:
        return self.steps

    def batch(self, index: int) -> ShapesArrays:
        epoch = 0 if self.fixed else self.epoch
        rng = np.random.default_rng([self.seed, epoch, index])
        language = rehearsed(self.options["language"], self.rehearsal, rng)
        return make_arrays(rng, self.batch_size, self.encoder, **{**self.options, "language": language})

    def __getitem__(self, index: int):
        b = self.batch(index)
        inputs = b.inputs()
        if len(self.input_names) == 1:
            return inputs[self.input_names[0]], b.answers
        return {name: inputs[name] for name in self.input_names}, b.answers

    def on_epoch_end(self) -> None:
        self.epoch += 1
