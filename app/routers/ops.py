"""Liveness, readiness, and the model list with each model's state and card."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from app.deps import RegistryDep
from app.errors import NotFound

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: every model on disk is loaded and warmed up")
async def readyz(registry: RegistryDep) -> JSONResponse:
    models = {m.name: {"state": m.state.value, **({"reason": m.reason} if m.reason else {})} for m in registry.models.values()}
    body = {"ready": registry.ready, "device": registry.device, "precision": registry.precision, "models": models}
    if registry.ready:
        return JSONResponse(body)
    failed = [name for name, m in models.items() if m["state"] == "failed"]
    if registry.draining:
        body["error"] = "shutting down"
    elif failed:
        body["error"] = f"models failed to load: {', '.join(failed)}"
    else:
        body["error"] = "starting up"
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    body, content_type = request.app.state.metrics.render()
    return Response(body, media_type=content_type)


@router.get("/api/models", summary="Every model, with its state and card")
async def list_models(registry: RegistryDep) -> dict:
    return {"models": registry.describe()}


@router.get("/api/models/{name}", summary="One model, with its state and card")
async def get_model(name: str, registry: RegistryDep) -> dict:
    return registry.get(name).describe()


@router.get("/api/models/{name}/files/{filename}", summary="A plot or other artifact the model's card lists")
async def get_model_file(name: str, filename: str, registry: RegistryDep) -> FileResponse:
    served = registry.get(name)
    # Only names the card lists are served, so no client-chosen path reaches the disk.
    if filename not in served.card.get("artifacts", []):
        raise NotFound(f"model {name!r} has no file {filename!r}")
    path = served.path / filename
    if not path.is_file():
        raise NotFound(f"model {name!r} lists {filename!r} but it is not on disk")
    return FileResponse(path)
