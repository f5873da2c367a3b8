"""The charts world through the API: the reader model from the real builder (untrained,
so only the shape of the answer is tested here; benchmarks/chart_questions.py measures
the trained one), the reading cached per picture, and a clear 503 without the model."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import make_settings, png_bytes
from training.common import save_model_with_card
from training.datasets.charts.files import charts
from training.train_chart_reader import build_model


@pytest.fixture(scope="module")
def reader_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("chart_models")
    _, served = build_model(width=8)
    save_model_with_card(served, root / "chart_reader", {"task": "chart_reader"})
    return root


@pytest.fixture(scope="module")
def chart_png():
    image, _ = next(charts(np.random.default_rng(2), 1, "alternated"))
    return png_bytes(image)


def test_a_chart_is_answered_by_the_charts_world_with_its_table(reader_dir, chart_png):
    with TestClient(create_app(make_settings(reader_dir, models="chart_reader"))) as client:
        first = client.post(
            "/api/vqa", files={"image": ("c.png", chart_png, "image/png")}, data={"question": "Which is the largest?"}
        )
        second = client.post(
            "/api/vqa", files={"image": ("c.png", chart_png, "image/png")}, data={"question": "Is Plums the minimum?"}
        )
        worlds = client.get("/api/vqa/worlds").json()["worlds"]
    assert first.status_code == 200 and second.status_code == 200
    body = first.json()
    assert body["world"] == "charts" and body["model"] == "chart_reader"
    assert body["evidence"]["kind"] == "chart" and body["evidence"]["cached"] is False
    assert body["evidence"]["chart_kind"] in ("vbar", "hbar", "pie", "line", "dotline")
    assert second.json()["evidence"]["cached"] is True
    charts_world = next(w for w in worlds if w["name"] == "charts")
    assert charts_world["samples"] and all(s["image_url"].startswith("/static/charts/") for s in charts_world["samples"])


def test_without_the_reader_a_chart_is_a_503_naming_it(tiny_models_dir, chart_png):
    with TestClient(create_app(make_settings(tiny_models_dir))) as client:
        response = client.post(
            "/api/vqa", files={"image": ("c.png", chart_png, "image/png")}, data={"question": "Is Plums the minimum?"}
        )
    assert response.status_code == 503
    assert "chart_reader" in response.json()["error"]


def test_out_of_scope_needs_no_reading_to_say_so(reader_dir, chart_png):
    with TestClient(create_app(make_settings(reader_dir, models="chart_reader"))) as client:
        body = client.post(
            "/api/vqa", files={"image": ("c.png", chart_png, "image/png")}, data={"question": "Will sales grow next year?"}
        ).json()
    assert body["question_in_scope"] is False and body["answers"] == [] and body["scope_note"]
