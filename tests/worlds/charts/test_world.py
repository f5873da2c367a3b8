"""The charts world through the API: the reader model from the real builder (untrained,
so only the shape of the answer is tested here; benchmarks/chart_questions.py measures
the trained one), the reading cached per picture, a clear 503 without the model, and
the article's baseline asked beside the reader."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.config import ROOT
from app.main import create_app
from app.worlds.vocabulary import QuestionEncoder
from tests.conftest import COMMITTED_MODELS, make_settings, png_bytes
from training.common import save_model_with_card
from training.datasets.charts.files import charts
from training.train_chart_baseline import build_model as build_baseline
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


# -- the article's baseline beside the reader ------------------------------------------------


@pytest.fixture(scope="module")
def reader_and_baseline_dir(tmp_path_factory):
    """The committed reader (an untrained one reads no labels to ask about) and an
    untrained baseline from the real builder."""
    root = tmp_path_factory.mktemp("chart_models_baseline")
    shutil.copytree(COMMITTED_MODELS / "chart_reader", root / "chart_reader")
    encoder = QuestionEncoder(["is", "the", "minimum", "less", "than", "planes", "paris"])
    (root / "chart_baseline").mkdir()
    (root / "chart_baseline" / "vocab.json").write_text(json.dumps(encoder.words))
    model = build_baseline(len(encoder), width=16, hidden=32)
    save_model_with_card(model, root / "chart_baseline", {"task": "chart_baseline"})
    return root


def _ask(client, question: str, **fields):
    with open(ROOT / "static" / "charts" / "chart_00.png", "rb") as picture:
        data = {"question": question, **fields}
        return client.post("/api/vqa", files={"image": ("c.png", picture.read(), "image/png")}, data=data)


def test_the_baseline_is_asked_the_same_question_beside_the_reader(reader_and_baseline_dir):
    with TestClient(create_app(make_settings(reader_and_baseline_dir, models="chart_reader,chart_baseline"))) as client:
        body = _ask(client, "is planes the smallest one?").json()
        which = _ask(client, "Which is the smallest?").json()
    assert body["model"] == "chart_reader" and body["answers"][0]["answer"] == "yes"
    baseline = body["evidence"]["baseline"]
    assert baseline["model"] == "chart_baseline" and baseline["question"] == "Is Planes the minimum?"
    assert baseline["answer"] in ("yes", "no") and baseline["agrees"] == (baseline["answer"] == "yes")
    assert "baseline" not in which["evidence"]  # FigureQA's templates only


def test_the_baseline_answers_when_asked_to_and_says_what_it_cannot(reader_and_baseline_dir):
    with TestClient(create_app(make_settings(reader_and_baseline_dir, models="chart_reader,chart_baseline"))) as client:
        body = _ask(client, "Is Paris less than Planes?", model="chart_baseline").json()
        which = _ask(client, "Which is the smallest?", model="chart_baseline").json()
    assert body["model"] == "chart_baseline" and [a["answer"] for a in body["answers"]] in (["yes", "no"], ["no", "yes"])
    assert body["interpreted_as"] == ["Is Paris less than Planes?"] and "CNN + LSTM" in body["note"]
    assert which["model"] == "chart_baseline" and which["answers"] == [] and "yes/no templates" in which["note"]


def test_asking_for_a_baseline_that_is_not_installed_is_a_503_naming_it(reader_dir, chart_png):
    with TestClient(create_app(make_settings(reader_dir))) as client:  # expected, but no folder
        response = client.post(
            "/api/vqa",
            files={"image": ("c.png", chart_png, "image/png")},
            data={"question": "Is Plums the minimum?", "model": "chart_baseline"},
        )
    assert response.status_code == 503 and "chart_baseline" in response.json()["error"]
