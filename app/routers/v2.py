"""The Open Inference Protocol (KServe V2), as Triton and MLServer serve it, so
standard clients such as `tritonclient` work unchanged.

Health answers 200 for true and 503 (with `Retry-After`) for false; clients read
any status other than 200 as false.

`POST /v2/models/{name}/infer` is answered by `LeanInfer`, a pure ASGI layer inside
the middleware stack, ahead of FastAPI's routing and dependency solving: at 32
concurrent clients those were a quarter of the event loop's time, and the protocol has
its own schema and validation anyway. The FastAPI routes below stay: they document the
endpoint in OpenAPI and answer when `v2_lean_infer` is off, and the tests run every V2
request through both and compare the bytes.
"""

from __future__ import annotations

import math

import numpy as np
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from app.batching import Rows, count_rows
from app.deps import RegistryDep, SettingsDep
from app.errors import ApiError, BadRequest, NotFound, error_response
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


def _input_rows(served: ServedModel, parsed) -> Rows:
    """The request's tensors in the model's input layout: float32 images, int32 token ids
    (checked against the vocabulary, so no id can index outside the embedding)."""
    specs = served.v2_metadata["inputs"]
    expected = [s["name"] for s in specs]
    if sorted(parsed.inputs) != sorted(expected):
        raise BadRequest(f"model {served.name!r} takes the inputs {expected}; got {sorted(parsed.inputs)}")
    arrays = []
    for spec in specs:
        shape, tensor = tuple(spec["shape"][1:]), parsed.inputs[spec["name"]]
        size = math.prod(shape)
        if tensor.ndim < 2 or math.prod(tensor.shape[1:]) != size:
            raise BadRequest(
                f"input {spec['name']!r} has shape {list(tensor.shape)}; model {served.name!r} takes {[-1, *shape]}"
                f" (or any shape with the batch first and {size} values per item)"
            )
        sent, wanted = parsed.datatypes[spec["name"]], spec["datatype"]
        if sent.startswith("FP") != wanted.startswith("FP"):  # floats for images, integers for token ids
            kind = "INT32 token ids" if wanted == "INT32" else "FP32 values in 0..1"
            raise BadRequest(f"input {spec['name']!r}: datatype {sent} is not accepted here; send {kind}")
        rows = tensor.reshape((-1, *shape))
        if wanted == "INT32":
            vocabulary = len(served.assets["encoder"]) if "encoder" in served.assets else 2**31
            if (rows != np.round(rows)).any() or rows.min(initial=0) < 0 or rows.max(initial=0) >= vocabulary:
                raise BadRequest(f"input {spec['name']!r} must hold whole numbers in 0..{vocabulary - 1} (token ids)")
            rows = rows.astype(np.int32)
        arrays.append(rows)
    if len({len(a) for a in arrays}) > 1:
        raise BadRequest("every input must have the same batch size (first dimension)")
    return arrays[0] if len(arrays) == 1 else tuple(arrays)


async def _infer(served: ServedModel, request: Request, registry: ModelRegistry, settings) -> Response:
    name = served.name
    request.state.model = name  # the metrics label
    metadata = served.v2_metadata
    row_size = sum(math.prod(s["shape"][1:]) for s in metadata["inputs"])
    parsed = parse_infer_request(await request.body(), request.headers, max_elements=settings.max_v2_batch * row_size)
    output_name = metadata["outputs"][0]["name"]
    for out in parsed.outputs:
        if out["name"] != output_name:
            raise BadRequest(f"model {name!r} has no output {out['name']!r}; it has {output_name!r}")
    rows = _input_rows(served, parsed)
    if count_rows(rows):
        result = await registry.infer(served, rows)
    else:
        result = np.zeros((0, *metadata["outputs"][0]["shape"][1:]), np.float32)
    tensor = parsed.inputs[metadata["inputs"][0]["name"]]
    if len(metadata["inputs"]) == 1 and result.size == tensor.size:
        result = result.reshape(tensor.shape)  # an autoencoder answers in the layout it was asked in
    body, headers = encode_infer_response(name, served.version, parsed, {output_name: result})
    media_type = headers.pop("content-type")
    return Response(body, media_type=media_type, headers=headers)


# -- the lean path -------------------------------------------------------------------------------


def infer_target(path: str) -> tuple[str, str | None] | None:
    """(model, version) for the two infer paths FastAPI's routes declare, else None."""
    parts = path.split("/")
    # ["", "v2", "models", name, "infer"] or ["", "v2", "models", name, "versions", version, "infer"]
    if len(parts) == 5 and parts[:3] == ["", "v2", "models"] and parts[4] == "infer" and parts[3]:
        return parts[3], None
    if len(parts) == 7 and parts[:3] == ["", "v2", "models"] and parts[4] == "versions" and parts[6] == "infer":
        if parts[3] and parts[5]:
            return parts[3], parts[5]
    return None


class LeanInfer:
    """`POST /v2/models/{name}[/versions/{v}]/infer` without FastAPI's router: the same
    handler (`_infer`), the same errors rendered the same way (`error_response`), the
    route that FastAPI would have matched set on the scope (so metrics label it alike).
    Innermost of the middlewares, so the request id, metrics, keys, the fair share and
    the body size limit all apply as on any route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        routes = {getattr(r, "path", None): r for r in router.routes}
        self.route = routes["/v2/models/{name}/infer"]
        self.version_route = routes["/v2/models/{name}/versions/{version}/infer"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = infer_target(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if target is None:
            await self.app(scope, receive, send)
            return
        name, version = target
        scope["route"] = self.route if version is None else self.version_route
        request = Request(scope, receive)
        state = request.app.state
        try:
            response = await _infer(_model(state.registry, name, version), request, state.registry, state.settings)
        except ApiError as exc:
            response = error_response(exc.status_code, exc.message, exc.headers)
        except ClientDisconnect:  # as the app's handler answers it: nobody is left to read it
            response = error_response(400, "the request body was cut off")
        await response(scope, receive, send)
