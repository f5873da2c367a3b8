"""Accuracy of the served digit models through the real API, and what a call costs.

For each digits model: accuracy on MNIST's test set sent as JSON pixels (the model
alone), and on the same digits redrawn as a person would on the page (dark ink on a
280 x 280 white canvas, 50-90 % of its side, off-centre) and uploaded as PNG through
`POST /api/digits` (the model plus the serving preprocessing). Then the latency of
one call, plain and with Monte-Carlo dropout, against `/healthz` in the same run.

    python -m benchmarks.digits_accuracy             # 10,000 digits per row
    python -m benchmarks.digits_accuracy --n 1000    # quicker
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from fastapi.testclient import TestClient

from app.config import ROOT, Settings
from app.main import create_app
from training.datasets.mnist import drawn_like, load_mnist


def png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def p50_ms(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="test digits per row")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    _, (x_test, y_test) = load_mnist()
    rng = np.random.default_rng(args.seed)
    idx = rng.choice(len(x_test), size=min(args.n, len(x_test)), replace=False)
    uploads = [png(drawn_like(x_test[i], rng)) for i in idx]

    settings = Settings(models_dir=ROOT / "models")
    with TestClient(create_app(settings)) as client:
        print(f"{'model':<22} {'MNIST test (pixels)':>20} {'drawn-like upload':>18}   n={len(idx)}")
        for name in ("digits", "digits_mlp", "digits_mlp_nodropout"):
            pixels_ok = upload_ok = 0
            for i, data in zip(idx, uploads, strict=False):
                r = client.post("/api/digits", json={"pixels": (x_test[i] / 255).tolist(), "model": name})
                pixels_ok += r.json()["digit"] == y_test[i]
                r = client.post("/api/digits", params={"model": name}, files={"image": ("d.png", data, "image/png")})
                upload_ok += r.json()["digit"] == y_test[i]
            print(f"{name:<22} {100 * pixels_ok / len(idx):>19.2f}% {100 * upload_ok / len(idx):>17.2f}%")

        sample = uploads[0]
        rows = {
            "GET /healthz": lambda: client.get("/healthz"),
            "POST /api/digits (PNG)": lambda: client.post("/api/digits", files={"image": ("d.png", sample, "image/png")}),
            "POST /api/digits (PNG, mc_samples=30)": lambda: client.post(
                "/api/digits", files={"image": ("d.png", sample, "image/png")}, data={"mc_samples": "30"}
            ),
        }
        for call in rows.values():  # warm up
            call()
        base = None
        print(f"\n{'in-process call (TestClient)':<40} {'p50 ms':>8} {'vs healthz':>11}")
        for label, call in rows.items():
            ms = p50_ms(call, 200)
            base = base or ms
            print(f"{label:<40} {ms:>8.2f} {ms / base:>10.1f}x")


if __name__ == "__main__":
    main()
