"""The MLServer peer: a custom runtime; MLServer's adaptive batching gathers requests
(`max_batch_size`, `max_batch_time` in model-settings.json, written by the benchmark)."""

from __future__ import annotations

from forward import config, load_forward
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse

PEER = config()


class Runtime(MLModel):
    async def load(self) -> bool:
        self.forward = load_forward(PEER["path"], PEER["inputs"])
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        by_name = {i.name: NumpyCodec.decode_input(i) for i in payload.inputs}
        rows = [by_name[name].astype(dtype) for name, _, dtype in PEER["inputs"]]
        out = self.forward(*rows)
        return InferenceResponse(model_name=self.name, outputs=[NumpyCodec.encode_output(PEER["output"], out)])
