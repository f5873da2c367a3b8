"""Faces: BlazeFace's anchors and decoding, the expression input, and the committed models."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from PIL import Image

from app.config import ROOT
from app.worlds.photo import faces


def test_anchors_are_the_two_grids_of_the_256_model():
    assert faces.ANCHORS.shape == (16 * 16 * 2 + 8 * 8 * 6, 2)
    assert tuple(faces.ANCHORS[0]) == (8.0, 8.0) and tuple(faces.ANCHORS[1]) == (8.0, 8.0)
    assert tuple(faces.ANCHORS[512]) == (16.0, 16.0) and tuple(faces.ANCHORS[-1]) == (240.0, 240.0)


def test_decoding_centres_on_the_anchor_and_suppresses_overlaps():
    rows = np.full((len(faces.ANCHORS), 17), -10.0, "float32")
    rows[:, 1:] = 0.0
    for i, shift in ((100, 0.0), (101, 2.0)):  # the same face twice, a pixel apart
        rows[i, 0], rows[i, 1:5] = 3.0 - shift, (shift, 0.0, 40.0, 40.0)
    rows[600, 0], rows[600, 3:5] = 0.0, (20.0, 20.0)  # 50 %: under the threshold
    (face,) = faces.decode(rows, (512, 256))  # the photo fills the top half of the square
    cx, cy = faces.ANCHORS[100]
    assert face.score == pytest.approx(1 / (1 + np.exp(-3.0)))
    assert face.box == pytest.approx(((cx - 20) * 2, (cy - 20) * 2, (cx + 20) * 2, (cy + 20) * 2))


def test_a_face_is_read_gray_in_minus_one_to_one():
    image = Image.new("RGB", (100, 100), (255, 255, 255))
    x = faces.face_to_input(image, faces.Face(0.9, (30, 30, 70, 70)))
    assert x.shape == (64, 64, 1) and x.max() == pytest.approx(1.0, abs=1e-3)


def test_the_committed_models_find_the_astronauts_smile():
    image = Image.open(ROOT / "static" / "photos" / "astronaut.jpg")
    finder = keras.models.load_model(ROOT / "models" / "photo_faces" / "model.keras")
    reader = keras.models.load_model(ROOT / "models" / "photo_expression" / "model.keras")
    (face,) = faces.decode(finder.predict(faces.photo_to_input(image)[None], verbose=0)[0], image.size)
    x1, y1, x2, y2 = face.box
    assert 150 < (x1 + x2) / 2 < 300 and 80 < (y1 + y2) / 2 < 200  # her face, upper middle
    read = faces.with_expression(face, reader.predict(faces.face_to_input(image, face)[None], verbose=0)[0])
    assert read.expression == "happy" and read.happy > 0.9
