"""Domain errors carry their HTTP status; one handler renders every error the same way.

Clients always get `{"error": "<what to do about it>", "request_id": "..."}`. Nothing a client sends may
produce a 500: FastAPI's 422 becomes a 400 with the offending field named, and any
unexpected exception is logged and answered with a 500 that reveals nothing
(`app.observability.RequestContext`, which knows the request's id).
"""

from __future__ import annotations

import logging
from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from app.observability import request_id
from app.tasks.imaging import ImageError

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    status_code = 400

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(ApiError):
    status_code = 400


class NotFound(ApiError):
    status_code = 404


class PayloadTooLarge(ApiError):
    status_code = 413


class UnsupportedMediaType(ApiError):
    status_code = 415


class ServiceUnavailable(ApiError):
    """Not ready, or overloaded: try again shortly."""

    status_code = 503

    def __init__(self, message: str, *, retry_after_s: int = 1) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_s)})


class ModelNotReady(ServiceUnavailable):
    pass


class Overloaded(ServiceUnavailable):
    pass


class DeadlineExceeded(ApiError):
    status_code = 504


def parse_json_body(model: type[M], body: bytes) -> M:
    """`body` validated as `model`, or a BadRequest naming the first problems."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise BadRequest(f"invalid JSON body: {validation_message(exc)}") from None


def validation_message(exc: ValidationError) -> str:
    """The first problems, each with its field; a validator's own sentence as it is
    (it names its field already)."""
    parts = []
    for e in exc.errors()[:3]:
        if e["type"] == "value_error":
            parts.append(e["msg"].removeprefix("Value error, "))
        else:
            parts.append(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}")
    return "; ".join(parts)


def error_response(status_code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """`{"error": ..., "request_id": ...}`: the id finds the request's log lines."""
    body = {"error": message}
    if (rid := request_id()) is not None:
        body["request_id"] = rid
    return JSONResponse(body, status_code=status_code, headers=headers)


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "form"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", "invalid"))
    return "invalid request: " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status_code, exc.message, exc.headers)

    @app.exception_handler(ImageError)  # raised by the task modules, which know no HTTP
    async def _image_error(request: Request, exc: ImageError) -> JSONResponse:
        return error_response(exc.status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such path: {request.url.path}"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        return error_response(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(ClientDisconnect)  # the client left mid-upload: nobody to answer
    async def _gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        log.info("client left during %s %s", request.method, request.url.path)
        return error_response(400, "the request body was cut off")
