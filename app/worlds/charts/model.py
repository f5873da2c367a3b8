"""Charts, the served models: `chart_reader` (training/train_chart_reader.py) needs
nothing besides its file; `chart_baseline` (training/train_chart_baseline.py) needs its
vocabulary. The reading around the reader is `app.worlds.charts.reading`, the
baseline's question `app.worlds.charts.baseline`."""

from __future__ import annotations

import json
from pathlib import Path

import keras

from app.tasks import Prepared
from app.worlds.vocabulary import QuestionEncoder

SERVES = ("chart_reader", "chart_baseline")
READER = "chart_reader"


def baseline_encoder(folder: Path) -> QuestionEncoder:
    """The baseline's vocabulary, saved beside it by its trainer."""
    return QuestionEncoder(json.loads((Path(folder) / "vocab.json").read_text()))


def prepare(model: keras.Model, card: dict, folder: Path) -> Prepared:
    if card.get("task") == "chart_baseline":
        return Prepared(assets={"encoder": baseline_encoder(folder)})
    return Prepared()
