"""Model files are served only as their cards record them (sha256 per file)."""

from __future__ import annotations

import json
import shutil

import pytest
from fastapi.testclient import TestClient

from app.integrity import ModelFileMismatch, file_hashes, verify
from app.main import create_app
from tests.conftest import COMMITTED_MODELS, make_settings
from training import hash_models


def hashed_copy(source, target):
    shutil.copytree(source, target)
    card = json.loads((target / "card.json").read_text())
    (target / "card.json").write_text(json.dumps({**card, "files": file_hashes(target)}))
    return target


def test_a_changed_missing_or_unlisted_file_is_a_mismatch(tiny_models_dir, tmp_path):
    folder = hashed_copy(tiny_models_dir / "vqa", tmp_path / "vqa")
    card = json.loads((folder / "card.json").read_text())
    assert set(card["files"]) == {"model.keras", "vocab.json", "answers.json"} and verify(folder, card)
    assert verify(folder, {"task": "vqa"}) is False  # no hashes listed: nothing to check
    (folder / "answers.json").write_text('["yes", "no"]')
    with pytest.raises(ModelFileMismatch, match="answers.json: sha256"):
        verify(folder, card)
    (folder / "answers.json").unlink()
    with pytest.raises(ModelFileMismatch, match="missing"):
        verify(folder, card)
    (folder / "labels.json").write_text("[]")
    with pytest.raises(ModelFileMismatch, match="labels.json"):
        verify(folder, {**card, "files": {k: v for k, v in card["files"].items() if k != "answers.json"}})


def test_a_swapped_model_file_leaves_that_model_failed_and_the_others_serving(tiny_models_dir, tmp_path):
    for name in ("digits", "digits_mlp_nodropout"):
        hashed_copy(tiny_models_dir / name, tmp_path / name)
    # another model Keras loads without complaint, under digits' name and card
    shutil.copy(tmp_path / "digits_mlp_nodropout" / "model.keras", tmp_path / "digits" / "model.keras")
    with TestClient(create_app(make_settings(tmp_path))) as client:
        models = client.get("/readyz").json()["models"]
        assert models["digits"]["state"] == "failed" and "model.keras: sha256" in models["digits"]["reason"]
        assert models["digits_mlp_nodropout"]["state"] == "ready"
        listed = {m["name"]: m for m in client.get("/api/models").json()["models"]}
        assert listed["digits_mlp_nodropout"]["verified"] and not listed["digits"]["verified"]
        r = client.post("/api/digits?model=digits_mlp_nodropout", json={"pixels": [[0.0] * 28] * 28})
        assert r.status_code == 200
        assert client.post("/api/digits", json={"pixels": [[0.0] * 28] * 28}).status_code == 503


def test_hash_models_makes_the_card_agree_after_a_deliberate_change(tiny_models_dir, tmp_path):
    folder = hashed_copy(tiny_models_dir / "digits", tmp_path / "digits")
    shutil.copy(tiny_models_dir / "digits_mlp_nodropout" / "model.keras", folder / "model.keras")
    assert hash_models.main(["digits", "--models", str(tmp_path), "--check"]) == 1
    assert hash_models.rehash(folder) == ["model.keras"]
    assert verify(folder, json.loads((folder / "card.json").read_text()))


@pytest.mark.parametrize(
    "folder", sorted(p for p in COMMITTED_MODELS.iterdir() if (p / "model.keras").is_file()), ids=lambda p: p.name
)
def test_every_committed_model_is_what_its_card_says(folder):
    assert verify(folder, json.loads((folder / "card.json").read_text())), f"{folder.name}'s card lists no hashes"
