"""Every response carries its request id, error bodies and log lines too."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.observability import new_request_id
from tests.conftest import make_settings, png_bytes


@pytest.fixture
def text_client(tiny_models_dir):
    with TestClient(create_app(make_settings(tiny_models_dir)), raise_server_exceptions=False) as client:
        yield client


def test_every_response_has_an_id_and_a_well_formed_one_from_the_client_is_kept(text_client):
    for path in ("/healthz", "/readyz", "/no/such/path", "/static/app.js"):
        assert len(text_client.get(path).headers["x-request-id"]) == 32, path
    assert text_client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"}).headers["x-request-id"] == "lb-7f3a.42"
    for odd in ("x" * 129, "has space", "semi;colon", ""):
        got = text_client.get("/healthz", headers={"X-Request-ID": odd}).headers["x-request-id"]
        assert got != odd and len(got) == 32


def test_new_ids_are_32_hex_digits_and_do_not_repeat():
    ids = [new_request_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_an_error_body_names_its_request_and_its_log_line_does_too(capsys, text_client):
    r = text_client.post("/api/vqa", json={"question": "Is there a circle?"}, headers={"X-Request-ID": "find-me-1"})
    assert r.status_code == 400 and r.json()["request_id"] == "find-me-1" == r.headers["x-request-id"]
    assert text_client.get("/healthz", headers={"X-Request-ID": "quiet-2"}).status_code == 200
    logged = capsys.readouterr().err
    assert "[find-me-1] POST /api/vqa 400" in logged, logged
    assert "quiet-2" not in logged  # text logs: uvicorn's access log records the ordinary requests


def test_an_unexpected_error_is_a_500_with_the_id_and_a_logged_traceback(capsys, text_client, monkeypatch):
    from app.worlds.shapes.world import ShapesWorld

    async def broken(*args, **kwargs):
        raise RuntimeError("injected")

    monkeypatch.setattr(ShapesWorld, "answer", broken)
    from PIL import Image

    image = png_bytes(Image.new("RGB", (64, 64), (228, 228, 228)))
    r = text_client.post("/api/vqa", files={"image": ("s.png", image, "image/png")}, data={"question": "How many circles?"})
    assert r.status_code == 500 and r.json() == {
        "error": "internal error; it has been logged",
        "request_id": r.headers["x-request-id"],
    }
    logged = capsys.readouterr().err
    assert f"[{r.headers['x-request-id']}] unhandled error on POST /api/vqa" in logged and "RuntimeError: injected" in logged


def test_json_logs_have_a_line_per_request_with_route_model_status_latency_and_batch(tiny_models_dir, capsys):
    with TestClient(create_app(make_settings(tiny_models_dir, log_format="json"))) as client:
        capsys.readouterr()
        r = client.post("/api/digits", json={"pixels": [[0.0] * 28] * 28}, headers={"X-Request-ID": "json-3"})
        assert r.status_code == 200
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    line = next(x for x in lines if x.get("request_id") == "json-3")
    assert line["logger"] == "app.access" and line["route"] == "/api/digits" and line["status"] == 200
    assert line["model"] == "digits" and line["batch_rows"] == 1 and line["latency_ms"] > 0


def test_fastapis_opentelemetry_is_off_unless_asked_for(tiny_models_dir):
    # FastAPI keeps its telemetry settings on the app; off, no request asks for a provider.
    off = create_app(make_settings(tiny_models_dir))
    on = create_app(make_settings(tiny_models_dir, opentelemetry=True))
    assert not off._native_telemetry.enabled()
    assert all(on._telemetry[kind] for kind in ("tracing", "metrics", "logs"))
