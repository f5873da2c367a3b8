"""The registry knows the hook interface and each model's state, never a task."""

import inspect
import shutil

from fastapi.testclient import TestClient

from app import registry, tasks
from app.main import create_app
from tests.conftest import make_settings


def test_the_registry_names_no_task():
    source = inspect.getsource(registry)
    for task in tasks.hooks():
        assert f'"{task}"' not in source, task


def test_every_served_task_has_a_hook():
    assert {"digits", "autoencoder", "autoencoder_toy", "vqa", "scene_ood"} <= set(tasks.hooks())


def test_a_folder_is_served_by_the_task_its_card_names(tiny_models_dir, tmp_path):
    shutil.copytree(tiny_models_dir / "digits", tmp_path / "my_digits")
    with TestClient(create_app(make_settings(tmp_path))) as client:
        models = {m["name"]: m for m in client.get("/api/models").json()["models"]}
        assert models["my_digits"]["state"] == "ready" and models["my_digits"]["task"] == "digits"
        assert models["digits"]["state"] == "absent"  # expected, not on disk: listed, not blocking
        r = client.post("/api/digits?model=my_digits", json={"pixels": [[0.0] * 28] * 28})
        assert r.status_code == 200 and len(r.json()["probabilities"]) == 10


def test_a_folder_whose_task_no_module_serves_is_not_listed(tiny_models_dir, tmp_path):
    shutil.copytree(tiny_models_dir / "digits", tmp_path / "odd")
    (tmp_path / "odd" / "card.json").write_text('{"task": "astrology"}')
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert "odd" not in {m["name"] for m in client.get("/api/models").json()["models"]}


def test_a_card_can_lower_the_batch_size(tiny_models_dir, tmp_path):
    import json

    shutil.copytree(tiny_models_dir / "digits", tmp_path / "digits")
    (tmp_path / "digits" / "card.json").write_text(json.dumps({"task": "digits", "serving": {"max_batch_size": 3}}))
    shutil.copytree(tiny_models_dir / "digits", tmp_path / "other_digits")
    with TestClient(create_app(make_settings(tmp_path, max_batch_size=16))) as client:
        models = client.app.state.registry.models
        assert models["digits"].batcher.max_batch_size == 3
        assert models["other_digits"].batcher.max_batch_size == 16
    assert "photo_classify" in tasks.hooks() and "photo_detect" in tasks.hooks()


def test_bfloat16_serves_only_the_models_whose_card_allows_it(tiny_models_dir, tmp_path):
    import json

    from PIL import Image

    from tests.conftest import png_bytes

    shutil.copytree(tiny_models_dir / "vqa", tmp_path / "vqa")
    shutil.copytree(tiny_models_dir / "vqa", tmp_path / "vqa_baseline")
    card = json.loads((tmp_path / "vqa" / "card.json").read_text())
    (tmp_path / "vqa" / "card.json").write_text(json.dumps({**card, "serving": {"bfloat16": {"serve": True}}}))
    for precision, expected in (("bfloat16", "bfloat16"), ("float32", "float32")):
        with TestClient(create_app(make_settings(tmp_path, precision=precision))) as client:
            models = {m["name"]: m for m in client.get("/api/models").json()["models"]}
            assert models["vqa"]["precision"] == expected
            assert models["vqa_baseline"]["precision"] == "float32"  # its card has no record
            assert client.get("/readyz").json()["precision"] == precision
            upload = png_bytes(Image.new("RGB", (64, 64), (228, 228, 228)))
            r = client.post(
                "/api/vqa", files={"image": ("s.png", upload, "image/png")}, data={"question": "How many circles are there?"}
            )
            assert r.status_code == 200 and r.json()["answers"]


def test_only_models_slower_than_the_threshold_run_several_calls_at_once(tiny_models_dir, tmp_path):
    shutil.copytree(tiny_models_dir / "digits", tmp_path / "digits")
    for threshold_ms, expected in ((0.0, 2), (60_000.0, 1)):
        settings = make_settings(tmp_path, model_threads=2, parallel_calls_from_ms=threshold_ms)
        with TestClient(create_app(settings)) as client:
            assert client.app.state.registry.models["digits"].batcher.threads == expected
            r = client.post("/api/digits", json={"pixels": [[0.0] * 28] * 28})
            assert r.status_code == 200
