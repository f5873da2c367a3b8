"""Faults inside a model: an exception answers 500 for that request only, a hang
answers 504 at the deadline, and the other models serve on."""

from __future__ import annotations

import shutil
import threading
import time

import keras
import numpy as np
import pytest
import tensorflow as tf
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import make_settings

RAISE_AT, HANG_AT = 0.7, 0.95  # a request of all these values makes the model fail or hang
HANG_S = 2.0


@keras.saving.register_keras_serializable(package="tests")
class Fault(keras.layers.Layer):
    """Passes its input through, unless the input asks it to fail or to hang."""

    def call(self, x):
        def act(t):
            largest = float(np.max(t.numpy()))
            if largest > HANG_AT - 0.01:
                time.sleep(HANG_S)
            elif largest > RAISE_AT - 0.01:
                raise RuntimeError("injected fault")
            return t

        out = tf.py_function(act, [x], tf.float32)
        out.set_shape(x.shape)
        return out


@pytest.fixture(scope="module")
def faulty_client(tiny_models_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("faulty")
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(Fault()(inputs)))
    (root / "faulty").mkdir()
    keras.Model(inputs, outputs).save(root / "faulty" / "model.keras")
    (root / "faulty" / "card.json").write_text('{"task": "digits"}')
    shutil.copytree(tiny_models_dir / "digits", root / "digits")
    settings = make_settings(root, request_deadline_s=0.5, expected_models="")
    # the app answers an unexpected error itself; the test client must not re-raise it
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def pixels(value: float) -> dict:
    return {"pixels": [[value] * 28] * 28}


def test_an_exception_in_inference_is_a_500_for_that_request_only(faulty_client):
    r = faulty_client.post("/api/digits?model=faulty", json=pixels(RAISE_AT))
    assert r.status_code == 500 and r.json()["error"] == "internal error; it has been logged" and r.json()["request_id"]
    assert faulty_client.post("/api/digits?model=faulty", json=pixels(0.0)).status_code == 200  # the model thread serves on
    metrics = faulty_client.get("/metrics").text
    assert 'vqademo_requests_total{model="faulty",route="/api/digits",status="500"} 1.0' in metrics
    assert faulty_client.get("/readyz").status_code == 200


def test_a_hanging_model_answers_504_at_the_deadline_and_blocks_no_other_model(faulty_client):
    results: dict = {}

    def hang():
        start = time.perf_counter()
        results["hung"] = faulty_client.post("/api/digits?model=faulty", json=pixels(HANG_AT))
        results["hung_s"] = time.perf_counter() - start

    thread = threading.Thread(target=hang)
    thread.start()
    time.sleep(0.1)  # the hang is under way on the faulty model's thread
    start = time.perf_counter()
    other = faulty_client.post("/api/digits?model=digits", json=pixels(0.0))
    other_s = time.perf_counter() - start
    thread.join()
    assert other.status_code == 200 and other_s < 0.4
    assert results["hung"].status_code == 504 and "did not answer within 0.5 s" in results["hung"].json()["error"]
    assert results["hung_s"] < HANG_S
    time.sleep(HANG_S)  # let the hang finish: the next request on that model is served again
    assert faulty_client.post("/api/digits?model=faulty", json=pixels(0.0)).status_code == 200
