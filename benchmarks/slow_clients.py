"""Slow and heavy clients: does everyone else still get served?

1. `--idle` connections (100) that send half a request line and headers and never
   finish, and `--stalled` (20) that promise a 1 MB body and send a few bytes: while they
   hang open, ordinary requests (`/api/models`, and a VQA question) are timed one after
   another.
2. `--uploads` (12) concurrent uploads of a 16-megapixel PNG to `/api/vqa`: the
   server's peak resident memory while they are answered, sampled every 20 ms.

    python -m benchmarks.slow_clients
"""

from __future__ import annotations

import argparse
import io
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
from PIL import Image

from app.config import ROOT
from benchmarks.serve import rss_mb, server

SCENE = (ROOT / "static" / "samples" / "scene_00.png").read_bytes()


def hanging_connections(port: int, idle: int, stalled: int) -> list[socket.socket]:
    """Sockets left open mid-request: headers never finished, or a body that stalls."""
    sockets = []
    for i in range(idle + stalled):
        s = socket.create_connection(("127.0.0.1", port))
        if i < idle:
            s.sendall(b"POST /api/vqa HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data")
        else:
            s.sendall(
                b"POST /api/vqa HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000000\r\n\r\n{"image_b64": "'
            )
        sockets.append(s)
    return sockets


def ordinary_latencies(url: str, n: int) -> dict[str, tuple[float, float]]:
    out = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for label, call in (
            ("GET /api/models", lambda: client.get("/api/models")),
            (
                "POST /api/vqa",
                lambda: client.post(
                    "/api/vqa", files={"image": ("s.png", SCENE, "image/png")}, data={"question": "How many circles are there?"}
                ),
            ),
        ):
            times = []
            for _ in range(n):
                start = time.perf_counter()
                assert call().status_code == 200
                times.append(1000 * (time.perf_counter() - start))
            times.sort()
            out[label] = (statistics.median(times), times[int(0.99 * (len(times) - 1))])
    return out


def big_png(side: int = 4000) -> bytes:
    """16 megapixels that compress well: a gradient, so the upload is small and the decode is not."""
    ramp = np.linspace(0, 255, side, dtype=np.uint8)
    pixels = np.stack([np.tile(ramp, (side, 1)), np.tile(ramp[:, None], (1, side)), np.full((side, side), 200, np.uint8)], -1)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def peak_memory_during(pid: int, work) -> tuple[float, float, object]:
    samples, done = [rss_mb(pid)], threading.Event()

    def sample():
        while not done.is_set():
            samples.append(rss_mb(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = work()
    finally:
        done.set()
        sampler.join()
    return samples[0], max(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=int, default=100)
    parser.add_argument("--stalled", type=int, default=20)
    parser.add_argument("--uploads", type=int, default=12)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()

    with server("app.main:app", {}) as (url, _, pid):
        port = int(url.rsplit(":", 1)[1])
        quiet = ordinary_latencies(url, args.requests)
        sockets = hanging_connections(port, args.idle, args.stalled)
        time.sleep(1)
        busy = ordinary_latencies(url, args.requests)
        for s in sockets:
            s.close()

        png = big_png()

        def post(_: int) -> int:
            files = {"image": ("big.png", png, "image/png")}
            return httpx.post(
                url + "/api/vqa", files=files, data={"question": "How many circles are there?"}, timeout=120
            ).status_code

        def uploads() -> list[int]:
            return list(ThreadPoolExecutor(args.uploads).map(post, range(args.uploads)))

        before, peak, statuses = peak_memory_during(pid, uploads)

    print(f"{args.idle} connections with unfinished headers and {args.stalled} with a stalled body, held open:")
    print(f"{'request':<18}{'quiet p50':>12}{'quiet p99':>12}{'held p50':>12}{'held p99':>12}")
    for label in quiet:
        (q50, q99), (b50, b99) = quiet[label], busy[label]
        print(f"{label:<18}{q50:>10.1f}ms{q99:>10.1f}ms{b50:>10.1f}ms{b99:>10.1f}ms")
    print(f"\n{args.uploads} concurrent uploads of a 4000 x 4000 PNG ({len(png) / 1e6:.1f} MB): statuses {sorted(statuses)}")
    print(f"  server resident memory {before:.0f} MB before, peak {peak:.0f} MB (goal under 3,000 MB)")


if __name__ == "__main__":
    main()
