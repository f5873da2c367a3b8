"""Charts, the served model: `chart_reader` (training/train_chart_reader.py) needs
nothing besides its file; the reading around it is `app.worlds.charts.reading`."""

from __future__ import annotations

from pathlib import Path

import keras

from app.tasks import Prepared

SERVES = ("chart_reader",)
READER = "chart_reader"


def prepare(model: keras.Model, card: dict, folder: Path) -> Prepared:
    return Prepared()
