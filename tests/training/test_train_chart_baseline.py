"""The chart baseline's training: questions replayed from the reader's cached charts
are the ones those charts were drawn with, the model from the real builder learns on a
few of them, and training and serving see a chart and a question the same way."""

from __future__ import annotations

import numpy as np

from app.worlds.charts.preprocessing import BASELINE_ANSWERS, BASELINE_SIDE, TEMPLATES, baseline_input, chart_pixels
from app.worlds.vocabulary import MAX_TOKENS, QuestionEncoder
from training.datasets.charts.files import charts
from training.train_chart_baseline import Batches, build_model, evaluate, vocabulary, yes_no_questions
from training.train_chart_reader import CHUNK, chart_arrays


def test_replayed_questions_are_the_drawn_charts_questions():
    asked = yes_no_questions(4, "train", seed=3)
    drawn = [
        (i, q["question"], q["answer"])
        for i, (_, record) in enumerate(charts(np.random.default_rng([3, 0]), 4, "train"))
        for q in record["questions"]
        if q["template"] in TEMPLATES
    ]
    assert drawn and [(int(c), t, BASELINE_ANSWERS[a]) for c, t, a in zip(asked.chart, asked.text, asked.answer)] == drawn


def test_replay_follows_the_rendering_jobs_past_the_first():
    asked = yes_no_questions(CHUNK + 2, "train", seed=3)
    assert asked.chart.max() == CHUNK + 1 and set(asked.template) <= set(TEMPLATES)


def test_training_and_serving_see_a_chart_and_a_question_the_same_way():
    data = chart_arrays(3, "train", seed=4, workers=1)
    asked = yes_no_questions(3, "train", seed=4)
    encoder = QuestionEncoder(vocabulary(asked.text))
    batches = Batches(data["pixels"], asked, encoder, batch_size=len(asked.answer), seed=0)
    batch, answers = batches[0]
    images = [image for image, _ in charts(np.random.default_rng([4, 0]), 3, "train")]
    for row, asked_row in enumerate(batches.order):
        assert np.allclose(batch["chart"][row], baseline_input(images[asked.chart[asked_row]]), atol=1e-6)
        assert np.array_equal(batch["question"][row], encoder.encode(asked.text[asked_row])[0])
        assert answers[row] == asked.answer[asked_row]
    assert np.array_equal(data["pixels"][0], chart_pixels(images[0]))


def test_the_model_learns_on_a_few_charts():
    data = chart_arrays(6, "train", seed=5, workers=1)
    asked = yes_no_questions(6, "train", seed=5)
    encoder = QuestionEncoder(vocabulary(asked.text))
    model = build_model(len(encoder), width=16, hidden=32)
    model.compile("adam", loss="sparse_categorical_crossentropy")
    history = model.fit(Batches(data["pixels"], asked, encoder, batch_size=8, seed=0), epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.input_shape == [(None, BASELINE_SIDE, BASELINE_SIDE, 3), (None, MAX_TOKENS)]
    report = evaluate(model, data["pixels"], asked, encoder, data["kinds"])
    assert report["questions"] == len(asked.answer) and 0 <= report["overall"] <= 100
    assert set(report["per_template"]) <= set(TEMPLATES)
