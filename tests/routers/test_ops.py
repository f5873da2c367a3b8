import json

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import make_settings


def test_health_and_readiness(tiny_client):
    assert tiny_client.get("/healthz").json() == {"status": "ok"}
    ready = tiny_client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] is True
    assert body["models"]["digits"]["state"] == "ready"
    assert body["models"]["digits_mlp"]["state"] == "absent"  # absent never holds readiness back


def test_model_list_carries_state_and_card(tiny_client):
    models = {m["name"]: m for m in tiny_client.get("/api/models").json()["models"]}
    assert set(models) >= {"digits", "digits_mlp", "digits_mlp_nodropout"}
    assert models["digits"]["state"] == "ready" and models["digits"]["card"]["task"] == "digits"
    assert tiny_client.get("/api/models/digits").json()["name"] == "digits"
    missing = tiny_client.get("/api/models/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["error"]


def test_absent_model_answers_503_with_retry_after(tiny_client):
    r = tiny_client.post("/api/digits", params={"model": "digits_mlp"}, json={"pixels": [[0.0] * 28] * 28})
    assert r.status_code == 503
    assert "not installed" in r.json()["error"] and r.headers["Retry-After"]


def test_broken_model_fails_alone(tmp_path, tiny_models_dir):
    """A model that is present but cannot load: /readyz says why, the rest serve."""
    import shutil

    shutil.copytree(tiny_models_dir / "digits", tmp_path / "digits")
    (tmp_path / "digits_mlp").mkdir()
    (tmp_path / "digits_mlp" / "model.keras").write_bytes(b"this is not a keras file")
    with TestClient(create_app(make_settings(tmp_path))) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.headers["Retry-After"]
        assert ready.json()["models"]["digits_mlp"]["state"] == "failed"
        assert "digits_mlp" in ready.json()["error"]
        broken = client.post("/api/digits?model=digits_mlp", json={"pixels": [[0.0] * 28] * 28})
        assert broken.status_code == 503 and "failed to load" in broken.json()["error"]
        assert client.post("/api/digits", json={"pixels": [[0.0] * 28] * 28}).status_code == 200
        assert client.get("/healthz").status_code == 200


def test_model_files_are_limited_to_what_the_card_lists(tmp_path, tiny_models_dir):
    import shutil

    shutil.copytree(tiny_models_dir / "digits", tmp_path / "digits")
    card = json.loads((tmp_path / "digits" / "card.json").read_text())
    (tmp_path / "digits" / "card.json").write_text(json.dumps(card | {"artifacts": ["plot.png"]}))
    (tmp_path / "digits" / "plot.png").write_bytes(b"\x89PNG fake")
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.get("/api/models/digits/files/plot.png").content == b"\x89PNG fake"
        for bad in ("card.json", "model.keras", "..%2F..%2Fpyproject.toml", "%2Fetc%2Fpasswd"):
            r = client.get(f"/api/models/digits/files/{bad}")
            assert r.status_code == 404, bad
            assert "error" in r.json()


def test_unknown_paths_and_methods_are_json_errors(tiny_client):
    r = tiny_client.get("/no/such/page")
    assert r.status_code == 404 and r.json()["error"]
    r = tiny_client.delete("/api/digits")
    assert r.status_code == 405 and "DELETE" in r.json()["error"]


def test_openapi_documents_the_digits_endpoint(tiny_client):
    spec = tiny_client.get("/openapi.json").json()
    body = spec["paths"]["/api/digits"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(body)
    assert tiny_client.get("/docs").status_code == 200


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/static/style.css", "/static/favicon.svg", "/favicon.ico"])
def test_page_and_its_assets(tiny_client, path):
    assert tiny_client.get(path).status_code == 200


def test_page_has_the_controls_tests_and_people_need(tiny_client):
    html = tiny_client.get("/").text
    for testid in (
        "digit-canvas",
        "digit-predict",
        "digit-result",
        "digit-clear",
        "vqa-image",
        "vqa-question",
        "vqa-ask",
        "vqa-answers",
    ):
        assert f'data-testid="{testid}"' in html
    assert "not stored" in html
    assert "http://" not in html and "https://" not in html  # nothing fetched from elsewhere


def test_metrics_count_requests_batches_and_readiness(tiny_client):
    tiny_client.post("/api/digits", json={"pixels": [[0.0] * 28] * 28})
    tiny_client.post("/api/digits", json={"pixels": [[0.0] * 28] * 27})
    tiny_client.get("/no/such/thing")
    r = tiny_client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'vqademo_requests_total{model="digits",route="/api/digits",status="200"} 1.0' in text
    assert 'vqademo_requests_total{model="",route="/api/digits",status="400"} 1.0' in text
    assert 'route="unmatched",status="404"' in text  # raw paths never become labels
    assert 'vqademo_batch_size_count{model="digits"} 1.0' in text
    assert 'vqademo_compute_seconds_count{model="digits"}' in text
    assert 'vqademo_queue_wait_seconds_count{model="digits"}' in text
    assert 'vqademo_model_ready{model="digits"} 1.0' in text
    assert 'vqademo_model_ready{model="digits_mlp"} 0.0' in text
    assert 'vqademo_queue_depth{model="digits"} 0.0' in text
    assert "vqademo_in_flight_requests" in text


def test_committed_toy_autoencoder_on_the_page_and_over_v2(committed_client):
    body = committed_client.get("/api/autoencoder/toy").json()
    assert {tuple(round(v) for v in row["code"]) for row in body["rows"]} == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert 'data-testid="ae-toy"' in committed_client.get("/").text
    infer = {
        "inputs": [
            {"name": "onehot", "datatype": "FP32", "shape": [4, 4], "data": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]}
        ]
    }
    out = committed_client.post("/v2/models/autoencoder_toy/infer", json=infer).json()["outputs"][0]
    assert out["shape"] == [4, 4]


def test_toy_absent_is_503(tiny_client):
    r = tiny_client.get("/api/autoencoder/toy")
    assert r.status_code == 503 and "autoencoder_toy" in r.json()["error"]


def test_security_headers_and_a_closed_cors(tiny_client):
    page = tiny_client.get("/")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    api = tiny_client.get("/healthz", headers={"origin": "https://elsewhere.example"})
    assert api.headers["x-content-type-options"] == "nosniff" and api.headers["x-frame-options"] == "DENY"
    assert "access-control-allow-origin" not in api.headers  # browsers refuse cross-origin reads
