"""The VQA models served as three compiled calls, so no work is done twice.

A request asks several template questions about one picture ("How many large circles
are there?" to check the object is there, then "What color is the large circle?"), and
the plans ask the same questions over and over. So the model is split in three, where
its graph joins the picture and the question:
- the picture's part (the conv stem): every layer that depends on the picture alone,
  run once per distinct picture in a batch;
- the question's part (the encoder, and in FiLM the per-block scales and shifts):
  every layer that depends on the question alone, run once per question not seen
  before and kept in a bounded least-recently-used table;
- the rest of the network, on both parts' outputs, once per row.
The answers are the whole model's (a test pins them). The model may run two calls at
once (app.batching), so the table is read and changed under a lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import keras
import numpy as np

from app import runtime

MAX_CACHED_QUESTIONS = 4096  # a few MB of float32 features


def _inputs_of(tensor) -> list:
    operation, node_index, _ = tensor._keras_history
    return list(operation._inbound_nodes[node_index].input_tensors)


def frontier(model: keras.Model, source) -> list:
    """Where the part of the graph that depends on the input `source` alone feeds the
    rest: walking back from the output, the first tensors computed from `source` and
    nothing else."""
    memo: dict[int, bool] = {}

    def source_only(tensor) -> bool:
        if id(tensor) not in memo:
            inputs = _inputs_of(tensor)
            memo[id(tensor)] = tensor is source if not inputs else all(source_only(t) for t in inputs)
        return memo[id(tensor)]

    found: list = []
    seen: set[int] = set()

    def walk(tensor) -> None:
        if id(tensor) in seen:
            return
        seen.add(id(tensor))
        if source_only(tensor):
            found.append(tensor)
            return
        for t in _inputs_of(tensor):
            walk(t)

    walk(model.outputs[0])
    return found


def distinct_rows(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indices of the first of each run of equal rows, each row's run): a request's
    questions arrive as consecutive copies of its picture."""
    if len(images) == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    new = np.ones(len(images), dtype=bool)
    new[1:] = (images[1:] != images[:-1]).any(axis=tuple(range(1, images.ndim)))
    return np.flatnonzero(new), np.cumsum(new) - 1


def _as_list(outputs) -> list[np.ndarray]:
    return list(outputs) if isinstance(outputs, tuple) else [outputs]


class CachedQuestionForward:
    def __init__(self, model: keras.Model, max_entries: int = MAX_CACHED_QUESTIONS) -> None:
        image, question = model.inputs
        seen, heard = frontier(model, image), frontier(model, question)
        self.see = runtime.inference_forward(keras.Model(image, seen))
        self.hear = runtime.inference_forward(keras.Model(question, heard))
        self.answer = runtime.inference_forward(keras.Model([*seen, *heard], model.outputs[0]))
        self.max_entries = max_entries
        self.questions: OrderedDict[bytes, list[np.ndarray]] = OrderedDict()
        self._table = threading.Lock()

    def _question_features(self, ids: np.ndarray) -> list[np.ndarray]:
        with self._table:
            keys = [row.tobytes() for row in ids]
            new = list(dict.fromkeys(k for k in keys if k not in self.questions))
            if new:
                first = {k: i for i, k in reversed(list(enumerate(keys)))}
                heard = _as_list(self.hear(ids[[first[k] for k in new]]))
                for i, key in enumerate(new):
                    self.questions[key] = [part[i] for part in heard]
            for key in keys:
                self.questions.move_to_end(key)
            features = [np.stack(parts) for parts in zip(*(self.questions[k] for k in keys), strict=True)]
            while len(self.questions) > self.max_entries:  # after use: one batch may hold more than the table
                self.questions.popitem(last=False)
            return features

    def _image_features(self, images: np.ndarray) -> list[np.ndarray]:
        firsts, runs = distinct_rows(images)
        seen = _as_list(self.see(images[firsts]))
        return seen if len(firsts) == len(images) else [part[runs] for part in seen]

    def __call__(self, rows: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        images, ids = rows
        heard = self._question_features(np.ascontiguousarray(ids, dtype=np.int32))
        return self.answer((*self._image_features(images), *heard))


def splittable(model: keras.Model) -> bool:
    """A model of a picture and a question (the shapes VQA models)."""
    return [t.name for t in model.inputs] == ["image", "question"]
