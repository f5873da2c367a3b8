"""Photos through `POST /api/vqa` with the committed (converted) photo models."""

import os

import pytest

from app import ocr
from app.config import ROOT
from app.worlds.photo import text as photo_text

PHOTOS = ROOT / "static" / "photos"


def ask(client, photo: str, question: str, **extra):
    data = (PHOTOS / f"{photo}.jpg").read_bytes()
    r = client.post("/api/vqa", files={"image": ("p.jpg", data, "image/jpeg")}, data={"question": question, **extra})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(
    ("photo", "question", "answer"),
    [
        ("cat", "What animal is this?", "cat"),
        ("cat", "Is there a dog?", "no"),
        ("cat", "is thre a cat", "yes"),
        ("cat", "Is there a person?", "no"),  # the detector's 25 % person is dropped: the classifier is sure of a cat
        ("cat", "How many cats are there?", "1"),  # a close-up the detector misses, counted from the classifier
        ("coffee", "What is this?", "coffee"),
        ("coffee", "Is there a cup?", "yes"),
        ("coffee", "What is in the cup?", "coffee"),
        ("coffee", "What animal is this?", "none"),
        ("astronaut", "How many people are there?", "1"),
        ("grace_hopper", "How many people are there?", "1"),
        ("rocket", "Are there any people?", "no"),
    ],
)
def test_photo_answers_pinned_on_the_sample_photos(committed_client, photo, question, answer):
    body = ask(committed_client, photo, question)
    assert body["world"] == "photo" and body["question_in_scope"]
    assert body["answers"][0]["answer"] == answer
    # people are counted with the pose model too; other questions never run it
    pose = "+photo_pose+photo_faces" if question.startswith("How many people") else ""
    assert body["model"] == "photo_classifier+photo_detector" + pose


def test_a_photo_answer_carries_its_evidence(committed_client):
    body = ask(committed_client, "astronaut", "How many people are there?")
    ev = body["evidence"]
    assert len(ev["classes"]) == 5 and ev["objects"][0]["label"] == "person"
    x1, y1, x2, y2 = ev["objects"][0]["box"]
    assert 0 <= x1 < x2 <= 512 and 0 <= y1 < y2 <= 512
    assert body["interpreted_as"] == ["count people"] and "background" not in body["world_reason"]
    (person,) = ev["people"]
    assert person["score"] > 0.3 and {k["name"] for k in person["keypoints"]} >= {"nose", "left_shoulder", "right_shoulder"}


def test_what_photos_cannot_answer_is_said_not_guessed(committed_client):
    body = ask(committed_client, "grace_hopper", "What is she wearing?")
    assert not body["question_in_scope"] and body["answers"] == [] and body["guess"]
    assert "not what their clothes are" in body["scope_note"]


def test_unsure_is_no_answer(committed_client):
    body = ask(committed_client, "grace_hopper", "Is there a tie?")  # a tie the detector is 26 % sure of
    assert body["answers"] == [] and body["guess"] and "can't tell" in body["note"]
    body = ask(committed_client, "cat", "Is there a spoon?")  # small things are never said to be absent
    assert body["answers"] == [] and "small things" in body["note"]


def test_a_shapes_scene_still_goes_to_the_shapes_models(committed_client, sample_scene_png):
    r = committed_client.post(
        "/api/vqa", files={"image": ("s.png", sample_scene_png, "image/png")}, data={"question": "How many circles are there?"}
    )
    body = r.json()
    assert body["world"] == "shapes" and body["model"] == "vqa" and body["evidence"]["kind"] == "shapes"
    assert not body["out_of_distribution"] and "unusual_reason" not in body["evidence"]


def test_the_world_can_be_forced(committed_client, sample_scene_png):
    r = committed_client.post(
        "/api/vqa",
        files={"image": ("s.png", sample_scene_png, "image/png")},
        data={"question": "What is this?", "world": "photo"},
    )
    assert r.json()["world"] == "photo" and r.json()["world_reason"] == "asked for the photo world"
    body = ask(committed_client, "cat", "How many circles are there?", world="shapes")
    assert body["world"] == "shapes" and body["out_of_distribution"]
    r = committed_client.post(
        "/api/vqa", files={"image": ("s.png", sample_scene_png, "image/png")}, data={"question": "What?", "world": "moon"}
    )
    assert r.status_code == 400 and "world must be" in r.json()["error"]


def test_without_the_photo_models_a_photo_is_a_503_not_a_shapes_guess(tiny_client):
    data = (PHOTOS / "cat.jpg").read_bytes()
    r = tiny_client.post("/api/vqa", files={"image": ("p.jpg", data, "image/jpeg")}, data={"question": "How many circles?"})
    assert r.status_code == 503 and "photo_classifier" in r.json()["error"] and r.headers["retry-after"]
    body = tiny_client.post(
        "/api/vqa", files={"image": ("p.jpg", data, "image/jpeg")}, data={"question": "How many circles?", "world": "shapes"}
    ).json()
    assert body["world"] == "shapes" and body["out_of_distribution"] and body["guess"]
    assert "does not look like a shapes scene" in body["evidence"]["unusual_reason"]
    r = tiny_client.post("/api/vqa", files={"image": ("p.jpg", data, "image/jpeg")}, data={"question": "What?", "world": "photo"})
    assert r.status_code == 503


def test_sample_photos_are_listed_with_questions(committed_client):
    photos = committed_client.get("/api/vqa/photos").json()["photos"]
    assert {p["id"] for p in photos} == {"astronaut", "cat", "coffee", "rocket", "grace_hopper", "page"}
    for p in photos:
        assert committed_client.get(p["image_url"]).status_code == 200 and p["licence"] and len(p["questions"]) >= 3


def test_the_photo_models_are_served_like_the_others(committed_client):
    models = {m["name"]: m for m in committed_client.get("/api/models").json()["models"]}
    for name, task in (("photo_classifier", "photo_classify"), ("photo_detector", "photo_detect")):
        assert models[name]["state"] == "ready" and models[name]["task"] == task
        assert models[name]["card"]["source"]["licence"] in ("Apache-2.0", "MIT")
    meta = committed_client.get("/v2/models/photo_classifier").json()
    assert meta["inputs"][0]["shape"] == [-1, 224, 224, 3]
    body = {"inputs": [{"name": "image", "shape": [1, 224, 224, 3], "datatype": "FP32", "data": [0.0] * (224 * 224 * 3)}]}
    out = committed_client.post("/v2/models/photo_classifier/infer", json=body)
    assert out.status_code == 200 and out.json()["outputs"][0]["shape"] == [1, 1000]


@pytest.fixture(scope="module")
def sample_scene_png():
    return (ROOT / "static" / "samples" / "scene_00.png").read_bytes()


def test_boxes_are_in_the_uploads_pixels_when_a_big_jpeg_is_decoded_smaller(committed_client):
    import io

    from PIL import Image

    big = Image.open(PHOTOS / "astronaut.jpg").resize((2048, 2048))
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=90)
    files = {"image": ("big.jpg", buffer.getvalue(), "image/jpeg")}
    body = committed_client.post("/api/vqa", files=files, data={"question": "How many people are there?"}).json()
    small = ask(committed_client, "astronaut", "How many people are there?")
    assert body["answers"][0]["answer"] == "1"
    big_box, small_box = body["evidence"]["objects"][0]["box"], small["evidence"]["objects"][0]["box"]
    assert all(abs(b - 4 * s) < 40 for b, s in zip(big_box, small_box, strict=True))  # 4 x the 512 px photo


needs_tesseract = pytest.mark.skipif(
    not photo_text.available() and not os.environ.get("VQADEMO_REQUIRE_OCR"),
    reason="Tesseract is not installed (apt-get install tesseract-ocr); CI sets VQADEMO_REQUIRE_OCR",
)


@needs_tesseract
def test_text_is_read_with_its_boxes(committed_client):
    data = (PHOTOS / "page.png").read_bytes()
    files = {"image": ("page.png", data, "image/png")}
    body = committed_client.post("/api/vqa", files=files, data={"question": "What does it say?"}).json()
    assert body["world"] == "photo" and body["interpreted_as"] == ["read text"]
    said = body["answers"][0]["answer"]
    assert "segmentation" in said and "markers" in said and "coins" in said
    assert all(0 <= w["box"][0] < w["box"][2] <= 384 for w in body["evidence"]["text"])


@needs_tesseract
def test_a_photo_without_text_is_said_to_have_none_readable(committed_client):
    body = ask(committed_client, "coffee", "What is written on the cup?")
    assert body["answers"] == [] and "no text I can read" in body["note"]


def test_without_tesseract_text_questions_say_what_is_missing(committed_client, monkeypatch):
    monkeypatch.setattr(ocr, "in_process", lambda: False)
    monkeypatch.setattr(ocr, "program", lambda: None)
    body = ask(committed_client, "coffee", "What does the sign say?")
    assert not body["question_in_scope"] and "Tesseract" in body["scope_note"]


def test_the_whole_picture_is_measured_from_its_pixels(committed_client):
    body = ask(committed_client, "cat", "Is this photo in colour?")
    assert body["answers"][0]["answer"] == "yes" and body["interpreted_as"] == ["is the photo in colour"]
    assert body["evidence"]["picture"]["coloured_share"] > 0.5
    page = (PHOTOS / "page.png").read_bytes()
    r = committed_client.post(
        "/api/vqa", files={"image": ("p.png", page, "image/png")}, data={"question": "is it black and white?", "world": "photo"}
    )
    assert r.status_code == 200 and r.json()["answers"][0]["answer"] == "yes"
    assert "picture" not in ask(committed_client, "cat", "Is there a dog?")["evidence"]
    indoors = ask(committed_client, "coffee", "Is this indoors?")
    assert indoors["answers"][0]["answer"] == "yes" and "dining table" in indoors["note"]
    assert ask(committed_client, "cat", "Is this indoors?")["answers"] == []  # nothing only one side has


@pytest.mark.parametrize(
    ("question", "models", "evidence"),
    [
        ("How many cups are there?", "photo_classifier+photo_detector", set()),
        ("Is anyone sitting?", "photo_classifier+photo_detector+photo_pose", {"people"}),
        ("How many people are there?", "photo_classifier+photo_detector+photo_pose+photo_faces", {"people", "faces"}),
        ("Is she smiling?", "photo_classifier+photo_detector+photo_pose+photo_faces+photo_expression", {"people", "faces"}),
        ("What colour is her suit?", "photo_classifier+photo_detector+photo_pose+photo_segment", {"people", "person_mask_png"}),
    ],
)
def test_the_people_models_run_only_when_the_question_needs_them(committed_client, question, models, evidence):
    body = ask(committed_client, "astronaut", question)
    assert body["model"] == models
    assert {"people", "faces", "person_mask_png"} & set(body["evidence"]) == evidence
