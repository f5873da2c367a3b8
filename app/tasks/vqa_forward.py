"""The VQA models served as two compiled calls, so a question is encoded once.

A question's encoding (the recurrent encoder's output) depends on its words alone, and
the plans ask the same template questions over and over ("How many large circles are
there?"). So the model is split at its `question_encoder` layer: one compiled call
encodes questions not seen before, kept in a bounded least-recently-used table; the
other runs the image half and the rest of the network on (image, encoding). The
answers are the whole model's, bit for bit (a test pins it). The split runs only on
the model's own thread, so the table needs no lock.
"""

from __future__ import annotations

from collections import OrderedDict

import keras
import numpy as np

from app import runtime

ENCODER_LAYER = "question_encoder"
MAX_CACHED_QUESTIONS = 4096  # a few MB of float32 encodings


class CachedQuestionForward:
    def __init__(self, model: keras.Model, max_entries: int = MAX_CACHED_QUESTIONS) -> None:
        encoding = model.get_layer(ENCODER_LAYER).output
        self.encode = runtime.inference_forward(keras.Model(model.inputs[1], encoding))
        self.answer = runtime.inference_forward(keras.Model([model.inputs[0], encoding], model.outputs[0]))
        self.max_entries = max_entries
        self.encodings: OrderedDict[bytes, np.ndarray] = OrderedDict()

    def __call__(self, rows: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        images, ids = rows
        ids = np.ascontiguousarray(ids, dtype=np.int32)
        keys = [row.tobytes() for row in ids]
        new = list(dict.fromkeys(k for k in keys if k not in self.encodings))
        if new:
            first = {k: i for i, k in reversed(list(enumerate(keys)))}
            for key, vector in zip(new, self.encode(ids[[first[k] for k in new]]), strict=True):
                self.encodings[key] = vector
        for key in keys:
            self.encodings.move_to_end(key)
        encoded = np.stack([self.encodings[k] for k in keys])
        while len(self.encodings) > self.max_entries:  # after use: one batch may hold more than the table
            self.encodings.popitem(last=False)
        return self.answer((images, encoded))


def splittable(model: keras.Model) -> bool:
    return any(layer.name == ENCODER_LAYER for layer in model.layers) and len(model.inputs) == 2
