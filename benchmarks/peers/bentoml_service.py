"""The BentoML peer: a service with a batchable API, one worker, on BentoML's own JSON
route (it has no V2 endpoint). BentoML reads the API's inputs from its signature, so
each model the benchmark serves has its own: `digits` (image) and `vqa` (image, question)."""

from __future__ import annotations

import bentoml
import numpy as np
from forward import config, load_forward

PEER = config()
DTYPES = {name: dtype for name, _, dtype in PEER["inputs"]}
MAX_BATCH = PEER["max_batch"]


class Forward:
    def __init__(self) -> None:
        self.forward = load_forward(PEER["path"], PEER["inputs"])


if list(DTYPES) == ["image"]:

    @bentoml.service(workers=1)
    class Peer(Forward):
        @bentoml.api(batchable=True, max_batch_size=MAX_BATCH, max_latency_ms=1000)
        def predict(self, image: np.ndarray) -> np.ndarray:
            return self.forward(image.astype(DTYPES["image"]))

else:

    @bentoml.service(workers=1)
    class Peer(Forward):  # type: ignore[no-redef]
        @bentoml.api(batchable=True, max_batch_size=MAX_BATCH, max_latency_ms=1000)
        def predict(self, image: np.ndarray, question: np.ndarray) -> np.ndarray:
            return self.forward(image.astype(DTYPES["image"]), question.astype(DTYPES["question"]))
