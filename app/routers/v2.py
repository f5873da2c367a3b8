"""The Open Inference Protocol (KServe V2), as Triton and MLServer serve it, so
standard clients such as `tritonclient` work unchanged.

Health answers 200 for true and 503 (with `Retry-After`) for false; clients read
any status other than 200 as false.
"""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.deps import RegistryDep, SettingsDep
from app.errors import BadRequest, NotFound
from app.registry import ModelRegistry, ModelState, ServedModel
from app.v2_protocol import encode_infer_response, parse_infer_request

router = APIRouter(prefix="/v2", tags=["open inference protocol (v2)"])


def _boolean(flag_name: str, value: bool) -> JSONResponse:
    return JSONResponse({flag_name: value}, status_code=200 if value else 503, headers=None if value else {"Retry-After": "5"})


@router.get("", summary="Server metadata")
async def server_metadata(request: Request) -> dict:
    return {"name": "vqa-demo", "version": request.app.version, "extensions": ["binary_tensor_data"]}


@router.get("/health/live", summary="The server is live")
async def live() -> dict:
    return {"live": True}


@router.get("/health/ready", summary="Every model on disk is ready")
async def ready(registry: RegistryDep) -> JSONResponse:
    return _boolean("ready", registry.ready)


def _model(registry: ModelRegistry, name: str, version: str | None, ready: bool = True) -> ServedModel:
    """The model, at the version asked for (each model serves one version)."""
    served = registry.require_ready(name) if ready else registry.get(name)
    if version is not None and version != served.version:
        raise NotFound(f"model {name!r} has version {served.version}, not {version!r}")
    return served


@router.get("/models/{name}", summary="A model's inputs and outputs")
async def model_metadata(name: str, registry: RegistryDep) -> dict:
    return _model(registry, name, None).v2_metadata


@router.get("/models/{name}/versions/{version}", include_in_schema=False)
async def model_version_metadata(name: str, version: str, registry: RegistryDep) -> dict:
    return _model(registry, name, version).v2_metadata


@router.get("/models/{name}/ready", summary="The model is loaded and warmed up")
async def model_ready(name: str, registry: RegistryDep) -> JSONResponse:
    return _boolean("ready", _model(registry, name, None, ready=False).state is ModelState.READY)


@router.get("/models/{name}/versions/{version}/ready", include_in_schema=False)
async def model_version_ready(name: str, version: str, registry: RegistryDep) -> JSONResponse:
    return _boolean("ready", _model(registry, name, version, ready=False).state is ModelState.READY)


INFER_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}}


@router.post("/models/{name}/infer", summary="Run the model on tensors", openapi_extra=INFER_BODY)
async def infer(name: str, request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    return await _infer(_model(registry, name, None), request, registry, settings)


@router.post("/models/{name}/versions/{version}/infer", include_in_schema=False)
async def infer_version(name: str, version: str, request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    return await _infer(_model(registry, name, version), request, registry, settings)


async def _infer(served: ServedModel, request: Request, registry: ModelRegistry, settings) -> Response:
    name = served.name
    request.state.model = name  # the metrics label
    row_shape = served.input_shape
    row_size = int(np.prod(row_shape))
    parsed = parse_infer_request(await request.body(), request.headers, max_elements=settings.max_v2_batch * row_size)
    metadata = served.v2_metadata
    input_name, output_name = metadata["inputs"][0]["name"], metadata["outputs"][0]["name"]
    if set(parsed.inputs) != {input_name}:
        raise BadRequest(f"model {name!r} takes one input named {input_name!r}; got {sorted(parsed.inputs)}")
    tensor = parsed.inputs[input_name]
    if tensor.ndim < 2 or int(np.prod(tensor.shape[1:])) != row_size:
        raise BadRequest(
            f"input {input_name!r} has shape {list(tensor.shape)}; model {name!r} takes {[-1, *row_shape]}"
            f" (or any shape with the batch first and {row_size} values per item)"
        )
    for out in parsed.outputs:
        if out["name"] != output_name:
            raise BadRequest(f"model {name!r} has no output {out['name']!r}; it has {output_name!r}")
    rows = tensor.reshape((-1, *row_shape))
    result = await registry.infer(served, rows) if len(rows) else np.zeros((0, *metadata["outputs"][0]["shape"][1:]), np.float32)
    if int(np.prod(result.shape[1:])) == row_size:
        result = result.reshape(tensor.shape)  # an autoencoder answers in the layout it was asked in
    body, headers = encode_infer_response(name, served.version, parsed, {output_name: result})
    media_type = headers.pop("content-type")
    return Response(body, media_type=media_type, headers=headers)
