"""The VQA model served as two calls answers exactly as the whole model does."""

import numpy as np

from app import runtime
from app.tasks import vqa_models
from app.tasks.vqa_forward import CachedQuestionForward, splittable


def rows(rng, n):
    return rng.random((n, 64, 64, 3)).astype(np.float32), rng.integers(0, 40, (n, 24)).astype(np.int32)


def test_the_split_answers_as_the_whole_model_and_keeps_encodings():
    model = vqa_models.build_vqa(60, width=16, blocks=1)
    assert splittable(model)
    whole, split = runtime.inference_forward(model), CachedQuestionForward(model, max_entries=5)
    rng = np.random.default_rng(0)
    images, ids = rows(rng, 4)
    ids[2] = ids[0]  # the same question twice in one batch
    np.testing.assert_allclose(split((images, ids)), whole((images, ids)), rtol=1e-5, atol=1e-6)
    assert len(split.encodings) == 3
    np.testing.assert_allclose(split((images, ids)), whole((images, ids)), rtol=1e-5, atol=1e-6)  # from the table
    more_images, more_ids = rows(rng, 6)
    np.testing.assert_allclose(split((more_images, more_ids)), whole((more_images, more_ids)), rtol=1e-5, atol=1e-6)
    assert len(split.encodings) == 5  # bounded: the least recently used are dropped


def test_the_baseline_splits_too():
    assert splittable(vqa_models.build_vqa_baseline(60))
