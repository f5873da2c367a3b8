"""Shared fixtures: settings, model folders built with the real builders, clients.

Every `TestClient` is entered as a context manager, so the lifespan (model loading
and warm-up) runs exactly as it does under uvicorn.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
import uvicorn
from fastapi.testclient import TestClient
from PIL import Image

from app.config import ROOT, Settings
from app.main import create_app
from app.tasks import digits as task
from app.worlds.shapes import models as vqa_models
from app.worlds.shapes import parser as scene_parser
from training.datasets.shapes.language import ANSWERS, vocabulary

COMMITTED_MODELS = ROOT / "models"


def import_or_skip(name: str):
    """`pytest.importorskip`, except where CI sets VQADEMO_REQUIRE_IMPORTS=1: there a
    broken optional install (Ray, tritonclient) fails the test instead of hiding it."""
    if os.environ.get("VQADEMO_REQUIRE_IMPORTS") == "1":
        return importlib.import_module(name)
    return pytest.importorskip(name)


def make_settings(models_dir: Path, **overrides) -> Settings:
    return Settings(**({"models_dir": models_dir, "warmup_batch_sizes": "1"} | overrides))


def png_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory) -> Path:
    """Untrained models from the real builders: fast to load, real files and layers."""
    root = tmp_path_factory.mktemp("models")
    for name, model in {
        "digits": task.build_cnn(),
        "digits_mlp_nodropout": task.build_mlp(dropout=False, hidden=32, depth=1),
    }.items():
        (root / name).mkdir()
        model.save(root / name / "model.keras")
        (root / name / "card.json").write_text(f'{{"name": "{name}", "task": "digits"}}')
    words = ["<pad>", "<unk>", *vocabulary()]
    (root / "vqa").mkdir()
    vqa_models.build_vqa(len(words), width=16, blocks=1).save(root / "vqa" / "model.keras")
    (root / "vqa" / "card.json").write_text('{"name": "vqa", "task": "vqa"}')
    (root / "vqa" / "vocab.json").write_text(json.dumps(words))
    (root / "vqa" / "answers.json").write_text(json.dumps(list(ANSWERS)))
    (root / "scene_ood").mkdir()
    vqa_models.build_scene_autoencoder().save(root / "scene_ood" / "model.keras")
    (root / "scene_ood" / "card.json").write_text('{"name": "scene_ood", "task": "scene_ood", "ood_threshold": 0.01}')
    (root / "scene_parser").mkdir()
    scene_parser.build_scene_parser(width=16).save(root / "scene_parser" / "model.keras")
    (root / "scene_parser" / "card.json").write_text('{"name": "scene_parser", "task": "scene_parser"}')
    return root


@pytest.fixture(scope="session")
def committed_client():
    """The app as `make run` serves it: the committed models."""
    with TestClient(create_app(make_settings(COMMITTED_MODELS, warmup_batch_sizes="1,8"))) as client:
        yield client


@pytest.fixture
def tiny_client(tiny_models_dir):
    with TestClient(create_app(make_settings(tiny_models_dir))) as client:
        yield client


@pytest.fixture(scope="session")
def mnist_test():
    """MNIST's test set (uint8), loaded offline the way the training script loads it."""
    from training.datasets.mnist import load_mnist

    _, (x_test, y_test) = load_mnist()
    return x_test, y_test


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app):
    """The app behind a real uvicorn on a free port, in a thread; yields its URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="session")
def live_server():
    """The committed models behind a real uvicorn on a free port, in a thread."""
    with serving(create_app(make_settings(COMMITTED_MODELS))) as url:
        yield url


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory):
    """MNIST-shaped noise with a bright bar per class: learnable, tiny, offline."""
    rng = np.random.default_rng(0)

    def make(n):
        y = rng.integers(0, 10, n).astype(np.uint8)
        x = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(y):
            x[i, 4:24, 2 + 2 * label : 4 + 2 * label] = 255
        return x, y

    from training.datasets import mnist

    path = tmp_path_factory.mktemp("data") / "mnist.npz"
    mnist.write_npz(path, (make(600), make(200)))
    return path
