"""Dependencies the routers declare with `Annotated`, so tests can build their own app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings
from app.registry import ModelRegistry


# `async def` on purpose: FastAPI runs plain `def` dependencies in its thread pool,
# two thread hops per request for a dictionary lookup.
async def get_registry(request: Request) -> ModelRegistry:
    return request.app.state.registry


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


RegistryDep = Annotated[ModelRegistry, Depends(get_registry)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
