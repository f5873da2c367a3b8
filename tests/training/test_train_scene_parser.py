"""A smoke run of the scene parser's training; and the letterbox its labels follow."""

import json

import numpy as np

from app.worlds.shapes import preprocessing as task
from training import train_scene_parser
from training.datasets.shapes.scenes import render, sample_scene


def test_labels_follow_the_letterbox_of_a_wide_scene():
    """A scene wider than tall is padded above and below: its objects move down by half the padding."""
    scene = sample_scene(np.random.default_rng(3), aspect=0.6)
    image = render(scene, 100)
    (shape, color, size, x, y, side), first = train_scene_parser.letterboxed_objects(scene, *image.size)[0], scene.objects[0]
    assert (shape, color, size) == (first.shape, first.color, first.size)
    assert abs(x - first.x) < 1e-9 and abs(y - (first.y + 0.2)) < 0.01 and abs(side - first.side) < 1e-9
    square = np.asarray(task.letterbox(image)).astype(int)
    centre = square[int(y * 100), int(x * 100)]
    assert np.abs(centre - np.array(first.rgb)).max() <= 12  # the object's own colour (noise at most 4 a channel)


def test_smoke_run_measures_every_style(tmp_path):
    card = train_scene_parser.main(
        ["--scenes", "48", "--epochs", "1", "--eval-scenes", "6", "--width", "16", "--out", str(tmp_path)]
    )
    assert set(card["metrics"]) == {"plain", "varied", "different"}
    for row in card["metrics"].values():
        assert row["scenes"] == 6 and 0 <= row["object_accuracy_percent"] <= 100
        assert row["objects"] >= 18  # 3 to 6 objects a scene
    saved = json.loads((tmp_path / "scene_parser" / "card.json").read_text())
    assert saved["task"] == "scene_parser" and "model.keras" in saved["files"]
