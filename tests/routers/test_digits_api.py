import base64
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from app.inputs import PLAIN_PIXELS_MAX_BYTES, DigitsJson, plain_pixels
from app.main import create_app
from tests.conftest import make_settings, png_bytes

BLANK = [[0.0] * 28] * 28


def stroke_png(size=(200, 200)) -> bytes:
    image = Image.new("L", size, 255)
    ImageDraw.Draw(image).line([(size[0] // 2, 30), (size[0] // 2, size[1] - 30)], fill=0, width=18)
    return png_bytes(image)


def check_answer(body: dict, from_image: bool = True) -> None:
    assert 0 <= body["digit"] <= 9
    assert len(body["probabilities"]) == 10
    assert sum(body["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert body["digit"] == int(np.argmax(body["probabilities"]))
    assert "unsure" in body["uncertainty"]
    if from_image:  # what preprocessing made of the upload
        assert np.asarray(body["input"]).shape == (28, 28)
    else:
        assert "input" not in body


def test_multipart_upload(tiny_client):
    r = tiny_client.post("/api/digits", files={"image": ("d.png", stroke_png(), "image/png")})
    assert r.status_code == 200, r.text
    check_answer(r.json())
    assert r.json()["uncertainty"]["method"] == "softmax"


def test_json_pixels_are_used_as_they_are(tiny_client, tiny_models_dir):
    import keras

    pixels = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    r = tiny_client.post("/api/digits", json={"pixels": pixels.tolist()})
    assert r.status_code == 200
    check_answer(r.json(), from_image=False)
    model = keras.saving.load_model(tiny_models_dir / "digits" / "model.keras")
    direct = keras.ops.convert_to_numpy(model(pixels.reshape(1, 28, 28, 1), training=False))[0]
    np.testing.assert_allclose(r.json()["probabilities"], direct, atol=1e-5)


@pytest.mark.parametrize(
    "rows",
    [
        np.random.default_rng(1).random((28, 28)).tolist(),
        [[0] * 28] * 27 + [[1] * 28],  # integers
        [[True, 0.5] + [0.0] * 26] * 28,  # pydantic reads true as 1.0, and so does numpy among numbers
    ],
)
def test_the_plain_pixels_fast_path_reads_what_the_validated_model_reads(rows):
    body = json.dumps({"pixels": rows}).encode()
    fast = plain_pixels(body)
    assert fast is not None and fast.dtype == np.float32
    np.testing.assert_array_equal(fast, DigitsJson.model_validate_json(body).pixels)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        json.dumps({"pixels": BLANK, "model": "digits"}),  # options: the validated path reads them
        json.dumps({"pixels": [[0.0] * 28] * 27}),
        json.dumps({"pixels": [[0.0] * 28] * 27 + [[0.0] * 27]}),  # ragged
        json.dumps({"pixels": [["0.5"] * 28] * 28}),  # strings
        json.dumps({"pixels": [[True] * 28] * 28}),  # booleans only
        json.dumps({"pixels": [[None] * 28] * 28}),
        json.dumps({"pixels": [[10**30] * 28] * 28}),
        json.dumps({"pixels": [[1.5] * 28] * 28}),
        json.dumps({"pixels": [[-0.1] * 28] * 28}),
        b'{"pixels": [[NaN]]}',
        json.dumps({"pixels": BLANK}) + " " * PLAIN_PIXELS_MAX_BYTES,  # too big to be plain pixels: an image
    ],
)
def test_anything_else_goes_through_the_validated_model(body):
    assert plain_pixels(body.encode() if isinstance(body, str) else body) is None


def test_base64_and_raw_image_bodies(tiny_client):
    encoded = base64.b64encode(stroke_png()).decode()
    assert tiny_client.post("/api/digits", json={"image_b64": encoded}).status_code == 200
    raw = tiny_client.post("/api/digits", content=stroke_png(), headers={"content-type": "image/png"})
    assert raw.status_code == 200
    check_answer(raw.json())


def test_a_body_without_content_type_is_json(tiny_client):
    r = tiny_client.post("/api/digits", content=b'{"pixels": %s}' % str(BLANK).encode(), headers={"content-type": ""})
    assert r.status_code == 200


def test_mc_dropout_is_opt_in_and_batched(tiny_client):
    for how in ({"data": {"mc_samples": "12"}}, {"params": {"mc_samples": 12}}):
        r = tiny_client.post("/api/digits", files={"image": ("d.png", stroke_png(), "image/png")}, **how)
        assert r.status_code == 200
        u = r.json()["uncertainty"]
        assert u["method"] == "mc_dropout" and u["samples"] == 12
        assert sum(u["mean_probabilities"]) == pytest.approx(1.0, abs=1e-4)
    r = tiny_client.post("/api/digits", json={"pixels": BLANK, "mc_samples": 5})
    assert r.json()["uncertainty"]["samples"] == 5


def test_model_without_dropout_refuses_mc(tiny_client):
    r = tiny_client.post("/api/digits", json={"pixels": BLANK, "mc_samples": 5, "model": "digits_mlp_nodropout"})
    assert r.status_code == 400 and "no dropout" in r.json()["error"]
    r = tiny_client.post("/api/digits", json={"pixels": BLANK, "model": "digits_mlp_nodropout"})
    assert r.status_code == 200 and r.json()["model"] == "digits_mlp_nodropout"


@pytest.mark.parametrize(
    ("kwargs", "status", "says"),
    [
        ({"json": {"pixels": [[0.0] * 27] * 28}}, 400, "28 rows of 28"),
        ({"json": {"pixels": [[2.0] * 28] * 28}}, 400, "0..1"),
        ({"json": {"pixels": [["a"] * 28] * 28}}, 400, "pixels"),
        ({"json": {}}, 400, "'pixels'"),
        ({"json": [1, 2, 3]}, 400, "invalid JSON"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "JSON"),
        ({"json": {"pixels": BLANK, "mc_samples": -1}}, 400, "mc_samples"),
        ({"json": {"pixels": BLANK, "mc_samples": 10_000}}, 400, "mc_samples"),
        ({"json": {"pixels": BLANK}, "params": {"mc_samples": "many"}}, 400, "mc_samples"),
        ({"data": {"mc_samples": "x"}, "files": {"image": ("d.png", stroke_png(), "image/png")}}, 400, "mc_samples"),
        ({"json": {"pixels": BLANK, "model": "vqa"}}, 404, "vqa"),
        ({"json": {"image_b64": "%%%"}}, 400, "base64"),
        ({"files": {"picture": ("d.png", stroke_png(), "image/png")}}, 400, "'image'"),
        ({"files": {"image": ("d.png", b"", "image/png")}}, 400, "empty"),
        ({"files": {"image": ("d.txt", b"hello", "text/plain")}}, 415, "not an image"),
        ({"files": {"image": ("d.png", png_bytes(Image.new("L", (64, 64), 255)), "image/png")}}, 400, "no visible"),
        ({"content": b"a,b", "headers": {"content-type": "text/csv"}}, 415, "Content-Type"),
    ],
)
def test_bad_input_gets_a_clear_4xx(tiny_client, kwargs, status, says):
    r = tiny_client.post("/api/digits", **kwargs)
    assert r.status_code == status, r.text
    assert says in r.json()["error"]


def test_limits_are_settings(tiny_models_dir):
    settings = make_settings(tiny_models_dir, max_upload_bytes=20_000, max_image_pixels=250_000, max_body_bytes=100_000)
    with TestClient(create_app(settings)) as client:
        noisy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (150, 150), np.uint8))
        r = client.post("/api/digits", files={"image": ("n.png", png_bytes(noisy), "image/png")})
        assert r.status_code == 413 and "20,000" in r.json()["error"]
        r = client.post("/api/digits", files={"image": ("big.png", png_bytes(Image.new("1", (1000, 1000), 1)), "image/png")})
        assert r.status_code == 413 and "pixels" in r.json()["error"]
        r = client.post("/api/digits", content=b"0" * 200_000, headers={"content-type": "application/json"})
        assert r.status_code == 413 and "100,000" in r.json()["error"]

        def chunks():  # no Content-Length: counted as it streams
            for _ in range(30):
                yield b"0" * 10_000

        r = client.post("/api/digits", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413


# ----------------------------------------------------------------------------------
# The committed model, through the API
# ----------------------------------------------------------------------------------


def test_committed_digits_model_reads_drawn_like_uploads(committed_client, mnist_test):
    """Test digits pasted at 50-90 % of a 280 x 280 white canvas, off-centre, as PNG."""
    from training.datasets.mnist import drawn_like

    x_test, y_test = mnist_test
    rng = np.random.default_rng(2024)
    picks = rng.choice(len(x_test), 150, replace=False)
    correct = 0
    for i in picks:
        r = committed_client.post("/api/digits", files={"image": ("d.png", png_bytes(drawn_like(x_test[i], rng)), "image/png")})
        assert r.status_code == 200
        correct += r.json()["digit"] == y_test[i]
    assert correct / len(picks) >= 0.97


def test_committed_models_answer_mnist_pixels(committed_client, mnist_test):
    x_test, y_test = mnist_test
    for name in ("digits", "digits_mlp", "digits_mlp_nodropout"):
        hits = 0
        for i in range(40):
            r = committed_client.post("/api/digits", json={"pixels": (x_test[i] / 255).tolist(), "model": name})
            assert r.status_code == 200
            hits += r.json()["digit"] == y_test[i]
        assert hits >= 38, name


def test_a_vertical_stroke_is_a_one_and_sure(committed_client):
    r = committed_client.post("/api/digits", files={"image": ("d.png", stroke_png(), "image/png")}, data={"mc_samples": "30"})
    body = r.json()
    assert body["digit"] == 1
    assert body["uncertainty"]["unsure"] is False
