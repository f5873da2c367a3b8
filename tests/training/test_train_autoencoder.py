"""Smoke runs of the autoencoder training on tiny data; the server loads the results."""

import base64
import io
import json

import keras
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from app.main import create_app
from tests.conftest import make_settings, png_bytes
from training import autoencoder_evaluation, train_autoencoder
from training.outlier_exposure import KeepBestOnNonDigits, OutlierExposureLoss


def test_toy_trains_to_a_two_bit_code_fast_and_is_served(tmp_path):
    card = train_autoencoder.main(["--out", str(tmp_path)])["autoencoder_toy"]
    assert card["metrics"]["solved"] and card["metrics"]["rebuilt"] == 4
    assert card["wall_time_seconds"] < 30
    saved = json.loads((tmp_path / "autoencoder_toy" / "card.json").read_text())
    assert saved["epochs_to_solve"] == card["epochs_to_solve"] > 0
    with TestClient(create_app(make_settings(tmp_path))) as client:
        body = client.get("/api/autoencoder/toy").json()
        assert len(body["rows"]) == 4
        corners = {tuple(round(v) for v in row["code"]) for row in body["rows"]}
        assert corners == {(0, 0), (0, 1), (1, 0), (1, 1)}
        for row in body["rows"]:
            assert max(range(4), key=row["reconstruction"].__getitem__) == row["input"].index(1.0)


@pytest.fixture(scope="module")
def mnist_models(tiny_mnist, tmp_path_factory):
    out = tmp_path_factory.mktemp("ae")
    cards = train_autoencoder.main(
        ["--model", "mnist", "--quick", "--out", str(out), "--mnist-npz", str(tiny_mnist), "--verbose", "0"]
    )
    return out, cards


def test_quick_run_writes_the_three_mnist_models(mnist_models):
    out, cards = mnist_models
    assert set(cards) == set(train_autoencoder.MNIST_MODELS)
    main = cards["autoencoder"]
    assert main["code_dim"] == 32 and main["metrics"]["pca_components"] == 32
    assert main["metrics"]["test_sse_per_image"] > 0 and main["metrics"]["pca_test_sse_per_image"] > 0
    assert len(main["error_quantiles"]) == 1001 and main["error_quantiles"] == sorted(main["error_quantiles"])
    assert set(main["metrics"]["anomaly_flagged"]) >= {
        "mnist_test_digits",
        "letters",
        "scribbles",
        "noise",
        "pen_digits",
        "font_digits",
        "drawn_like_digits",
    }
    assert main["outlier_exposure"]["examples"] > 500 and main["loss"].startswith("mean squared error on digits")
    assert cards["autoencoder_2d"]["code_dim"] == 2 and len(cards["autoencoder_2d"]["latent_bounds"]) == 4
    assert (out / "autoencoder_2d" / train_autoencoder.MAP_NAME).stat().st_size > 5_000
    assert cards["autoencoder_denoise"]["metrics"]["noise_std"] == 0.5
    assert (out / "autoencoder" / train_autoencoder.UNFLAGGED_NAME).stat().st_size > 1_000


def test_unflagged_only_redraws_on_the_pictures_the_card_was_measured_on(mnist_models, tiny_mnist):
    out, _ = mnist_models
    plot = out / "autoencoder" / train_autoencoder.UNFLAGGED_NAME
    plot.unlink()
    rates = train_autoencoder.main(["--unflagged-only", "--out", str(out), "--mnist-npz", str(tiny_mnist)])["autoencoder"]
    card = json.loads((out / "autoencoder" / "card.json").read_text())
    assert {k: round(v, 4) for k, v in rates.items()} == {
        k: v for k, v in card["metrics"]["anomaly_flagged"].items() if k != "mnist_test_digits"
    }
    assert plot.stat().st_size > 1_000
    assert card["artifacts"] == [train_autoencoder.UNFLAGGED_NAME]
    with TestClient(create_app(make_settings(out))) as client:
        assert client.get(f"/api/models/autoencoder/files/{plot.name}").headers["content-type"] == "image/png"
        assert 'data-testid="ae-unflagged"' in client.get("/").text


def test_plot_unflagged_draws_the_letters_and_scribbles_under_the_threshold(tmp_path):
    pictures = {kind: np.random.default_rng(0).random((5, 28, 28)) for kind in ("letters", "scribbles", "noise")}
    errors = {"letters": np.array([1.0, 20, 3, 20, 20]), "scribbles": np.array([20.0] * 5), "noise": np.zeros(5)}
    assert autoencoder_evaluation.plot_unflagged(pictures, errors, 10.0, tmp_path / "u.png") == 2  # noise is not drawn
    assert (tmp_path / "u.png").stat().st_size > 1_000


def test_the_server_answers_with_code_reconstruction_map_and_denoising(mnist_models):
    out, _ = mnist_models
    image = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(image).ellipse((50, 30, 150, 170), outline=0, width=18)
    with TestClient(create_app(make_settings(out))) as client:
        r = client.post("/api/autoencoder", files={"image": ("zero.png", png_bytes(image), "image/png")})
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["code"]) == 32
        assert np.asarray(body["reconstruction"]).shape == (28, 28)
        rebuilt = np.asarray(Image.open(io.BytesIO(base64.b64decode(body["reconstruction_png"]))))
        assert rebuilt.shape == (28, 28)
        assert 0 <= body["percentile"] <= 100 and isinstance(body["anomaly"], bool)
        assert len(body["latent_2d"]) == 2 and body["latent_map"]["url"].endswith(".png")
        assert all(0 <= v <= 1 for v in body["latent_map"]["position"])
        assert client.get(body["latent_map"]["url"]).status_code == 200
        assert body["noisy_png"] and body["denoised_png"]
        same = client.post("/api/autoencoder", json={"pixels": body["input"]}).json()
        assert same["reconstruction_error"] == pytest.approx(body["reconstruction_error"], rel=1e-4)
        assert "input" not in same
        # V2: the reconstruction comes back with as many values as were sent
        for shape in ([1, 784], [1, 28, 28], [1, 28, 28, 1]):
            infer = {"inputs": [{"name": "image", "datatype": "FP32", "shape": shape, "data": [0.0] * 784}]}
            out_tensor = client.post("/v2/models/autoencoder/infer", json=infer).json()["outputs"][0]
            assert out_tensor["shape"] == shape and len(out_tensor["data"]) == 784
        bad = client.post("/api/autoencoder", json={"pixels": [[0.0] * 3]})
        assert bad.status_code == 400
        absent = client.post("/api/autoencoder?model=digits", json={"pixels": [[0.0] * 28] * 28})
        assert absent.status_code == 503 and "not installed" in absent.json()["error"]  # not in this folder


def test_resume_continues_the_outlier_exposure_run(mnist_models, tiny_mnist):
    out, cards = mnist_models
    card = train_autoencoder.main(
        [
            "--model",
            "autoencoder",
            "--quick",
            "--resume",
            "--learning-rate",
            "0.0005",
            "--out",
            str(out),
            "--mnist-npz",
            str(tiny_mnist),
            "--verbose",
            "0",
        ]
    )["autoencoder"]
    assert card["epochs"] == cards["autoencoder"]["epochs"] + 1
    assert card["optimizer"].startswith("Adam, warm-up to 0.0005 ")  # the new cycle's peak, as asked
    model = keras.saving.load_model(out / "autoencoder" / "model.keras")  # the loss deserialises
    assert isinstance(model.loss, OutlierExposureLoss)


def test_training_keeps_the_checkpoint_that_flags_most_validation_non_digits(mnist_models, tiny_mnist):
    out, cards = mnist_models
    selection = cards["autoencoder"]["checkpoint_selection"]
    scores = selection["scores"]
    assert [s["epoch"] for s in scores] == [0, 1]  # the starting weights compete too
    best = max(scores, key=lambda s: (s["mean"], s["epoch"]))
    assert selection["kept_epoch"] == best["epoch"]
    # the saved model is the kept checkpoint: scoring it again gives the kept score
    saved = keras.saving.load_model(out / "autoencoder" / "model.keras", compile=False)
    from training.common import split_mnist
    from training.datasets import mnist, non_digits

    x_val = split_mnist(mnist.load_mnist(tiny_mnist), quick=True)["val"][0]
    held_out = non_digits.validation_set(np.random.default_rng([3, 2]), 60)
    keeper = KeepBestOnNonDigits(x_val, {k: v[..., None] for k, v in held_out.items()})
    keeper.set_model(saved)
    assert keeper.score()["mean"] == best["mean"]
