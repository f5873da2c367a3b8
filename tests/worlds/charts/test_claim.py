"""Which pictures the charts world claims: charts of both renderers, never photos or
shapes scenes (the shapes world is asked first, and keeps them)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from app.config import ROOT
from app.worlds import WORLDS, pick
from app.worlds.base import Fit
from app.worlds.charts.claim import check_chart
from training.datasets.charts.files import charts
from training.datasets.charts.pillow import draw_chart
from training.datasets.charts.tables import KINDS, sample_table


def test_charts_of_both_renderers_are_claimed():
    rng = np.random.default_rng(5)
    drawn = [image for image, _ in charts(rng, 10, "alternated")]
    drawn += [draw_chart(sample_table(rng, kind, "alternated"), rng) for kind in KINDS * 2]
    for image in drawn:
        assert check_chart(image).fit is Fit.FULL
        assert pick(WORLDS, image)[0].name == "charts"


def test_photos_and_scenes_keep_their_worlds():
    for path in sorted((ROOT / "static" / "photos").glob("*.*")):
        if path.suffix in (".jpg", ".png"):
            image = Image.open(path)
            assert check_chart(image).fit is Fit.NONE, path.name
            assert pick(WORLDS, image)[0].name == "photo"
    for path in sorted((ROOT / "static" / "samples").glob("*.png")):
        assert pick(WORLDS, Image.open(path))[0].name == "shapes", path.name
