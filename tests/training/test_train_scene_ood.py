"""A smoke run of the scene OOD training; its card carries the calibration."""

import json

from training import train_scene_ood


def test_smoke_run_calibrates_a_threshold(tmp_path):
    card = train_scene_ood.main(
        ["--scenes", "64", "--epochs", "1", "--calibration-scenes", "16", "--calibration-others", "6", "--out", str(tmp_path)]
    )
    assert card["ood_threshold"] > 0
    flagged = card["metrics"]["flagged"]
    assert set(flagged) == {"scenes_plain", "scenes_varied", "scenes_different", "photos", "digits", "noise"}
    assert flagged["photos"]["images"] >= 20  # scikit-image's bundled photos and crops
    saved = json.loads((tmp_path / "scene_ood" / "card.json").read_text())
    assert saved["task"] == "scene_ood" and saved["ood_threshold"] == card["ood_threshold"]
