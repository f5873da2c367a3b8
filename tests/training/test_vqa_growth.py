"""Growing a VQA model for more words and answers keeps what it knew."""

import numpy as np
import pytest

from app.worlds.shapes import models as vqa_models
from app.worlds.shapes import preprocessing as task
from training.datasets.shapes.language import ANSWERS, vocabulary
from training.vqa_growth import HEAD_TEMPERATURE, grow, grown_words


@pytest.fixture(scope="module")
def small_model():
    old = task.QuestionEncoder(vocabulary())
    model = vqa_models.build_vqa(len(old), image_side=32, num_answers=len(ANSWERS) - 1, width=16, blocks=1)
    return model, old


def test_grown_words_keep_the_old_ids_and_add_the_peoples():
    old = vocabulary()
    words = grown_words(old)
    assert words[: len(old)] == old and len(set(words)) == len(words)
    assert {"ball", "grey", "colour", "whats", "furthest"} <= set(words[len(old) :])


def test_a_grown_model_answers_as_before_and_knows_the_new_words(small_model):
    model, old = small_model
    new = task.QuestionEncoder(grown_words(old.known_words))
    grown = grow(model, old.words, new.words, len(ANSWERS))
    assert grown.output.shape[-1] == len(ANSWERS) and grown.inputs[0].shape[1] == 32

    rng = np.random.default_rng(0)
    images = rng.random((8, 32, 32, 3)).astype("float32")
    texts = ["What color is the large circle?", "How many squares are there?"] * 4
    before = model.predict([images, old.encode_batch(texts)], verbose=0)
    after = grown.predict([images, new.encode_batch(texts)], verbose=0)
    assert (after.argmax(-1) == before.argmax(-1)).all()
    # The old answers' logits are softened by the head temperature, their order kept.
    log_odds = lambda p: np.log(p) - np.log(p[:, :1])  # noqa: E731
    np.testing.assert_allclose(log_odds(after[:, :-1]), log_odds(before) / HEAD_TEMPERATURE, atol=1e-3)
    assert (after[:, -1] < 1e-3).all()  # `none` starts unlikely

    (old_rows,) = model.get_layer(index=_embedding_index(model)).get_weights()
    (new_rows,) = grown.get_layer(index=_embedding_index(grown)).get_weights()
    np.testing.assert_array_equal(new_rows[: len(old)], old_rows)
    ball, circle = new.index["ball"], old.index["circle"]
    assert np.abs(new_rows[ball] - old_rows[circle]).max() < 0.1  # a synonym starts from its word


def _embedding_index(model) -> int:
    return next(i for i, layer in enumerate(model.layers) if layer.__class__.__name__ == "Embedding")
