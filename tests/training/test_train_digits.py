"""A smoke run of the training script on tiny data, then the server loads its output."""

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import make_settings
from training import train_digits


@pytest.fixture(scope="module")
def trained(tiny_mnist, tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    cards = train_digits.main(["--quick", "--out", str(out), "--mnist-npz", str(tiny_mnist), "--verbose", "0"])
    return out, cards


def test_quick_run_writes_every_model_with_its_card(trained):
    out, cards = trained
    assert set(cards) == set(train_digits.MODELS)
    for name in train_digits.MODELS:
        card = json.loads((out / name / "card.json").read_text())
        assert (out / name / "model.keras").is_file()
        assert card["name"] == name and card["task"] == "digits"
        assert 0.0 <= card["metrics"]["test_accuracy"] <= 1.0
        assert card["epochs"] == 1 and card["wall_time_seconds"] > 0
        assert card["data"]["sha256"] and card["backend"] and card["keras"]
        assert card["command"].startswith("python -m training.train_digits")
        assert card["inputs"] == [[None, 28, 28, 1]] and card["outputs"] == [[None, 10]]
        assert len(card["history"]["val_loss"]) == 1
    assert (out / "digits_mlp" / train_digits.PLOT_NAME).stat().st_size > 10_000


def test_resume_continues_from_the_saved_model(trained, tiny_mnist):
    import keras

    out, _ = trained
    before = keras.saving.load_model(out / "digits" / "model.keras").get_weights()
    cards = train_digits.main(
        ["--quick", "--model", "digits", "--resume", "--out", str(out), "--mnist-npz", str(tiny_mnist), "--verbose", "0"]
    )
    card = cards["digits"]
    assert card["epochs"] == 2 and card["version"] == 2
    assert len(card["history"]["loss"]) == 2
    after = keras.saving.load_model(out / "digits" / "model.keras").get_weights()
    # The saved schedule had decayed to zero; resuming must still learn.
    assert max(float(np.abs(a - b).max()) for a, b in zip(before, after, strict=False)) > 1e-4


def test_the_server_loads_what_training_wrote(trained):
    out, _ = trained
    with TestClient(create_app(make_settings(out))) as client:
        assert client.get("/readyz").status_code == 200
        r = client.post("/api/digits", json={"pixels": [[0.0] * 28] * 28, "mc_samples": 3})
        assert r.status_code == 200
        assert client.get("/api/models/digits_mlp/files/dropout_curves.png").headers["content-type"] == "image/png"
