"""The peer benchmark's pieces that can be checked without the peers: the request bodies
it sends (our own V2 parser reads the JSON and binary ones as the same tensors), the
server programs it writes for each peer (valid Python, the model and its tensors named),
and the wrk script with the binary extension's header."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from benchmarks import peers
from benchmarks.serve import wrk
from tests.conftest import make_settings


@pytest.mark.parametrize("model", [peers.DIGITS, peers.VQA], ids=lambda m: m.name)
def test_json_and_binary_bodies_carry_the_same_tensors(model):
    from app.v2_protocol import parse_infer_request

    inputs = peers.sample_inputs(model)
    from_json = parse_infer_request(peers.v2_json(model, inputs), {}, max_elements=10**6)
    body, headers = peers.v2_binary(model, inputs)
    from_binary = parse_infer_request(body, {k.lower(): v for k, v in headers.items()}, max_elements=10**6)
    for name, _, _ in model.inputs:
        assert np.array_equal(from_json.inputs[name], from_binary.inputs[name])
        assert from_json.inputs[name].shape == inputs[name].shape
    assert from_binary.outputs == [{"name": model.output, "parameters": {"binary_data": True}}]


def test_our_server_answers_both_bodies_alike(tiny_models_dir):
    inputs = peers.sample_inputs(peers.DIGITS)
    body, headers = peers.v2_binary(peers.DIGITS, inputs)
    with TestClient(peers_app(tiny_models_dir)) as client:
        as_json = client.post("/v2/models/digits/infer", content=peers.v2_json(peers.DIGITS, inputs))
        as_binary = client.post("/v2/models/digits/infer", content=body, headers=headers)
    assert as_json.status_code == as_binary.status_code == 200
    expected = peers.answer_of(as_json.json(), peers.DIGITS)
    length = int(as_binary.headers["inference-header-content-length"])
    assert int(np.argmax(np.frombuffer(as_binary.content[length:], "<f4"))) == expected


def peers_app(models_dir):
    from app.main import create_app

    return create_app(make_settings(models_dir, models="digits"))


@pytest.mark.parametrize("model", [peers.DIGITS, peers.VQA], ids=lambda m: m.name)
def test_each_peer_folder_holds_its_program_and_what_to_serve(model, tmp_path):
    for peer, program in peers.PROGRAMS.items():
        folder = tmp_path / peer
        folder.mkdir()
        command = peers.peer_folder(peer, model, 8001, folder)
        assert (folder / program).read_text() == (peers.HERE / program).read_text()
        assert (folder / "forward.py").is_file()
        spec = json.loads((folder / "peer.json").read_text())
        assert spec["path"] == model.path and spec["output"] == model.output and spec["port"] == 8001
        assert [n for n, _, _ in spec["inputs"]] == [n for n, _, _ in model.inputs]
        started = " ".join(command) if peer != "mlserver" else (folder / "model-settings.json").read_text()
        assert program.removesuffix(".py") in started
    assert (tmp_path / "mlserver" / "model-settings.json").read_text().count(model.name) == 1


def test_wrk_sends_the_extra_headers(tmp_path, monkeypatch):
    sent = {}

    def fake_run(args, **_):
        sent["script"] = (tmp_path / args[args.index("-s") + 1].split("/")[-1]).read_text()
        raise SystemExit  # stop before wrk itself would run

    monkeypatch.setattr("benchmarks.serve.subprocess.run", fake_run)
    with pytest.raises(SystemExit):
        wrk("http://x/", b"{}", 1, 1, tmp_path, "application/octet-stream", {"Inference-Header-Content-Length": "2"})
    assert 'wrk.headers["Inference-Header-Content-Length"] = "2"' in sent["script"]
    assert 'wrk.headers["Content-Type"] = "application/octet-stream"' in sent["script"]


@pytest.mark.parametrize("model", [peers.DIGITS, peers.VQA], ids=lambda m: m.name)
def test_the_specs_match_the_committed_models(model):
    """Names and shapes as the app's V2 metadata gives them, so every peer is asked alike."""
    import keras

    from app.worlds.shapes import models as vqa_models  # noqa: F401  (registers the VQA layers)

    net = keras.saving.load_model(model.path, compile=False)
    assert [(t.name, tuple(t.shape[1:])) for t in net.inputs] == [(n, s) for n, s, _ in model.inputs]
    assert net.layers[-1].name == model.output


def test_each_of_our_setups_is_paired_with_every_other_server(capsys):
    assert (peers.our_workers("ours"), peers.our_workers("ours x2")) == (1, 2)
    row = {("json", 32): {"rps": 100.0, "p50": 1.0, "p99": 2.0, "failures": 0}}
    faster = {("json", 32): {**row[("json", 32)], "rps": 150.0}}
    peers.summarize({"ours": [row], "ours x2": [faster], "pytriton": [row]}, (32,))
    out = capsys.readouterr().out
    assert "ours x2 / peer" in out and "vs ours      json c=32    1.50" in out
    assert "vs ours x2   json c=32    0.67" in out and "vs pytriton  json c=32    1.00" in out
