"""The PyTriton peer: Triton's C++ HTTP front end, the model in a Python stub with
`@batch` and Triton's dynamic batcher (no queue delay, as the app's batcher)."""

from __future__ import annotations

import numpy as np
from forward import config, load_forward
from pytriton.decorators import batch
from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
from pytriton.triton import Triton, TritonConfig

PEER = config()
forward = load_forward(PEER["path"], PEER["inputs"])
NAMES = [name for name, _, _ in PEER["inputs"]]


@batch
def infer(**inputs):
    return {PEER["output"]: forward(*(inputs[n] for n in NAMES))}


def main() -> None:
    tensors = [Tensor(name=n, dtype=np.dtype(d).type, shape=tuple(s)) for n, s, d in PEER["inputs"]]
    ports = PEER["ports"]
    triton_config = TritonConfig(http_port=PEER["port"], grpc_port=ports[0], metrics_port=ports[1], log_verbose=0)
    with Triton(config=triton_config) as triton:
        triton.bind(
            model_name=PEER["name"],
            infer_func=infer,
            inputs=tensors,
            outputs=[Tensor(name=PEER["output"], dtype=np.float32, shape=(-1,))],
            config=ModelConfig(max_batch_size=PEER["max_batch"], batcher=DynamicBatcher(max_queue_delay_microseconds=0)),
            strict=False,
        )
        triton.serve()


if __name__ == "__main__":
    main()
