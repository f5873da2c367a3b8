"""Autoencoders. For now: the article's 4-2-4 toy on its four one-hot inputs."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import RegistryDep

router = APIRouter(prefix="/api/autoencoder", tags=["autoencoder"])


@router.get("/toy", summary="The article's 4-2-4 autoencoder on each one-hot input")
async def toy(registry: RegistryDep) -> dict:
    served = registry.require_ready("autoencoder_toy", task="autoencoder_toy")
    return {
        "model": served.name,
        "rows": served.answers["toy"],
        "epochs_to_solve": served.card.get("epochs_to_solve"),
    }
