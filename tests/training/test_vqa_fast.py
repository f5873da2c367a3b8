"""The GPU path's parts that run anywhere: the generator pool and the schedule. (Its
training step needs the JAX backend; the step it takes is Keras' stateless recipe.)"""

import numpy as np
import pytest

from training import vqa_fast
from training.datasets.shapes import producer as shapes_producer
from training.datasets.shapes.arrays import focused
from training.datasets.shapes.language import ANSWERS, FAMILIES
from training.vqa_growth import grown_words

WORDS = tuple(grown_words())  # both languages' words


def test_learning_rate_warms_up_then_anneals_to_zero():
    assert vqa_fast.lr_scale(0, 100) == 0.0
    assert vqa_fast.lr_scale(3, 100) == 1.0
    assert 0.45 < vqa_fast.lr_scale(51.5, 100) < 0.55
    assert vqa_fast.lr_scale(100, 100) == 0.0 and vqa_fast.lr_scale(150, 100) == 0.0


def test_producer_fills_host_arrays_from_spawned_workers():
    producer = shapes_producer.ShapesProducer(
        workers=1, seed=3, image_side=32, words=WORDS, chunk=64, max_questions=5000, max_scenes=2000
    )
    try:
        fixed = shapes_producer.pool_map(producer.pool, 100, seed=4, style="plain", image_side=32, words=WORDS, chunk=40)
        assert len(fixed) == 100 and fixed.images.shape[1:] == (32, 32, 3)
        assert fixed.scene_index.max() < len(fixed.images)
        again = shapes_producer.pool_map(producer.pool, 100, seed=4, style="plain", image_side=32, words=WORDS, chunk=40)
        assert again.texts == fixed.texts  # deterministic for a seed

        producer.start()
        producer.wait_for(128)
        pixels, questions, answers = producer.sample(np.random.default_rng(0), 16)
        assert pixels.shape == (16, 32, 32, 3) and pixels.dtype == np.uint8
        assert questions.shape == (16, 24) and (questions[:, 0] > 0).all()  # never empty (a slip may be unknown)
        assert answers.max() < 23  # people's language (the default) includes `none`
    finally:
        producer.close()


def test_chunks_rehearse_the_templates_when_asked():
    none = ANSWERS.index("none")
    people = shapes_producer._make_chunk(shapes_producer.ChunkJob(3, 0, 128, "plain", 32, WORDS, "people", 0.0))
    rehearsed = shapes_producer._make_chunk(shapes_producer.ChunkJob(3, 0, 128, "plain", 32, WORDS, "people", 1.0))
    assert (people.answers == none).any() and not (rehearsed.answers == none).any()


def test_chunks_ask_the_focused_family_more_often():
    focus = focused({"compare_attribute": 4})
    chunk = shapes_producer._make_chunk(shapes_producer.ChunkJob(3, 0, 400, "plain", 32, WORDS, "people", 0.0, focus))
    share = np.mean(chunk.families == FAMILIES.index("compare_attribute"))
    assert 0.2 < share < 0.36  # 4 of 14 slots, against 1 of 11 without focus


def test_focus_is_parsed_and_checked_at_the_command_line():
    assert vqa_fast.parse_args(["--focus", "compare_attribute=3"]).focus == {"compare_attribute": 3}
    with pytest.raises(SystemExit):
        vqa_fast.parse_args(["--focus", "compare_attributes=3"])
