"""The ASGI app: `uvicorn app.main:app` serves it, `create_app()` builds one for tests."""

from __future__ import annotations

import gc
import logging
import signal
from collections.abc import Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.config import ROOT, Settings, get_settings
from app.errors import install_error_handlers
from app.fairness import FairShare
from app.keys import ApiKeys, key_digests
from app.limits import BodySizeLimit, DecodeBudget
from app.metrics import Metrics, MetricsMiddleware
from app.observability import RequestContext, configure_logging
from app.openapi import declare_bearer
from app.quiet import native_noise_filtered

with native_noise_filtered():  # the first import of TensorFlow
    from app.registry import ModelRegistry
from app.routers import autoencoder, digits, ops, pages, v2, vqa
from app.security import SecurityHeaders
from app.worlds import WORLDS
from app.worlds.base import World

log = logging.getLogger("app")


def drain_on_sigterm(registry: ModelRegistry) -> None:
    """On SIGTERM, turn readiness false at once (load balancers stop sending), then let
    the server's own handler run: uvicorn stops accepting, lets in-flight requests
    finish (`--timeout-graceful-shutdown`), runs the lifespan's shutdown and exits."""
    try:
        previous = signal.getsignal(signal.SIGTERM)

        def handler(signum, frame):
            registry.draining = True
            log.info("SIGTERM: draining")
            if callable(previous):
                previous(signum, frame)

        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (TestClient runs the lifespan in another)
        pass


def install_middleware(app: FastAPI, settings: Settings, metrics: Metrics, digests: list[str]) -> None:
    """The middleware stack; the last added is the outermost. From the outside in: the
    request id (every response has it), metrics (they see 413s and 429s too), security
    headers, CORS, API keys (before the fair share, so only a valid key gets a bucket of
    its own), the fair share, the body size limit, the lean V2 infer path."""
    if settings.v2_lean_infer:  # innermost: every other middleware applies to it too
        app.add_middleware(v2.LeanInfer)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.rate_per_s:
        app.add_middleware(
            FairShare,
            rate_per_s=settings.rate_per_s,
            burst=settings.rate_burst_or_default,
            max_clients=settings.rate_max_clients,
            trusted_proxies=settings.trusted_proxies,
            metrics=metrics,
            by_key=bool(digests),
        )
    if digests:
        app.add_middleware(ApiKeys, digests=digests)
    if settings.cors_origin_list:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list, allow_methods=["GET", "POST"])
    app.add_middleware(SecurityHeaders)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # sees 413s too
    app.add_middleware(RequestContext, json_logs=settings.log_format == "json")  # outermost: every response has its id


def create_app(settings: Settings | None = None, worlds: Sequence[World] = WORLDS) -> FastAPI:
    """The app; `worlds` are the kinds of picture `POST /api/vqa` answers about, in the
    order they are tried (`app.worlds.pick`)."""
    settings = settings or get_settings()
    configure_logging(settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        registry = ModelRegistry(settings, metrics)
        app.state.registry = registry
        app.state.decode_budget = DecodeBudget(settings.decode_budget_pixels)
        with native_noise_filtered():
            await registry.load_all()  # models load off the event loop; see the registry
        drain_on_sigterm(registry)
        # Everything loaded so far (TensorFlow, Keras, the models) lives as long as the
        # process. Freezing it keeps the garbage collector from walking those millions
        # of objects in every full collection, a pause every request behind it waits out.
        gc.collect()
        gc.freeze()
        log.info("ready: %s", {m.name: m.state.value for m in registry.models.values()})
        try:
            yield
        finally:
            await registry.close()
            metrics.process_exited()

    app = FastAPI(
        title="VQA demo service",
        summary="Small Keras vision models behind REST and a browser page: "
        "visual question answering, digits with dropout, autoencoders.",
        version=__version__,
        lifespan=lifespan,
        telemetry=None if settings.opentelemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    metrics = Metrics()
    app.state.settings = settings
    app.state.worlds = tuple(worlds)
    app.state.metrics = metrics
    install_error_handlers(app)
    digests = key_digests(settings.api_keys.get_secret_value(), settings.api_keys_file)
    declare_bearer(app, required=bool(digests))
    install_middleware(app, settings, metrics, digests)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    for router in (pages.router, ops.router, digits.router, autoencoder.router, vqa.router, v2.router):
        app.include_router(router)
    return app


app = create_app()
