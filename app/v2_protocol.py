"""Tensors in and out of the Open Inference Protocol (KServe V2) over HTTP/REST.

Two encodings, as Triton and MLServer speak them:
- JSON: `{"inputs": [{"name", "shape", "datatype", "data"}]}`, `data` row-major,
  flat or nested;
- the binary tensor extension (what `tritonclient` sends by default): the JSON
  header's length in the `Inference-Header-Content-Length` header, then each
  tensor's raw little-endian bytes, announced by `parameters.binary_data_size`.
Outputs come back in binary when the request asks for it (`binary_data` on an
output, or `binary_data_output` on the request), else as JSON.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np
import orjson

from app.errors import BadRequest, UnsupportedMediaType

DTYPES = {
    "FP32": np.float32,
    "FP64": np.float64,
    "FP16": np.float16,
    "INT8": np.int8,
    "INT16": np.int16,
    "INT32": np.int32,
    "INT64": np.int64,
    "UINT8": np.uint8,
    "UINT16": np.uint16,
    "UINT32": np.uint32,
    "UINT64": np.uint64,
    "BOOL": np.bool_,
}
HEADER_LENGTH = "inference-header-content-length"


@dataclass
class InferRequest:
    id: str | None
    inputs: dict[str, np.ndarray]  # as float32, whatever was sent
    datatypes: dict[str, str]  # what was sent: FP32, INT32, ...
    outputs: list[dict]  # as requested, possibly empty (all outputs)
    binary_output: bool  # the request-level default


def _float32_values(data, name: str) -> np.ndarray:
    """The parsed JSON numbers as one flat float32 array. A flat list (what clients
    send) goes through `np.fromiter`, which converts each number once, at about half
    the cost of `np.asarray`; nested lists take the general path."""
    if isinstance(data, list):
        with contextlib.suppress(TypeError, ValueError):  # nested, or not numbers: the general path decides
            return np.fromiter(data, np.float32, len(data))
    try:
        return np.asarray(data, dtype=np.float32).ravel()
    except (TypeError, ValueError, OverflowError):
        raise BadRequest(f"input {name!r}: data must be numbers, row-major, flat or nested") from None


def _tensor(spec: dict, raw: bytes | None, max_elements: int) -> tuple[str, np.ndarray]:
    if not isinstance(spec, dict):
        raise BadRequest("each input must be an object with name, shape, datatype and data")
    name, shape, datatype = spec.get("name"), spec.get("shape"), spec.get("datatype")
    if not isinstance(name, str) or not name:
        raise BadRequest("an input has no name")
    if not isinstance(shape, list) or not shape or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise BadRequest(f"input {name!r}: shape must be a list of whole numbers >= 0, with the batch first")
    if datatype not in DTYPES:
        raise BadRequest(f"input {name!r}: unknown datatype {datatype!r}")
    if datatype == "BOOL":
        raise BadRequest(f"input {name!r}: datatype BOOL is not accepted here; send FP32 (images) or INT32 (token ids)")
    count = math.prod(shape)  # math, not numpy: no array made for a short list of ints
    if count > max_elements:
        raise BadRequest(f"input {name!r}: {count:,} values is over the limit of {max_elements:,}")
    dtype = np.dtype(DTYPES[datatype]).newbyteorder("<")
    array: np.ndarray
    if raw is not None:
        if len(raw) != count * dtype.itemsize:
            raise BadRequest(f"input {name!r}: {len(raw)} bytes of binary data for shape {shape} ({datatype})")
        array = np.frombuffer(raw, dtype=dtype)
    else:
        if "data" not in spec:
            raise BadRequest(f"input {name!r} has no data")
        array = _float32_values(spec["data"], name)
        if array.size != count:
            raise BadRequest(f"input {name!r}: {array.size} values for shape {shape} (needs {count})")
    values = array.astype(np.float32, copy=False).reshape(shape)
    if not np.isfinite(values).all():
        raise BadRequest(f"input {name!r} has values that are not finite numbers")
    return name, values


def parse_infer_request(body: bytes, headers, *, max_elements: int) -> InferRequest:
    if headers.get("content-encoding", "identity") not in ("identity", ""):
        raise UnsupportedMediaType("compressed request bodies are not accepted; send the body as it is")
    header_length = headers.get(HEADER_LENGTH)
    binary = b""
    if header_length is not None:
        try:
            n = int(header_length)
        except ValueError:
            raise BadRequest("Inference-Header-Content-Length is not a number") from None
        if not 0 < n <= len(body):
            raise BadRequest("Inference-Header-Content-Length is larger than the body")
        body, binary = body[:n], body[n:]
    try:  # orjson: strict JSON, and nesting past 1,024 levels is an error, not a crash
        request = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON ({exc})") from None
    if not isinstance(request, dict) or not isinstance(request.get("inputs"), list) or not request["inputs"]:
        raise BadRequest("the body needs an 'inputs' list of tensors")

    inputs, datatypes, offset = {}, {}, 0
    for spec in request["inputs"]:
        size = (spec.get("parameters") or {}).get("binary_data_size") if isinstance(spec, dict) else None
        raw = None
        if size is not None:
            if not isinstance(size, int) or size < 0 or offset + size > len(binary):
                raise BadRequest("binary_data_size does not match the binary data sent")
            raw, offset = binary[offset : offset + size], offset + size
        name, array = _tensor(spec, raw, max_elements)
        inputs[name], datatypes[name] = array, spec["datatype"]
    outputs = request.get("outputs") or []
    if not isinstance(outputs, list) or not all(isinstance(o, dict) and isinstance(o.get("name"), str) for o in outputs):
        raise BadRequest("'outputs' must be a list of objects with a name")
    parameters = request.get("parameters") or {}
    request_id = request.get("id")
    return InferRequest(
        id=str(request_id) if request_id is not None else None,
        inputs=inputs,
        datatypes=datatypes,
        outputs=outputs,
        binary_output=bool(isinstance(parameters, dict) and parameters.get("binary_data_output")),
    )


def encode_infer_response(
    model_name: str, version: str, request: InferRequest, outputs: dict[str, np.ndarray]
) -> tuple[bytes, dict[str, str]]:
    """The response body and its headers (binary extension where asked for)."""
    wanted = request.outputs or [{"name": name} for name in outputs]
    tensors, blobs = [], []
    for out in wanted:
        array = np.ascontiguousarray(outputs[out["name"]], dtype="<f4")
        tensor = {"name": out["name"], "datatype": "FP32", "shape": list(array.shape)}
        as_binary = (out.get("parameters") or {}).get("binary_data", request.binary_output)
        if as_binary:
            blob = array.tobytes()
            tensor["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            tensor["data"] = array.ravel()  # written by orjson straight from the array
        tensors.append(tensor)
    body = {"model_name": model_name, "model_version": version, "outputs": tensors}
    if request.id is not None:
        body["id"] = request.id
    header = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    if not blobs:
        return header, {"content-type": "application/json"}
    return header + b"".join(blobs), {
        "content-type": "application/octet-stream",
        "Inference-Header-Content-Length": str(len(header)),
    }
