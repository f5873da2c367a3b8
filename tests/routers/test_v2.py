"""The Open Inference Protocol: hand-made JSON through TestClient, and `tritonclient`,
a client written elsewhere, against a real server. Every request here runs through
the lean infer path and through FastAPI's route for it (`v2_lean_infer`)."""

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import import_or_skip, make_settings


@pytest.fixture(params=[True, False], ids=["lean", "fastapi-route"])
def tiny_client(request, tiny_models_dir):
    with TestClient(create_app(make_settings(tiny_models_dir, v2_lean_infer=request.param))) as client:
        yield client


ZEROS = np.zeros((2, 28, 28, 1), np.float32)


def infer_json(client, model, array, shape=None, **extra):
    body = {
        "inputs": [{"name": "image", "datatype": "FP32", "shape": shape or list(array.shape), "data": array.ravel().tolist()}]
    }
    return client.post(f"/v2/models/{model}/infer", json=body | extra)


def test_health_and_metadata(tiny_client):
    assert tiny_client.get("/v2/health/live").json() == {"live": True}
    assert tiny_client.get("/v2/health/ready").status_code == 200
    assert tiny_client.get("/v2").json()["name"] == "vqa-demo"
    meta = tiny_client.get("/v2/models/digits").json()
    assert meta["inputs"] == [{"name": "image", "datatype": "FP32", "shape": [-1, 28, 28, 1]}]
    assert meta["outputs"] == [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]}]
    assert tiny_client.get("/v2/models/digits/ready").status_code == 200
    absent = tiny_client.get("/v2/models/digits_mlp/ready")
    assert absent.status_code == 503 and absent.json() == {"ready": False}
    assert tiny_client.get("/v2/models/nope/ready").status_code == 404


@pytest.mark.parametrize("shape", [[2, 28, 28, 1], [2, 28, 28], [2, 784]])
def test_infer_accepts_the_mnist_layouts(tiny_client, shape):
    r = infer_json(tiny_client, "digits", ZEROS, shape=shape, id="req-7")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model_name"] == "digits" and body["id"] == "req-7"
    (out,) = body["outputs"]
    assert out["name"] == "probabilities" and out["shape"] == [2, 10] and out["datatype"] == "FP32"
    assert np.asarray(out["data"]).reshape(2, 10).sum(axis=1) == pytest.approx([1, 1], abs=1e-4)


def test_infer_matches_the_rest_endpoint(tiny_client):
    x = np.random.default_rng(0).random((1, 28, 28), dtype=np.float32)
    v2 = np.asarray(infer_json(tiny_client, "digits", x).json()["outputs"][0]["data"])
    rest = np.asarray(tiny_client.post("/api/digits", json={"pixels": x[0].tolist()}).json()["probabilities"])
    np.testing.assert_allclose(v2, rest, atol=1e-5)


def test_nested_data_reads_as_the_flat_list(tiny_client):
    x = np.random.default_rng(3).random((1, 28, 28, 1), dtype=np.float32)
    flat = infer_json(tiny_client, "digits", x).json()["outputs"][0]["data"]
    body = {"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 28, 28, 1], "data": x.tolist()}]}
    nested = tiny_client.post("/v2/models/digits/infer", json=body).json()["outputs"][0]["data"]
    np.testing.assert_allclose(nested, flat, atol=1e-6)


def test_a_body_without_content_type_is_json(tiny_client):
    body = {"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 784], "data": [0.0] * 784}]}
    r = tiny_client.post("/v2/models/digits/infer", content=json.dumps(body).encode(), headers={"content-type": ""})
    assert r.status_code == 200


def test_a_thousand_images_in_one_request(tiny_client):
    x = np.random.default_rng(1).random((1000, 784), dtype=np.float32)
    r = infer_json(tiny_client, "digits", x)
    assert r.status_code == 200
    assert r.json()["outputs"][0]["shape"] == [1000, 10]


def test_binary_tensor_extension_both_ways(tiny_client):
    x = np.random.default_rng(2).random((3, 28, 28, 1), dtype=np.float32)
    header = json.dumps(
        {
            "inputs": [
                {"name": "image", "datatype": "FP32", "shape": [3, 28, 28, 1], "parameters": {"binary_data_size": x.nbytes}}
            ],
            "parameters": {"binary_data_output": True},
        }
    ).encode()
    r = tiny_client.post(
        "/v2/models/digits/infer",
        content=header + x.tobytes(),
        headers={"Inference-Header-Content-Length": str(len(header)), "content-type": "application/octet-stream"},
    )
    assert r.status_code == 200
    n = int(r.headers["Inference-Header-Content-Length"])
    meta = json.loads(r.content[:n])
    assert meta["outputs"][0]["parameters"]["binary_data_size"] == 3 * 10 * 4
    probabilities = np.frombuffer(r.content[n:], "<f4").reshape(3, 10)
    assert probabilities.sum(axis=1) == pytest.approx([1, 1, 1], abs=1e-4)


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({}, 400, "inputs"),
        ({"inputs": []}, 400, "inputs"),
        ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 784], "data": [0.0] * 10}]}, 400, "needs 784"),
        ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 10], "data": [0.0] * 10}]}, 400, "784 values"),
        ({"inputs": [{"name": "pixels", "datatype": "FP32", "shape": [1, 784], "data": [0.0] * 784}]}, 400, "'image'"),
        ({"inputs": [{"name": "image", "datatype": "INT32", "shape": [1, 784], "data": [0] * 784}]}, 400, "FP32"),
        ({"inputs": [{"name": "image", "datatype": "FLOAT", "shape": [1, 784], "data": [0] * 784}]}, 400, "datatype"),
        ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, -784], "data": [0] * 784}]}, 400, "shape"),
        ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 784], "data": ["x"] * 784}]}, 400, "numbers"),
        ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 784], "data": [None] * 784}]}, 400, "finite"),
        ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [2, 2], "data": [[0.0], [0.0, 1.0]]}]}, 400, "numbers"),
        ({"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 784]}]}, 400, "no data"),
        (
            {
                "inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 784], "data": [0.0] * 784}],
                "outputs": [{"name": "logits"}],
            },
            400,
            "no output",
        ),
        ({"inputs": ["image"]}, 400, "object"),
    ],
)
def test_bad_infer_requests(tiny_client, body, status, says):
    r = tiny_client.post("/v2/models/digits/infer", json=body)
    assert r.status_code == status, r.text
    assert says in r.json()["error"]


def test_infer_errors_for_models_and_encodings(tiny_client):
    assert tiny_client.post("/v2/models/nope/infer", json={}).status_code == 404
    assert tiny_client.post("/v2/models/digits_mlp/infer", json={}).status_code == 503
    r = tiny_client.post("/v2/models/digits/infer", content=b"{bad", headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = tiny_client.post("/v2/models/digits/infer", content=b"x", headers={"content-encoding": "gzip"})
    assert r.status_code == 415
    r = tiny_client.post("/v2/models/digits/infer", content=b"{}", headers={"Inference-Header-Content-Length": "99"})
    assert r.status_code == 400
    deep = b'{"inputs": ' + b"[" * 5000 + b"]" * 5000 + b"}"  # nesting deeper than any parser's stack
    r = tiny_client.post("/v2/models/digits/infer", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]
    assert tiny_client.get("/v2/health/ready").status_code == 200  # the connection and server carry on
    nan = {"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 784], "data": [float("nan")] * 784}]}
    r = tiny_client.post(
        "/v2/models/digits/infer", content=json.dumps(nan).encode(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 400


# ----------------------------------------------------------------------------------
# tritonclient, unchanged, against a real server
# ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def triton(live_server):
    httpclient = import_or_skip("tritonclient.http")
    client = httpclient.InferenceServerClient(url=live_server.removeprefix("http://"))
    yield client, httpclient
    client.close()


def test_tritonclient_health_and_metadata(triton):
    client, _ = triton
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready("digits")
    meta = client.get_model_metadata("digits")
    assert meta["inputs"][0]["shape"] == [-1, 28, 28, 1]


@pytest.mark.parametrize("binary", [True, False])
def test_tritonclient_infer(triton, mnist_test, binary):
    client, httpclient = triton
    x_test, y_test = mnist_test
    x = (x_test[:64] / 255.0).astype(np.float32).reshape(64, 28, 28, 1)
    tensor = httpclient.InferInput("image", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x, binary_data=binary)
    outputs = [httpclient.InferRequestedOutput("probabilities", binary_data=binary)]
    result = client.infer("digits", [tensor], outputs=outputs, request_id="t1")
    probabilities = result.as_numpy("probabilities")
    assert probabilities.shape == (64, 10)
    assert (probabilities.argmax(axis=1) == y_test[:64]).mean() >= 0.98
    assert result.get_response()["id"] == "t1"


def test_tritonclient_default_outputs_and_errors(triton):
    client, httpclient = triton
    tensor = httpclient.InferInput("image", [1, 784], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 784), np.float32))
    assert client.infer("digits_mlp", [tensor]).as_numpy("probabilities").shape == (1, 10)
    wrong = httpclient.InferInput("image", [1, 10], "FP32")
    wrong.set_data_from_numpy(np.zeros((1, 10), np.float32))
    from tritonclient.utils import InferenceServerException

    with pytest.raises(InferenceServerException, match="784 values"):
        client.infer("digits", [wrong])


def test_versions(tiny_client):
    body = {"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 784], "data": [0.0] * 784}]}
    assert tiny_client.post("/v2/models/digits/versions/1/infer", json=body).status_code == 200
    assert tiny_client.get("/v2/models/digits/versions/1").json()["versions"] == ["1"]
    assert tiny_client.get("/v2/models/digits/versions/1/ready").status_code == 200
    r = tiny_client.post("/v2/models/digits/versions/7/infer", json=body)
    assert r.status_code == 404 and "version" in r.json()["error"]


def _vqa_body(n=1, ids=None, question_type="INT32"):
    ids = np.full((n, 24), 0) if ids is None else np.asarray(ids)
    ids[:, :3] = ids[:, :3] if ids[:, :3].any() else [2, 3, 4]
    return {
        "inputs": [
            {"name": "image", "datatype": "FP32", "shape": [n, 64, 64, 3], "data": np.full((n, 64, 64, 3), 0.9).ravel().tolist()},
            {"name": "question", "datatype": question_type, "shape": [n, 24], "data": ids.ravel().tolist()},
        ]
    }


def test_vqa_takes_an_image_and_token_ids(tiny_client):
    meta = tiny_client.get("/v2/models/vqa").json()
    assert meta["inputs"] == [
        {"name": "image", "datatype": "FP32", "shape": [-1, 64, 64, 3]},
        {"name": "question", "datatype": "INT32", "shape": [-1, 24]},
    ]
    r = tiny_client.post("/v2/models/vqa/infer", json=_vqa_body(n=2))
    assert r.status_code == 200, r.text
    out = r.json()["outputs"][0]
    assert out["name"] == "answers" and out["shape"] == [2, 23]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda b: b["inputs"][1]["data"].__setitem__(0, 10_000), "token ids"),
        (lambda b: b["inputs"][1]["data"].__setitem__(0, -1), "token ids"),
        (lambda b: b["inputs"][1].update(datatype="FP32"), "INT32"),
        (lambda b: b["inputs"].pop(), "inputs"),
        (lambda b: b["inputs"][1].update(shape=[2, 24], data=[2] * 48), "same batch size"),
    ],
)
def test_vqa_bad_tensors_are_400(tiny_client, change, words):
    body = _vqa_body()
    change(body)
    r = tiny_client.post("/v2/models/vqa/infer", json=body)
    assert r.status_code == 400 and words in r.json()["error"], r.text
