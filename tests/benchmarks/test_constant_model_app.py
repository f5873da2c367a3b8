import importlib

import keras
import numpy as np
import pytest
from fastapi.testclient import TestClient

from app import runtime
from app.worlds.shapes import models as vqa_models
from tests.conftest import make_settings


@pytest.fixture
def constant(monkeypatch):
    """The module, its swap of runtime.inference_forward undone after the test."""
    monkeypatch.setattr(runtime, "inference_forward", runtime.inference_forward)
    module = importlib.import_module("benchmarks.constant_model_app")
    monkeypatch.setattr(runtime, "inference_forward", module.constant_digits_forward)
    return module


def test_the_constant_model_app_answers_digits_without_the_model(constant, tiny_models_dir):
    pixels = np.random.default_rng(0).random((28, 28)).round(3).tolist()
    with TestClient(constant.create_app(make_settings(tiny_models_dir))) as client:
        answer = client.post("/api/digits", json={"pixels": pixels})
        assert answer.status_code == 200
        assert np.allclose(answer.json()["probabilities"], 0.1)


def test_other_models_keep_their_forward_pass(constant):
    model = vqa_models.build_scene_autoencoder()
    x = np.random.default_rng(1).random((2, *model.inputs[0].shape[1:])).astype(np.float32)
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(constant.constant_digits_forward(model)(x), expected, atol=1e-5)
