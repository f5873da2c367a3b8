import numpy as np
from fastapi.testclient import TestClient

from app.main import create_app
from benchmarks.serve import model_calls
from tests.conftest import make_settings


def test_model_calls_reads_one_models_batches_from_the_metrics_page(tiny_models_dir):
    pixels = np.random.default_rng(0).random((28, 28)).round(3).tolist()
    with TestClient(create_app(make_settings(tiny_models_dir))) as client:
        page = client.get("/metrics").text
        before, other_before = model_calls(page, "digits"), model_calls(page, "vqa")
        for _ in range(3):
            assert client.post("/api/digits", json={"pixels": pixels}).status_code == 200
        page = client.get("/metrics").text
        after, other_after = model_calls(page, "digits"), model_calls(page, "vqa")
    calls, rows, seconds = (b - a for a, b in zip(before, after, strict=False))
    assert calls == 3 and rows == 3  # one at a time: each request is its own call of one row
    assert seconds > 0
    assert other_after == other_before


def test_model_calls_is_zero_for_a_model_never_called():
    assert model_calls("", "digits") == (0.0, 0.0, 0.0)
