import numpy as np
import pytest

from app.worlds.shapes.preprocessing import QuestionEncoder
from training.datasets.shapes.arrays import focused, parse_focus, rehearsed
from training.datasets.shapes.language import ANSWERS, FAMILIES, vocabulary
from training.datasets.shapes.stream import ShapesStream


def make(**kw) -> ShapesStream:
    return ShapesStream(QuestionEncoder(vocabulary()), **{"batch_size": 32, "steps": 3, "image_side": 48, **kw})


def test_batches_have_the_model_layout():
    inputs, answers = make()[0]
    images, questions = inputs["image"], inputs["question"]
    assert images.shape == (32, 48, 48, 3) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert questions.shape[0] == 32 and questions.dtype == np.int32
    assert (questions[:, 0] > 1).all()  # every question starts with a known word
    assert answers.shape == (32,) and answers.max() < len(ANSWERS)


def test_training_stream_never_repeats_and_fixed_streams_do():
    stream = make(seed=1)
    first = stream.batch(0).texts
    assert stream.batch(0).texts == first  # deterministic for (seed, epoch, index)
    assert stream.batch(1).texts != first
    stream.on_epoch_end()
    assert stream.batch(0).texts != first  # a new epoch, new scenes

    fixed = make(seed=2, fixed=True)
    before = fixed.batch(0).texts
    fixed.on_epoch_end()
    assert fixed.batch(0).texts == before


def test_rehearsal_batches_are_asked_in_the_templates_alone():
    none = ANSWERS.index("none")
    people = make(language="people")
    rehearsed = make(language="people", rehearsal=1.0)
    assert any((people.batch(i).answers == none).any() for i in range(3))  # false premises in people's language
    assert not any((rehearsed.batch(i).answers == none).any() for i in range(3))
    half = make(language="people", rehearsal=0.5)
    with_none = sum(bool((half.batch(i).answers == none).any()) for i in range(40))
    assert 10 <= with_none <= 35  # some batches rehearse, the others ask people's language


def test_rehearsed_applies_to_peoples_language_only():
    rng = np.random.default_rng(0)
    drawn = [rehearsed("people", 0.25, rng) for _ in range(2000)]
    assert 0.2 < drawn.count("templates") / len(drawn) < 0.3
    assert {rehearsed("templates", 1.0, rng), rehearsed("people", 0.0, rng)} == {"templates", "people"}


def test_focus_asks_a_family_more_often_with_its_answers_still_balanced():
    family = FAMILIES.index("compare_attribute")
    plain = make(seed=3, steps=8)
    focus = make(seed=3, steps=8, focus={"compare_attribute": 4})
    share = [np.mean(np.concatenate([s.batch(i).families for i in range(8)]) == family) for s in (plain, focus)]
    assert share[0] < 0.15 and 0.2 < share[1] < 0.36  # 1/11 of the questions, then 4/14
    answers = np.concatenate([focus.batch(i).answers[focus.batch(i).families == family] for i in range(8)])
    assert 0.35 < np.mean(answers == ANSWERS.index("yes")) < 0.65


def test_focus_flags_are_checked():
    assert parse_focus(["compare_attribute=4", "relate_count=2"]) == {"compare_attribute": 4, "relate_count": 2}
    assert parse_focus(None) == {} and focused(None) == FAMILIES
    for bad in (["compare_attribute"], ["compare_attribute=0"], ["no_such_family=2"], ["compare_attribute=1.5"]):
        with pytest.raises(ValueError):
            parse_focus(bad)
