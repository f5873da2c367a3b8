"""Request ids and the app's log lines, so an error a user saw can be found in the log.

Every request gets an id: the client's `X-Request-ID` when it is well formed (a
balancer or the calling app made it), otherwise a new one. It is returned on every
response, in every error body, and in every log line written while the request is
served (a logging filter reads it from a context variable, which asyncio tasks and
`asyncio.to_thread` inherit).

`VQADEMO_LOG_FORMAT=json` writes one JSON object per line, for log collectors, and a
line per request with its route, model, status, latency and the rows of the largest
model batch it rode in. In the default text format uvicorn's access log stays the
record of ordinary requests and the app adds a line only for the ones that failed
(status 400 and over), so an id a user reports finds its line either way.
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
import time
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
# Ids from clients are echoed into headers and logs: only short, plain ones are taken.
WELL_FORMED = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
ACCESS = logging.getLogger("app.access")
log = logging.getLogger(__name__)
INTERNAL_ERROR = "internal error; it has been logged"


@dataclass
class RequestInfo:
    id: str
    batch_rows: int = 0  # the largest model batch this request's rows rode in


CURRENT: ContextVar[RequestInfo | None] = ContextVar("request", default=None)


def new_request_id() -> str:
    """32 random hex digits, as a uuid4's hex. An id names a request in the logs and is
    no secret, so it comes from Python's generator (reseeded in every forked worker)
    rather than `uuid4`, which makes a system call and a UUID object per request."""
    return f"{random.getrandbits(128):032x}"


def request_id() -> str | None:
    info = CURRENT.get()
    return info.id if info else None


def note_batch(rows: int) -> None:
    """Called by the batcher when a request's rows come back (on the event loop)."""
    info = CURRENT.get()
    if info is not None and rows > info.batch_rows:
        info.batch_rows = rows


class RequestContext:
    """Gives each HTTP request its id and writes its log line (pure ASGI). Outermost in
    the app's own stack, it also answers what nothing else caught, with a 500 that
    reveals nothing but the id (Starlette's own handler for that sits outside every
    middleware, where the id and its header are gone)."""

    def __init__(self, app: ASGIApp, json_logs: bool = False) -> None:
        self.app = app
        self.json_logs = json_logs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == HEADER), b"")
        info = RequestInfo(given.decode() if WELL_FORMED.fullmatch(given) else new_request_id())
        CURRENT.set(info)  # each request runs in its own task: the value ends with it
        status, start, started = 500, time.perf_counter(), False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", []), (HEADER, info.id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if started:  # half a response is out: the server can only cut the connection
                raise
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            await JSONResponse({"error": INTERNAL_ERROR, "request_id": info.id}, status_code=500)(scope, receive, send_with_id)
        finally:
            if self.json_logs or status >= 400:
                self._log(scope, info, status, time.perf_counter() - start)

    @staticmethod
    def _log(scope: Scope, info: RequestInfo, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        fields = {
            "method": scope["method"],
            "route": route,
            "status": status,
            "model": scope.get("state", {}).get("model") or None,
            "latency_ms": round(seconds * 1000, 2),
            "batch_rows": info.batch_rows or None,
        }
        level = logging.WARNING if status >= 500 else logging.INFO
        ACCESS.log(level, "%s %s %d in %.1f ms", scope["method"], route, status, seconds * 1000, extra={"fields": fields})


# -- log lines --------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request being served ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a line is logged, not when the handler
    was made (a test's captured stream may be gone by the next request)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure_logging(log_format: str) -> logging.Handler:
    """The app's loggers ("app.*") write to stderr in `log_format` (text or json), each
    line with its request id; a second call (another app in the same process) replaces
    the handler instead of adding one."""
    logger = logging.getLogger("app")
    for old in [h for h in logger.handlers if getattr(h, "vqademo", False)]:
        logger.removeHandler(old)
    handler = StderrHandler()
    handler.vqademo = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return handler
