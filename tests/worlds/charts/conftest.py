"""Charts drawn by the generator with the reader model's targets standing in for its
output: the reading is tested apart from how well any trained model finds regions."""

from __future__ import annotations

import numpy as np
import pytest

from app.worlds.charts.preprocessing import GRID, KINDS, REGIONS
from training.datasets.charts.files import charts
from training.datasets.charts.masks import targets


def perfect_output(image, record) -> np.ndarray:
    """What a reader model that is never wrong would say about a rendered chart."""
    kind, regions = targets(image, record)
    out = np.zeros((GRID, GRID, len(REGIONS) + len(KINDS)), dtype=np.float32)
    out[np.arange(GRID)[:, None], np.arange(GRID)[None, :], regions] = 1.0
    out[:, :, len(REGIONS) + kind] = 1.0
    return out


@pytest.fixture(scope="module")
def rendered():
    """Two charts of each kind, held-out colours."""
    return list(charts(np.random.default_rng(31), 10, "alternated"))
