import json

import pytest

from training.datasets import vqa_files
from training.datasets.shapes.files import write_split


@pytest.fixture(scope="module")
def shapes_split(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    counts = write_split(root, "val", 60, seed=4, size=64, progress=False)
    return root, counts


def test_shapes_files_load_through_both_loaders(shapes_split):
    root, counts = shapes_split
    as_vqa = vqa_files.load_vqa_v2(root, "val", layout="shapes")
    as_clevr = vqa_files.load_clevr(root, "val", layout="shapes")
    assert len(as_vqa) == len(as_clevr) == counts["questions"] == 60
    for a, b in zip(as_vqa, as_clevr, strict=False):
        assert a.question == b.question and a.answer == b.answer
        assert a.image_path == b.image_path and a.image_path.is_file()
    assert len(vqa_files.load_clevr_scenes(root, "val", layout="shapes")) == counts["scenes"]
    assert vqa_files.score(as_vqa, [r.answer for r in as_vqa]) == 1.0


def write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def test_vqa_v2_official_layout(tmp_path):
    write_json(
        tmp_path / "v2_OpenEnded_mscoco_val2014_questions.json",
        {
            "questions": [
                {"image_id": 42, "question": "What color is the bus?", "question_id": 420},
                {"image_id": 7, "question": "How many dogs?", "question_id": 70},
                {"image_id": 7, "question": "Unanswered?", "question_id": 71},
            ]
        },
    )
    humans_bus = ["red", "Red", "red.", "dark red", "red", "maroon", "red", "red", "orange", "red"]
    humans_dogs = ["two", "2", "2", "3", "two", "2", "2", "2", "2", "1"]
    write_json(
        tmp_path / "v2_mscoco_val2014_annotations.json",
        {
            "annotations": [
                {
                    "question_id": 420,
                    "image_id": 42,
                    "multiple_choice_answer": "red",
                    "question_type": "what color",
                    "answer_type": "other",
                    "answers": [{"answer": a, "answer_id": i} for i, a in enumerate(humans_bus)],
                },
                {
                    "question_id": 70,
                    "image_id": 7,
                    "multiple_choice_answer": "2",
                    "question_type": "how many",
                    "answer_type": "number",
                    "answers": [{"answer": a, "answer_id": i} for i, a in enumerate(humans_dogs)],
                },
            ]
        },
    )
    records = vqa_files.load_vqa_v2(tmp_path, "val")
    assert [r.answer for r in records] == ["red", "2"]
    assert records[0].image_path == tmp_path / "val2014" / "COCO_val2014_000000000042.jpg"
    assert vqa_files.vqa_accuracy("red", records[0].human_answers) == 1.0
    assert vqa_files.vqa_accuracy("maroon", records[0].human_answers) == pytest.approx(1 / 3)
    assert vqa_files.vqa_accuracy("3", records[1].human_answers) == pytest.approx(1 / 3)
    assert vqa_files.vqa_accuracy("blue", records[0].human_answers) == 0.0
    assert vqa_files.answer_vocabulary(records, top_n=1) == ["2"]
    assert vqa_files.score(records, ["red", "3"]) == pytest.approx((1 + 1 / 3) / 2)


def test_clevr_official_layout(tmp_path):
    write_json(
        tmp_path / "questions" / "CLEVR_val_questions.json",
        {
            "questions": [
                {
                    "image_index": 0,
                    "image_filename": "CLEVR_val_000000.png",
                    "question": "Is there a cube?",
                    "answer": "yes",
                    "question_family_index": 3,
                    "split": "val",
                },
                {
                    "image_index": 0,
                    "image_filename": "CLEVR_val_000000.png",
                    "question": "How many spheres?",
                    "answer": 2,
                    "question_family_index": 8,
                    "split": "val",
                },
            ]
        },
    )
    write_json(tmp_path / "scenes" / "CLEVR_val_scenes.json", {"scenes": [{"image_index": 0, "objects": []}]})
    records = vqa_files.load_clevr(tmp_path, "val")
    assert [r.answer for r in records] == ["yes", "2"]
    assert records[0].image_path == tmp_path / "images" / "val" / "CLEVR_val_000000.png"
    assert vqa_files.load_clevr_scenes(tmp_path, "val")[0]["image_index"] == 0


def test_missing_files_say_where(tmp_path):
    with pytest.raises(FileNotFoundError, match="questions"):
        vqa_files.load_clevr(tmp_path, "train")


def test_answer_normalisation():
    assert vqa_files.normalise_answer("Two.") == "2"
    assert vqa_files.normalise_answer("  A Red Bus ") == "red bus"
    assert vqa_files.most_common_answer(["yes", "Yes", "no"]) == "yes"
