"""What a hostile or careless client sends, per endpoint: every case is refused with a
4xx and an error a person can act on, or answered sensibly; never a 500, and the
server stays ready for the next request on the same connection."""

import base64
import io
import json
import struct
import zlib

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from tests.conftest import make_settings, png_bytes

SCENE = Image.new("RGB", (128, 128), (225, 225, 225))


def _bytes(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _header_only_giant() -> bytes:
    """A real PNG whose header claims 50,000 x 50,000 pixels (the data is for 8 x 8)."""
    data = bytearray(png_bytes(Image.new("RGB", (8, 8))))
    data[16:24] = struct.pack(">II", 50_000, 50_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def _animated_gif() -> bytes:
    frames = [Image.new("P", (32, 32), i) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def _exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90
    return _bytes(Image.new("RGB", (60, 30), (200, 200, 200)), "JPEG", exif=exif)


IMAGES = {
    "not an image": (b"hello, this is text", {415}),
    "truncated png": (png_bytes(SCENE)[:200], {400}),
    "corrupt jpeg": (b"\xff\xd8\xff\xe0" + b"\x00" * 500, {400, 415}),
    "header-only giant": (_header_only_giant(), {413}),
    "animated gif": (_animated_gif(), {200}),
    "cmyk jpeg": (_bytes(Image.new("CMYK", (40, 40), (0, 80, 80, 0)), "JPEG"), {200}),
    "16-bit png": (_bytes(Image.fromarray(np.full((40, 40), 40_000, np.uint16)), "PNG"), {200}),
    "palette png": (_bytes(Image.new("P", (40, 40), 3), "PNG"), {200}),
    "exif rotated": (_exif_rotated(), {200}),
    "1 x 1": (png_bytes(Image.new("RGB", (1, 1), (0, 0, 0))), {200, 400}),
    "empty file": (b"", {400}),
}


@pytest.fixture(scope="module")
def tiny_client(tiny_models_dir):
    """One server for the whole corpus: each case must leave it serving the next."""
    with TestClient(create_app(make_settings(tiny_models_dir))) as client:
        yield client


def assert_held(client, response, allowed):
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error and "Traceback" not in error and len(error) < 500
    assert client.get("/readyz").status_code == 200  # still serving, same connection


@pytest.mark.parametrize("case", sorted(IMAGES))
def test_vqa_images(tiny_client, case):
    data, allowed = IMAGES[case]
    r = tiny_client.post(
        "/api/vqa",
        files={"image": ("x.png", data, "image/png")},
        data={"question": "How many circles are there?", "world": "shapes"},  # this server has no photo models
    )
    assert_held(tiny_client, r, allowed)


@pytest.mark.parametrize("case", sorted(IMAGES))
@pytest.mark.parametrize("question", ["What is this?", "What colour is the cup?", "How many people are there?"])
def test_vqa_images_through_the_photo_models(committed_client, case, question):
    data, allowed = IMAGES[case]
    r = committed_client.post(
        "/api/vqa", files={"image": ("x.png", data, "image/png")}, data={"question": question, "world": "photo"}
    )
    assert_held(committed_client, r, allowed)
    if r.status_code == 200:
        assert r.json()["world"] == "photo"


@pytest.mark.parametrize("case", sorted(IMAGES))
def test_digits_images(tiny_client, case):
    data, allowed = IMAGES[case]
    allowed = allowed | ({400} if 200 in allowed else set())  # a picture with no ink is "no digit", a 400
    r = tiny_client.post("/api/digits", files={"image": ("x.png", data, "image/png")})
    assert_held(tiny_client, r, allowed)


QUESTIONS = {
    "empty": ("", {400}),
    "10,000 characters": ("how many circles " * 600, {400}),
    "emoji": ("how many 🔵 are there? 😀", {200}),
    "zero-width and right-to-left marks": ("how\u200b many\u200f circles\u202e are there", {200}),
    "only punctuation": ("?!?!...", {200}),
    "arabic": ("كم عدد الدوائر؟", {200}),
    "control characters": ("how\x00 many\x07 circles", {200}),
}


@pytest.mark.parametrize("case", sorted(QUESTIONS))
def test_vqa_questions(tiny_client, case):
    question, allowed = QUESTIONS[case]
    r = tiny_client.post("/api/vqa", files={"image": ("s.png", png_bytes(SCENE), "image/png")}, data={"question": question})
    assert_held(tiny_client, r, allowed)
    if r.status_code == 200:
        assert isinstance(r.json()["question_in_scope"], bool)


def test_invalid_utf8_in_a_json_question(tiny_client):
    image = base64.b64encode(png_bytes(SCENE)).decode()
    body = b'{"image_b64": "' + image.encode() + b'", "question": "how \xff\xfe many"}'
    r = tiny_client.post("/api/vqa", content=body, headers={"content-type": "application/json"})
    assert_held(tiny_client, r, {400})


JSON_BODIES = {
    "deep nesting": (b'{"pixels": ' + b"[" * 5000 + b"]" * 5000 + b"}", {400}),
    "nan": (b'{"pixels": [[NaN]]}', {400}),
    "infinity": (json.dumps({"pixels": [[1e999] * 28] * 28}).encode(), {400}),
    "wrong type": (b'{"pixels": "a string"}', {400}),
    "extra fields": (json.dumps({"pixels": [[0.0] * 28] * 28, "evil": "x" * 1000}).encode(), {200, 400}),
    "ragged rows": (json.dumps({"pixels": [[0.0] * 28] * 27 + [[0.0] * 3]}).encode(), {400}),
    "not json": (b"{{{{", {400}),
    "a list": (b"[1, 2, 3]", {400}),
}


@pytest.mark.parametrize("case", sorted(JSON_BODIES))
def test_digits_json(tiny_client, case):
    body, allowed = JSON_BODIES[case]
    r = tiny_client.post("/api/digits", content=body, headers={"content-type": "application/json"})
    assert_held(tiny_client, r, allowed)


V2 = {
    "wrong shape": ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 5], "data": [0.0] * 5}]}, {400}),
    "wrong datatype": ({"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1, 784], "data": ["a"] * 784}]}, {400}),
    "shape and data disagree": (
        {"inputs": [{"name": "image", "datatype": "FP32", "shape": [2, 784], "data": [0.0] * 784}]},
        {400},
    ),
    "negative shape": ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [-1, 784], "data": [0.0] * 784}]}, {400}),
    "huge claimed shape": ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [10**9, 784], "data": [0.0]}]}, {400, 413}),
    "no inputs": ({}, {400}),
}


@pytest.mark.parametrize("case", sorted(V2))
def test_v2_tensors(tiny_client, case):
    body, allowed = V2[case]
    assert_held(tiny_client, tiny_client.post("/v2/models/digits/infer", json=body), allowed)


@pytest.mark.parametrize(
    "path",
    [
        "/v2/models/../../etc/passwd/infer",
        "/v2/models/%2e%2e%2fetc/ready",
        "/api/models/digits/files/..%2f..%2fcard.json",
        "/api/models/digits/files/../../../../etc/passwd",
        "/static/../app/config.py",
        "/api/models/nope",
    ],
)
def test_path_tricks_find_nothing(tiny_client, path):
    r = tiny_client.get(path) if "infer" not in path else tiny_client.post(path, json={})
    assert r.status_code in (400, 404, 405), (path, r.status_code)
    assert "root:" not in r.text and "Settings" not in r.text


def test_a_30_mb_body_is_refused_while_reading(tiny_client):
    r = tiny_client.post("/api/vqa", content=b"x" * 30_000_000, headers={"content-type": "application/json"})
    assert_held(tiny_client, r, {413})
