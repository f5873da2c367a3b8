"""The demo page. Everything it needs is served from `static/`: no CDN, works offline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from app.config import ROOT
from app.deps import RegistryDep, SettingsDep
from app.registry import ModelState

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=ROOT / "app" / "templates")


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, registry: RegistryDep, settings: SettingsDep) -> HTMLResponse:
    models = {m.name: m for m in registry.models.values()}
    mlp = models.get("digits_mlp")
    toy = models.get("autoencoder_toy")
    vqa = models.get("vqa")
    vqa_ready = vqa is not None and vqa.state is ModelState.READY
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "models": registry.describe(),
            "digits_card": models["digits"].card if "digits" in models else {},
            "dropout_plot": "dropout_curves.png" in (mlp.card.get("artifacts", []) if mlp else []),
            "comparison_cards": {
                n: models[n].card
                for n in ("digits", "digits_mlp_nodropout", "digits_mlp")
                if n in models and models[n].card.get("metrics")
            },
            "mc_samples": settings.default_page_mc_samples,
            "toy_rows": toy.answers.get("toy") if toy else None,
            "ae_card": models["autoencoder"].card if "autoencoder" in models else {},
            "ae_ready": "autoencoder" in models and models["autoencoder"].state is ModelState.READY,
            "toy_card": toy.card if toy else {},
            "vqa_ready": vqa_ready,
            "vqa_card": vqa.card if vqa else {},
            "vqa_words": vqa.assets["encoder"].known_words if vqa is not None and vqa_ready else [],
            "vqa_answers": vqa.assets["labels"] if vqa is not None and vqa_ready else [],
            "max_question_chars": settings.max_question_chars,
        },
    )


@router.get("/favicon.ico")
async def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg", status_code=308)
