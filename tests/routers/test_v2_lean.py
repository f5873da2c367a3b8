"""The lean V2 infer path (`app.routers.v2.LeanInfer`) against FastAPI's route for the
same endpoint: every request of the V2 corpus, good and bad, gets the same status,
headers and bytes (less the request id, which differs per request) and counts the
same in the metrics. `test_v2.py` runs its whole corpus through both as well."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from benchmarks.peers import DIGITS, v2_binary
from tests.conftest import make_settings
from tests.routers.test_bad_input import V2 as BAD_TENSORS

IMAGE = {"name": "image", "datatype": "FP32", "shape": [2, 784], "data": np.linspace(0, 1, 1568).round(4).tolist()}


def _binary_request() -> tuple[bytes, dict[str, str]]:
    """Binary tensors both ways, as `tritonclient` sends them."""
    x = np.random.default_rng(1).random((3, 28, 28, 1), dtype=np.float32)
    return v2_binary(DIGITS, {"image": x})


def _json(body) -> tuple[bytes, dict[str, str]]:
    return json.dumps(body).encode(), {"content-type": "application/json"}


CORPUS: dict[str, tuple[str, str, bytes, dict[str, str]]] = {
    "json": ("POST", "/v2/models/digits/infer", *_json({"id": "a-7", "inputs": [IMAGE]})),
    "binary both ways": ("POST", "/v2/models/digits/infer", *_binary_request()),
    "a version": ("POST", "/v2/models/digits/versions/1/infer", *_json({"inputs": [IMAGE]})),
    "an unknown version": ("POST", "/v2/models/digits/versions/7/infer", *_json({"inputs": [IMAGE]})),
    "an unknown model": ("POST", "/v2/models/nope/infer", *_json({"inputs": [IMAGE]})),
    "a model not installed": ("POST", "/v2/models/digits_mlp/infer", *_json({"inputs": [IMAGE]})),
    "not JSON": ("POST", "/v2/models/digits/infer", b"{bad", {"content-type": "application/json"}),
    "gzip": ("POST", "/v2/models/digits/infer", b"x", {"content-encoding": "gzip"}),
    "a header length past the body": ("POST", "/v2/models/digits/infer", b"{}", {"Inference-Header-Content-Length": "99"}),
    "an output it has not": (
        "POST",
        "/v2/models/digits/infer",
        *_json({"inputs": [IMAGE], "outputs": [{"name": "logits"}]}),
    ),
    "over the body limit": ("POST", "/v2/models/digits/infer", b"{" + b" " * 70_000 + b"}", {"content-type": "application/json"}),
    "token ids outside the vocabulary": (
        "POST",
        "/v2/models/vqa/infer",
        *_json(
            {
                "inputs": [
                    {"name": "image", "datatype": "FP32", "shape": [1, 64, 64, 3], "data": [0.5] * (64 * 64 * 3)},
                    {"name": "question", "datatype": "INT32", "shape": [1, 24], "data": [10_000] + [0] * 23},
                ]
            }
        ),
    ),
    "GET on infer": ("GET", "/v2/models/digits/infer", b"", {}),
    "a trailing slash": ("POST", "/v2/models/digits/infer/", *_json({"inputs": [IMAGE]})),
    "an empty name": ("POST", "/v2/models//infer", *_json({"inputs": [IMAGE]})),
    **{f"bad tensors: {name}": ("POST", "/v2/models/digits/infer", *_json(body)) for name, (body, _) in BAD_TENSORS.items()},
}
REQUEST_ID = re.compile(rb',?"request_id":"[0-9a-f]+"')
COMPARED_HEADERS = ("content-type", "content-length", "inference-header-content-length", "retry-after", "allow")


@pytest.fixture(scope="module")
def both(tiny_models_dir):
    """(lean, FastAPI's route) clients over the same models."""
    settings = {"max_body_bytes": 65_536}
    with (
        TestClient(create_app(make_settings(tiny_models_dir, v2_lean_infer=True, **settings))) as lean,
        TestClient(create_app(make_settings(tiny_models_dir, v2_lean_infer=False, **settings))) as routed,
    ):
        yield lean, routed


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_the_lean_path_answers_byte_for_byte_as_the_route(both, case):
    method, path, body, headers = CORPUS[case]
    lean, routed = (client.request(method, path, content=body or None, headers=headers) for client in both)
    assert lean.status_code == routed.status_code, (lean.text, routed.text)
    assert REQUEST_ID.sub(b"", lean.content) == REQUEST_ID.sub(b"", routed.content)
    for name in COMPARED_HEADERS:
        if name != "content-length" or not REQUEST_ID.search(lean.content):  # the id's length varies with nothing, but be exact
            assert lean.headers.get(name) == routed.headers.get(name), name
    assert lean.headers["x-request-id"] and lean.headers.get("x-content-type-options") == routed.headers.get(
        "x-content-type-options"
    )


def test_the_lean_path_counts_in_the_metrics_as_the_route(both):
    def infer_lines(client) -> list[str]:
        text = client.get("/metrics").text
        return sorted(
            line.rsplit(" ", 1)[0] + " " + line.rsplit(" ", 1)[1]
            for line in text.splitlines()
            if line.startswith("vqademo_requests_total") and "/infer" in line
        )

    for client in both:
        for method, path, body, headers in CORPUS.values():
            client.request(method, path, content=body or None, headers=headers)
    lean, routed = (infer_lines(client) for client in both)
    assert lean and lean == routed
    assert any('route="/v2/models/{name}/infer"' in line and 'model="digits"' in line for line in lean)
