"""Smoke runs of the VQA training on tiny data, per model and per dataset layout; the
server loads what they write."""

import json
from collections import Counter

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.integrity import verify
from app.main import create_app
from app.worlds.shapes import preprocessing as task
from tests.conftest import make_settings, png_bytes
from training import train_vqa, vqa_common
from training.datasets.shapes.arrays import make_arrays
from training.datasets.shapes.files import write_split
from training.datasets.shapes.language import FAMILIES
from training.datasets.shapes.scenes import render, sample_scene

TINY = ["--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "8", "--validation-questions", "40", "--test-questions", "40"]


@pytest.mark.parametrize("name", ["vqa", "vqa_baseline", "question_only"])
def test_shapes_smoke_run_writes_a_model_with_its_tables(name, tmp_path):
    card = train_vqa.main(["--model", name, "--out", str(tmp_path), *TINY])
    folder = tmp_path / name
    assert (folder / "model.keras").is_file()
    assert json.loads((folder / "vocab.json").read_text())[:2] == ["<pad>", "<unk>"]
    assert json.loads((folder / "answers.json").read_text()) == vqa_common.ANSWERS
    written = json.loads((folder / "card.json").read_text())
    assert verify(folder, written) and set(written["files"]) == {"model.keras", "vocab.json", "answers.json"}
    for split in ("test", "test_rendered_differently"):
        table = card["metrics"][split]
        assert table["questions"] == 40 and 0 <= table["overall"] <= 100
        assert set(table["families"]) <= set(FAMILIES)
        for family, pairs in table["confusions"].items():
            assert table["families"][family] < 100 and 1 <= len(pairs) <= vqa_common.CONFUSIONS
            assert all(truth != given and truth in vqa_common.ANSWERS and count >= 1 for truth, given, count in pairs)
    saved = json.loads((folder / "card.json").read_text())
    assert saved["task"] == "vqa" and saved["training_runs"][0]["samples"] == 16


def test_family_table_lists_each_familys_most_frequent_mistakes():
    data = make_arrays(np.random.default_rng(0), 60, task.QuestionEncoder(["<pad>", "<unk>"]), 32)
    one_hot = np.eye(len(vqa_common.ANSWERS))
    probabilities = one_hot[data.answers]  # every answer right ...
    family = FAMILIES[data.families[0]]
    rows = np.flatnonzero(data.families == data.families[0])[:5]
    probabilities[rows] = one_hot[vqa_common.ANSWERS.index("none")]  # ... but "none" for five of one family
    table = vqa_common.family_table(probabilities, data, confusions=2)
    assert table["families"][family] < 100 and set(table["confusions"]) == {family}
    made = Counter((vqa_common.ANSWERS[a], "none") for a in data.answers[rows])  # template answers are never "none"
    listed = table["confusions"][family]
    assert [n for *_, n in listed] == [n for _, n in made.most_common(2)]
    assert all(made[(truth, given)] == n for truth, given, n in listed)
    assert "confusions" not in vqa_common.family_table(probabilities, data)  # validation tables stay small


def test_resume_continues_from_the_saved_model(tmp_path):
    train_vqa.main(["--model", "vqa_baseline", "--out", str(tmp_path), *TINY])
    folder = tmp_path / "vqa_baseline"
    first = json.loads((folder / "card.json").read_text())
    extra = {"artifacts": ["training_log.txt"], "question_only": {"metrics": {}}, "temperature": 0.9}
    (folder / "card.json").write_text(json.dumps({**first, **extra}))
    card = train_vqa.main(["--model", "vqa_baseline", "--out", str(tmp_path), "--resume", *TINY])
    assert card["version"] == 2 and len(card["training_runs"]) == 2
    # What describes other files stays; what was measured on the old weights goes.
    assert card["artifacts"] == extra["artifacts"] and card["question_only"] == extra["question_only"]
    assert "temperature" not in card
    assert all(run["command"].startswith("python -m training.train_vqa") for run in card["training_runs"])


def test_trained_model_is_served(tmp_path):
    train_vqa.main(["--model", "vqa_baseline", "--out", str(tmp_path), *TINY])
    scene = render(sample_scene(np.random.default_rng(5)), 128)
    with TestClient(create_app(make_settings(tmp_path))) as client:
        r = client.post(
            "/api/vqa",
            files={"image": ("s.png", png_bytes(scene), "image/png")},
            data={"question": "How many circles are there?", "model": "vqa_baseline"},
        )
        assert r.status_code == 200, r.text
        assert len(r.json()["answers"]) == 5


@pytest.fixture(scope="module")
def official_files(tmp_path_factory):
    """A tiny split in both official layouts (CLEVR's and VQA v2's), as `shapes_files write` makes them."""
    data = tmp_path_factory.mktemp("data")
    write_split(data, "train", 40, seed=1)
    write_split(data, "val", 16, seed=2)
    return data


@pytest.mark.parametrize("name", ["vqa", "vqa_baseline"])
@pytest.mark.parametrize("dataset", ["clevr", "vqa-v2"])
def test_official_layouts_train(name, dataset, official_files, tmp_path):
    card = train_vqa.main(
        [
            "--model",
            name,
            "--dataset",
            dataset,
            "--layout",
            "shapes",
            "--data-dir",
            str(official_files),
            "--out",
            str(tmp_path),
            "--epochs",
            "1",
            "--batch-size",
            "8",
        ]
    )
    assert card["dataset"] == dataset
    if dataset == "vqa-v2":
        assert 0 <= card["metrics"]["validation_vqa_accuracy"] <= 100
    answers = json.loads((tmp_path / name / "answers.json").read_text())
    assert set(answers) <= set(vqa_common.ANSWERS)


def test_training_arrays_match_what_the_server_sees():
    """The parity pin: a training question's pixels are the server's preprocessing of
    the same rendered image."""
    encoder = vqa_common.shapes_encoder()
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    arrays = make_arrays(rng_a, 4, encoder, style="plain")
    scene = sample_scene(rng_b)  # the same draws as make_arrays' first scene
    served = task.image_to_array(Image.open(__import__("io").BytesIO(png_bytes(render(scene, 128)))))
    assert np.array_equal(arrays.inputs(slice(None))["image"][arrays.scene_index == 0][0], served)
    ids, _ = encoder.encode(arrays.texts[0])
    assert np.array_equal(arrays.questions[0], ids)


def test_focus_flags_are_parsed_and_checked():
    assert train_vqa.parse_args(["--focus", "compare_attribute=4"]).focus == {"compare_attribute": 4}
    assert train_vqa.parse_args([]).focus == {}
    with pytest.raises(SystemExit):
        train_vqa.parse_args(["--focus", "compare_attribute"])
