"""The pictures behind the anomaly score: evaluation and training outliers kept apart,
and the digit renderings that must not be flagged really are digits."""

import keras
import numpy as np
import pytest

from tests.conftest import COMMITTED_MODELS
from training.datasets import non_digits


def test_evaluation_set_is_mnist_layout_and_has_every_kind():
    kinds = non_digits.evaluation_set(np.random.default_rng(0), 5)
    assert set(kinds) == {"letters", "scribbles", "noise"}
    assert len(kinds["letters"]) == 6 * 52 and len(kinds["scribbles"]) == len(kinds["noise"]) == 5
    for images in kinds.values():
        assert images.shape[1:] == (28, 28) and images.dtype == np.float32
        assert 0.0 <= images.min() and images.max() <= 1.0 and (images.reshape(len(images), -1).max(axis=1) > 0).all()


def test_training_outliers_never_use_the_evaluation_faces():
    evaluation = {path.name for path in non_digits.evaluation_faces()}
    assert len(evaluation) == 6 and all(name.startswith("DejaVu") for name in evaluation)
    assert not evaluation & set(non_digits.TRAINING_FACES)
    assert all((non_digits._font_dir() / name).is_file() for name in non_digits.TRAINING_FACES)


def test_validation_faces_are_neither_evaluation_nor_training_faces():
    validation = {path.name for path in non_digits.validation_faces()}
    evaluation = {path.name for path in non_digits.evaluation_faces()}
    assert len(validation) == 6 and all(name.startswith("DejaVu") for name in validation)
    assert not validation & evaluation and not validation & set(non_digits.TRAINING_FACES)
    kinds = non_digits.validation_set(np.random.default_rng(0), 5)
    assert len(kinds["letters"]) == 6 * 52 and len(kinds["scribbles"]) == 5


def test_pen_glyphs_leave_out_what_a_pen_draws_as_a_digit():
    assert not set("IlOo/()") & set(non_digits.PEN_GLYPHS)
    pen = non_digits.outlier_examples(np.random.default_rng(1), glyph_rounds=0, n_strokes=0, pen_rounds=1)
    assert 0.97 * len(non_digits.PEN_FACES) * len(non_digits.PEN_GLYPHS) < len(pen)
    assert pen.shape[1:] == (28, 28) and (pen.reshape(len(pen), -1).max(axis=1) > 0.5).all()


def test_outlier_examples_are_seeded_and_sized():
    a = non_digits.outlier_examples(np.random.default_rng(1), glyph_rounds=1, n_strokes=4)
    b = non_digits.outlier_examples(np.random.default_rng(1), glyph_rounds=1, n_strokes=4)
    glyphs = len(non_digits.TRAINING_FACES) * len(non_digits.LETTERS + non_digits.SYMBOLS)
    assert 0.97 * glyphs < len(a) <= glyphs + 4 and a.shape[1:] == (28, 28) and np.array_equal(a, b)


@pytest.fixture(scope="module")
def digits_model():
    return keras.saving.load_model(COMMITTED_MODELS / "digits" / "model.keras", compile=False)


def test_pen_and_font_digits_read_as_their_digits(digits_model, mnist_test):
    """The proxies for 'a real digit written unlike MNIST' are digits to the committed
    classifier, so flagging them would be a false alarm, not a fair catch."""
    x, y = mnist_test
    pen = non_digits.pen_digits(x[:100])
    assert (digits_model.predict(pen[..., None], verbose=0).argmax(axis=1) == y[:100]).mean() >= 0.9
    fonts = non_digits.font_digits()
    assert (digits_model.predict(fonts[..., None], verbose=0).argmax(axis=1) == np.tile(np.arange(10), 6)).mean() >= 0.8
