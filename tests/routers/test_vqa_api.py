"""POST /api/vqa: the contract on tiny models (every input path and every error), then
the committed models: golden answers on the sample scenes, the OOD check, the heatmap."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import png_bytes
from training.datasets.shapes.scenes import render, sample_scene

SCENE = render(sample_scene(np.random.default_rng(7)), 256)


def ask(client, question="How many circles are there?", image=SCENE, **fields):
    files = {"image": ("scene.png", png_bytes(image), "image/png")} if image is not None else None
    return client.post("/api/vqa", files=files, data={"question": question, **fields})


def test_answers_have_the_contract_fields(tiny_client):
    r = ask(tiny_client, top_k="3")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["question"] == "How many circles are there?" and body["model"] == "vqa"
    assert len(body["answers"]) == 3
    probabilities = [a["probability"] for a in body["answers"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert body["unknown_words"] == []
    assert isinstance(body["out_of_distribution"], bool) and body["ood_score"] >= 0
    assert body["timing_ms"] > 0 and "heatmap_png" not in body


def test_all_22_answers_but_none_sum_to_one(tiny_client):
    answers = ask(tiny_client, top_k="22").json()["answers"]
    assert len(answers) == 22 and abs(sum(a["probability"] for a in answers) - 1) < 1e-3


def test_json_body_and_data_url(tiny_client):
    b64 = base64.b64encode(png_bytes(SCENE)).decode()
    r = tiny_client.post(
        "/api/vqa", json={"image_b64": f"data:image/png;base64,{b64}", "question": "Is there a red square?", "top_k": 2}
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["answers"]) == 2


def test_unknown_words_are_reported_and_put_the_question_out_of_scope(tiny_client):
    body = ask(tiny_client, "Is there a purple unicorn near the circle?").json()
    assert body["unknown_words"] == ["unicorn"]
    assert body["question_in_scope"] is False and "unicorn" in body["scope_note"]
    assert body["answers"] == [] and body["interpreted_as"] == [] and body["guess"] is True


def test_typos_are_corrected_and_reported(tiny_client):
    body = ask(tiny_client, "how mnay cirlces are ther").json()
    assert body["read_as"] == "how many circles are there"
    assert {"from": "cirlces", "to": "circles"} in body["corrections"]
    assert body["interpreted_as"] == ["How many circles are there?"] and body["question_in_scope"] is True


def test_non_square_and_grayscale_uploads_work(tiny_client):
    # a darker gray than a scene's is not claimed by the shapes world: asked for by name
    assert ask(tiny_client, image=Image.new("L", (300, 120), 200), world="shapes").status_code == 200
    assert ask(tiny_client, image=Image.new("L", (300, 120), 228)).json()["world"] == "shapes"


def test_explain_returns_a_square_overlay(tiny_client):
    body = ask(tiny_client, explain="true").json()
    overlay = Image.open(io.BytesIO(base64.b64decode(body["heatmap_png"])))
    assert overlay.mode == "RGBA" and overlay.size == (64, 64)


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"question": ""}, 400, "ask a question"),
        ({"question": "x" * 301}, 400, "limit is 300"),
        ({"top_k": "0"}, 400, "top_k must be between 1 and"),
        ({"top_k": "24"}, 400, "between 1 and 23"),
        ({"top_k": "three"}, 400, "whole number"),
        ({"explain": "maybe"}, 400, "true or false"),
        ({"model": "nope"}, 404, "no model named"),
        ({"model": "digits"}, 404, "not a vqa model"),
    ],
)
def test_bad_fields_are_clear_4xx(tiny_client, fields, status, words):
    r = ask(tiny_client, **({"question": "Is there a circle?"} | fields))
    assert r.status_code == status and words in r.json()["error"]


def test_bad_bodies_are_clear_4xx(tiny_client):
    r = tiny_client.post("/api/vqa", data={"question": "Is there a circle?"})
    assert r.status_code == 400 and "image" in r.json()["error"]
    r = tiny_client.post(
        "/api/vqa", files={"image": ("a.txt", b"not an image", "text/plain")}, data={"question": "Is there a circle?"}
    )
    assert r.status_code == 415
    r = tiny_client.post("/api/vqa", json={"image_b64": "%%%", "question": "Is there a circle?"})
    assert r.status_code == 400 and "base64" in r.json()["error"]
    r = tiny_client.post("/api/vqa", json={"question": "Is there a circle?"})
    assert r.status_code == 400 and "image_b64" in r.json()["error"]
    r = tiny_client.post("/api/vqa", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = tiny_client.post("/api/vqa", content=b"x", headers={"content-type": "application/xml"})
    assert r.status_code == 415


# -- the committed models ------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples():
    from app.config import ROOT

    return json.loads((ROOT / "static" / "samples" / "samples.json").read_text())["samples"]


def _sample_image(sample) -> Image.Image:
    from app.config import ROOT

    return Image.open(ROOT / "static" / "samples" / sample["file"])


# The committed `vqa`'s one miss among the samples' 144 questions (compare_attribute, its
# weakest family at 96 %). Retraining may change this list: update it knowingly.
# The one miss of the model asked directly ("Is the square the same color as the tiny
# triangle?" on scene_20) is gone: same-attribute questions are answered from two queries.
KNOWN_MISSES: list[tuple] = []


def test_golden_answers_on_the_sample_scenes(committed_client, samples):
    """Every suggested question of every sample scene: the checked truth."""
    wrong = []
    for sample in samples:
        image = _sample_image(sample)
        for q in sample["questions"]:
            body = ask(committed_client, q["question"], image=image, top_k="1").json()
            assert body["unknown_words"] == [] and body["out_of_distribution"] is False
            if body["answers"][0]["answer"] != q["answer"]:
                wrong.append((sample["id"], q["question"], q["answer"], body["answers"][0]["answer"]))
    assert sum(len(s["questions"]) for s in samples) == 144
    assert wrong == KNOWN_MISSES


def test_baseline_is_served_beside_it(committed_client, samples):
    image = _sample_image(samples[0])
    body = ask(committed_client, samples[0]["questions"][0]["question"], image=image, model="vqa_baseline").json()
    assert body["model"] == "vqa_baseline" and len(body["answers"]) == 5


def test_photos_digits_and_noise_are_out_of_distribution_for_the_shapes_model(committed_client, mnist_test):
    import skimage.data

    rng = np.random.default_rng(0)
    digit = Image.fromarray(255 - mnist_test[0][0])  # black ink on white, as drawn
    for image in (
        Image.fromarray(skimage.data.astronaut()),
        Image.fromarray(skimage.data.coffee()),
        digit,
        Image.fromarray(rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)),
    ):
        routed = ask(committed_client, "Is there a red circle?", image=image).json()
        assert routed["world"] == "photo"  # answered by the photo models (tests/routers/test_vqa_photos.py)
        body = ask(committed_client, "Is there a red circle?", image=image, world="shapes").json()
        assert body["world"] == "shapes" and body["out_of_distribution"] is True and body["ood_score"] >= 1, body
        assert body["answers"]  # still answered, with the warning


def test_heatmap_points_at_the_object_asked_about(committed_client):
    """'What color is the large circle?' with one large circle: the hottest part of the
    heatmap lies on (or next to) that object, in most scenes."""
    rng = np.random.default_rng(123)
    hits, tried = 0, 0
    while tried < 30:
        scene = sample_scene(rng)
        obj = scene.objects[int(rng.integers(len(scene.objects)))]
        if sum(o.shape == obj.shape and o.size == obj.size for o in scene.objects) != 1:
            continue
        body = ask(
            committed_client, f"What color is the {obj.size} {obj.shape}?", image=render(scene, 128), explain="true"
        ).json()
        heat = np.asarray(Image.open(io.BytesIO(base64.b64decode(body["heatmap_png"]))))[..., 3]
        y, x = (v / heat.shape[0] for v in np.unravel_index(int(heat.argmax()), heat.shape))
        x0, y0, x1, y1 = obj.box
        tried += 1
        hits += x0 - 0.1 <= x <= x1 + 0.1 and y0 - 0.1 <= y <= y1 + 0.1
    assert hits / tried >= 0.8, (hits, tried)
