import json

from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import make_settings
from training import train_autoencoder


def test_toy_trains_to_a_two_bit_code_fast_and_is_served(tmp_path):
    card = train_autoencoder.main(["--out", str(tmp_path)])
    assert card["metrics"]["solved"] and card["metrics"]["rebuilt"] == 4
    assert card["wall_time_seconds"] < 30
    saved = json.loads((tmp_path / "autoencoder_toy" / "card.json").read_text())
    assert saved["epochs_to_solve"] == card["epochs_to_solve"] > 0
    with TestClient(create_app(make_settings(tmp_path))) as client:
        body = client.get("/api/autoencoder/toy").json()
        assert len(body["rows"]) == 4
        corners = {tuple(round(v) for v in row["code"]) for row in body["rows"]}
        assert corners == {(0, 0), (0, 1), (1, 0), (1, 1)}
        for row in body["rows"]:
            assert max(range(4), key=row["reconstruction"].__getitem__) == row["input"].index(1.0)
