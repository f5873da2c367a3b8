"""Visual question answering. For now: the sample scenes with suggested questions."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter

from app.config import ROOT
from app.deps import SettingsDep
from app.errors import NotFound

router = APIRouter(prefix="/api/vqa", tags=["vqa"])


@lru_cache(maxsize=4)
def _load_samples(folder: Path) -> list[dict]:
    try:
        data = json.loads((folder / "samples.json").read_text())
    except (OSError, ValueError):
        return []
    static = ROOT / "static"
    base = f"/static/{folder.relative_to(static).as_posix()}" if folder.is_relative_to(static) else None
    return [
        {
            "id": s["id"],
            "image_url": f"{base}/{s['file']}" if base else None,
            "width": s["size"],
            "height": s["size"],
            "questions": s["questions"],
            "objects": [{k: o[k] for k in ("shape", "color", "size", "pixel_coords", "bbox")} for o in s["scene"]["objects"]],
        }
        for s in data["samples"]
    ]


@router.get("/samples", summary="Sample scenes with suggested questions (and their true answers)")
async def samples(settings: SettingsDep) -> dict:
    found = _load_samples(settings.samples_dir)
    if not found:
        raise NotFound("no sample scenes on this server (run `python -m training.datasets.shapes_files samples`)")
    return {"samples": found}
