"""The VQA model served as three calls answers exactly as the whole model does."""

import numpy as np

from app import runtime
from app.worlds.shapes import models as vqa_models
from app.worlds.shapes.forward import CachedQuestionForward, distinct_rows, frontier, splittable


def rows(rng, n):
    return rng.random((n, 64, 64, 3)).astype(np.float32), rng.integers(0, 40, (n, 24)).astype(np.int32)


def _names(tensors):
    return sorted(t._keras_history[0].name for t in tensors)


def test_the_split_answers_as_the_whole_model_and_keeps_question_features():
    model = vqa_models.build_vqa(60, width=16, blocks=1)
    assert splittable(model)
    whole, split = runtime.inference_forward(model), CachedQuestionForward(model, max_entries=5)
    rng = np.random.default_rng(0)
    images, ids = rows(rng, 4)
    ids[2] = ids[0]  # the same question twice in one batch
    np.testing.assert_allclose(split((images, ids)), whole((images, ids)), rtol=1e-5, atol=1e-6)
    assert len(split.questions) == 3
    np.testing.assert_allclose(split((images, ids)), whole((images, ids)), rtol=1e-5, atol=1e-6)  # from the table
    more_images, more_ids = rows(rng, 6)
    np.testing.assert_allclose(split((more_images, more_ids)), whole((more_images, more_ids)), rtol=1e-5, atol=1e-6)
    assert len(split.questions) == 5  # bounded: the least recently used are dropped


def test_the_model_splits_where_picture_and_question_meet():
    model = vqa_models.build_vqa(60, width=16, blocks=2)
    image, question = model.inputs
    stem = model.get_layer("film_0").input[0]  # the batch norm before the first FiLM
    assert stem._keras_history[0].name in _names(frontier(model, image))
    heard = frontier(model, question)
    assert _names(heard) == sorted(model.get_layer(f"film_{i}").input[1]._keras_history[0].name for i in range(2))
    baseline = vqa_models.build_vqa_baseline(60)
    assert _names(frontier(baseline, baseline.inputs[1])) == ["question_encoder"]


def test_a_picture_asked_several_questions_is_seen_once():
    model = vqa_models.build_vqa(60, width=16, blocks=1)
    whole, split = runtime.inference_forward(model), CachedQuestionForward(model)
    seen = []
    see = split.see
    split.see = lambda images: seen.append(len(images)) or see(images)
    rng = np.random.default_rng(1)
    images, ids = rows(rng, 2)
    batch = np.repeat(images, [3, 2], axis=0), rng.integers(0, 40, (5, 24)).astype(np.int32)
    np.testing.assert_allclose(split(batch), whole(batch), rtol=1e-5, atol=1e-6)
    assert seen == [2]


def test_distinct_rows():
    a, b = np.zeros((2, 2)), np.ones((2, 2))
    firsts, runs = distinct_rows(np.stack([a, a, b, a]))
    assert firsts.tolist() == [0, 2, 3] and runs.tolist() == [0, 0, 1, 2]
    firsts, runs = distinct_rows(np.zeros((0, 2, 2)))
    assert firsts.size == 0 and runs.size == 0


def test_the_split_works_in_bfloat16():
    model = runtime.in_bfloat16(vqa_models.build_vqa(60, width=16, blocks=1))
    rng = np.random.default_rng(2)
    batch = rows(rng, 3)
    np.testing.assert_allclose(CachedQuestionForward(model)(batch), runtime.inference_forward(model)(batch), atol=0.01)


def test_the_baseline_splits_too():
    model = vqa_models.build_vqa_baseline(60)
    assert splittable(model)
    batch = rows(np.random.default_rng(3), 3)
    np.testing.assert_allclose(CachedQuestionForward(model)(batch), runtime.inference_forward(model)(batch), rtol=1e-5, atol=1e-6)


def test_two_threads_calling_at_once_share_the_question_table_safely():
    """The batcher may run two calls of one model at once: with a table smaller than a
    batch's questions, each call evicts what the other just added, and both still
    answer as the whole model."""
    from concurrent.futures import ThreadPoolExecutor

    model = vqa_models.build_vqa(60, width=16, blocks=1)
    whole, split = runtime.inference_forward(model), CachedQuestionForward(model, max_entries=3)
    batches = [rows(np.random.default_rng(seed), 8) for seed in range(24)]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(split, batches))
    for batch, answer in zip(batches, answers, strict=True):
        np.testing.assert_allclose(answer, whole(batch), rtol=1e-5, atol=1e-6)
    assert len(split.questions) <= 3
