"""The chart reader's training: targets drawn from the layout, the model from the real
builder learning on a few charts, and one preprocessing path for training and serving."""

from __future__ import annotations

import numpy as np

from app.worlds.charts.preprocessing import GRID, INPUT_SIDE, KINDS, REGION, REGIONS, chart_input, chart_pixels, features
from training.datasets.charts.files import charts
from training.datasets.charts.masks import targets
from training.train_chart_reader import Batches, WeightedRegionLoss, build_model, chart_arrays


def test_targets_mark_the_elements_the_legend_and_the_tick_labels():
    for image, record in charts(np.random.default_rng(8), 5):
        kind, regions = targets(image, record)
        assert KINDS[kind] == record["table"]["kind"] and regions.shape == (GRID, GRID)
        found = set(np.unique(regions))
        assert REGION["element"] in found and REGION["background"] in found
        if record["layout"]["legend_box"]:
            assert REGION["legend"] in found
        if record["table"]["kind"] != "pie":
            assert REGION["values"] in found


def test_training_and_serving_see_a_chart_the_same_way():
    data = chart_arrays(3, "train", seed=4, workers=1)
    for pixels, (image, _) in zip(data["pixels"], charts(np.random.default_rng([4, 0]), 3, "train")):
        assert np.array_equal(pixels, chart_pixels(image))
        assert np.array_equal(features(pixels), chart_input(image))


def test_the_features_keep_no_hue():
    red, blue = np.array([[[200, 30, 30]]], np.uint8), np.array([[[30, 30, 200]]], np.uint8)
    assert np.array_equal(features(red)[..., 1:], features(blue)[..., 1:]) and features(red).shape == (1, 1, 3)


def test_the_model_learns_on_a_few_charts():
    data = chart_arrays(8, "train", seed=5, workers=1)
    trained, served = build_model(width=8)
    trained.compile("adam", loss={"regions": WeightedRegionLoss(), "kind": "sparse_categorical_crossentropy"})
    batches = Batches(data, batch_size=4, seed=0)
    history = trained.fit(batches, epochs=6, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    out = served.predict(features(data["pixels"][:2]), verbose=0)
    assert out.shape == (2, GRID, GRID, len(REGIONS) + len(KINDS))
    assert np.allclose(out[..., : len(REGIONS)].sum(-1), 1, atol=1e-4)
    assert np.allclose(out[:, 0, 0, len(REGIONS) :], out[:, -1, -1, len(REGIONS) :])  # the kind, the same in every cell
    assert served.input_shape == (None, INPUT_SIDE, INPUT_SIDE, 3)
