"""The ASGI app: `uvicorn app.main:app` serves it, `create_app()` builds one for tests."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.config import ROOT, Settings, get_settings
from app.errors import install_error_handlers
from app.limits import BodySizeLimit
from app.registry import ModelRegistry
from app.routers import digits, ops, pages, vqa

log = logging.getLogger("app")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        registry = ModelRegistry(settings)
        app.state.registry = registry
        await registry.load_all()  # models load off the event loop; see the registry
        log.info("ready: %s", {m.name: m.state.value for m in registry.models.values()})
        try:
            yield
        finally:
            await registry.close()

    app = FastAPI(
        title="VQA demo service",
        summary="Small Keras vision models behind REST and a browser page: "
        "visual question answering, digits with dropout, autoencoders.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    for router in (pages.router, ops.router, digits.router, vqa.router):
        app.include_router(router)
    return app


app = create_app()
