"""The chart benchmark on a few charts: the committed reader and an untrained baseline
from the real builder, scored on the same yes/no questions."""

from __future__ import annotations

import os

import keras
import pytest

from app import ocr
from app.config import ROOT
from app.worlds.charts.preprocessing import TEMPLATES
from app.worlds.vocabulary import QuestionEncoder
from benchmarks import chart_questions
from training.train_chart_baseline import build_model

pytestmark = pytest.mark.skipif(
    not ocr.available() and not os.environ.get("VQADEMO_REQUIRE_OCR"), reason="Tesseract is not installed"
)


def test_the_reader_and_the_baseline_are_scored_on_the_same_questions():
    reader = keras.saving.load_model(ROOT / "models" / "chart_reader" / "model.keras", compile=False, safe_mode=True)
    encoder = QuestionEncoder(["is", "the", "minimum", "maximum", "less", "than"])
    baseline = (build_model(len(encoder), width=16, hidden=32), encoder)
    result = chart_questions.score_set(reader, "pillow", 3, seed=5, baseline=baseline)
    asked = sum(t["questions"] for name, t in result["templates"].items() if name in TEMPLATES)
    assert result["baseline"]["templates"]["questions"] == asked > 0
    assert set(result["baseline"]["per_template"]) <= set(TEMPLATES)
    assert result["baseline"]["templates"]["declined"] == 0  # it always says yes or no
    assert 0 <= result["groups"]["template"]["right_percent"] <= 100
