from training.datasets.shapes.check import check_question


def test_samples_have_images_and_questions_that_check(tiny_client):
    body = tiny_client.get("/api/vqa/samples").json()
    samples = body["samples"]
    assert len(samples) == 24
    for sample in samples:
        image = tiny_client.get(sample["image_url"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert len(sample["questions"]) >= 4
        scene = {"image_size": [sample["width"], sample["height"]], "objects": sample["objects"]}
        for q in sample["questions"]:
            assert check_question(scene, q["question"], q["answer"]) == []


def test_no_samples_is_a_404(tiny_models_dir, tmp_path):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import make_settings

    with TestClient(create_app(make_settings(tiny_models_dir, samples_dir=tmp_path))) as client:
        r = client.get("/api/vqa/samples")
        assert r.status_code == 404 and "samples" in r.json()["error"]
