"""Optional API keys: refused without a valid key, the page keeps working, keys never logged."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.keys import digest, key_digests
from app.main import create_app
from tests.conftest import make_settings

BLANK = {"pixels": [[0.0] * 28] * 28}
KEY = "s3cret-key-for-tests"


@pytest.fixture
def keyed(capsys, tiny_models_dir, tmp_path):
    digests = tmp_path / "keys.txt"
    digests.write_text(f"# the mobile app\n{digest('from-a-file')}\n")
    settings = make_settings(tiny_models_dir, api_keys=KEY, api_keys_file=digests, log_format="json")
    with TestClient(create_app(settings)) as client:
        yield client


def test_every_api_and_v2_route_refuses_a_missing_or_wrong_key(keyed):
    routes = [("post", "/api/digits"), ("get", "/api/models"), ("get", "/api/vqa/worlds"), ("get", "/v2/models/digits"),
              ("get", "/v2/health/ready"), ("post", "/v2/models/digits/infer")]  # fmt: skip
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}):
            r = getattr(keyed, method)(path, headers=headers)
            assert r.status_code == 401 and "API key" in r.json()["error"], (path, headers)
            assert r.headers["www-authenticate"] == "Bearer"
    assert keyed.post("/api/digits", json=BLANK, headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert keyed.get("/api/models", headers={"Authorization": "bearer from-a-file"}).status_code == 200
    for path in ("/healthz", "/readyz", "/metrics"):
        assert keyed.get(path).status_code == 200


def test_the_page_keeps_working_through_its_own_cookie(keyed):
    fresh = TestClient(keyed.app)
    assert fresh.post("/api/digits", json=BLANK).status_code == 401
    page = fresh.get("/")
    assert page.status_code == 200 and "httponly" in page.headers["set-cookie"].lower()
    assert fresh.post("/api/digits", json=BLANK).status_code == 200  # the cookie the page set
    forged = TestClient(keyed.app, cookies={"vqademo_page": "0" * 64})
    assert forged.post("/api/digits", json=BLANK).status_code == 401


def test_keys_never_reach_the_logs_and_openapi_declares_the_scheme(keyed, capsys):
    keyed.post("/api/digits", json=BLANK, headers={"Authorization": f"Bearer {KEY}"})
    keyed.post("/api/digits", json=BLANK, headers={"Authorization": "Bearer a-wrong-one"})
    schema = keyed.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert schema["paths"]["/api/digits"]["post"]["security"] == [{"apiKey": []}]
    logged = capsys.readouterr().err
    assert '"status": 401' in logged and KEY not in logged and "a-wrong-one" not in logged
    assert KEY not in repr(make_settings(keyed.app.state.settings.models_dir, api_keys=KEY))


def test_a_keys_file_must_hold_digests(tmp_path):
    bad = tmp_path / "keys.txt"
    bad.write_text("plain-key\n")
    with pytest.raises(ValueError, match="sha256"):
        key_digests("", bad)
