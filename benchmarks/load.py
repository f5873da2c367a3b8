"""Load and overload: many clients on every endpoint at once, then more than it can take.

1. Mixed load: `--clients` keep-alive clients (64) for `--duration` seconds (60), each
   sending a random mix of the page's requests (VQA questions about a sample scene and
   about a sample photo, digits as pixels and as an image, the autoencoder, V2 infer, health and model
   listings): requests by status, failed requests (no answer, a dropped connection, a
   5xx), latency, and the server's resident memory sampled through the run (growth after
   the first tenth, the warm-up).
2. Overload: a server with a short queue (`VQADEMO_MAX_QUEUE_DEPTH=4`) under the same
   clients on `/api/vqa` only: how many answers are 503 with `Retry-After` (shed load)
   against timeouts, and whether every request answers once the load stops.

    python -m benchmarks.load                 # about 90 seconds
    python -m benchmarks.load --duration 20 --clients 48
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections import Counter

import httpx

from app.config import ROOT
from benchmarks.serve import rss_mb, server

SCENE = (ROOT / "static" / "samples" / "scene_00.png").read_bytes()
PHOTO = (ROOT / "static" / "photos" / "coffee.jpg").read_bytes()
PHOTO_QUESTIONS = ("What is this?", "Is there a cup?", "How many people are there?", "What does the sign say?")
QUESTIONS = ("How many circles are there?", "what colour is the big ball", "Is the small square brown?", "Why is it red?")
PIXELS = json.dumps({"pixels": [[1.0 if 12 <= c <= 15 and 4 <= r <= 23 else 0.0 for c in range(28)] for r in range(28)]})
V2 = json.dumps({"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 784], "data": [0.0] * 784}]})


def request_mix(rng: random.Random) -> tuple[str, str, dict]:
    """(method, path, httpx keyword arguments) of one request, drawn like the page's traffic."""
    kinds, weights = ["vqa", "photo", "digits", "digits_image", "autoencoder", "v2", "health", "models"], [4, 1, 3, 1, 1, 1, 1, 1]
    kind = rng.choices(kinds, weights)[0]
    if kind == "photo":
        question = rng.choice(PHOTO_QUESTIONS)
        return "POST", "/api/vqa", {"files": {"image": ("p.jpg", PHOTO, "image/jpeg")}, "data": {"question": question}}
    if kind == "vqa":
        return (
            "POST",
            "/api/vqa",
            {"files": {"image": ("s.png", SCENE, "image/png")}, "data": {"question": rng.choice(QUESTIONS)}},
        )
    if kind == "digits":
        return "POST", "/api/digits", {"content": PIXELS, "headers": {"content-type": "application/json"}}
    if kind == "digits_image":
        return "POST", "/api/digits", {"files": {"image": ("d.png", SCENE, "image/png")}}
    if kind == "autoencoder":
        return "POST", "/api/autoencoder", {"content": PIXELS, "headers": {"content-type": "application/json"}}
    if kind == "v2":
        return "POST", "/v2/models/digits/infer", {"content": V2}
    return "GET", {"health": "/readyz", "models": "/api/models"}[kind], {}


async def client_loop(url: str, deadline: float, seed: int, results: list, only_vqa: bool = False) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while time.perf_counter() < deadline:
            method, path, kwargs = (
                ("POST", "/api/vqa", {"files": {"image": ("s.png", SCENE, "image/png")}, "data": {"question": QUESTIONS[0]}})
                if only_vqa
                else request_mix(rng)
            )
            start = time.perf_counter()
            try:
                r = await client.request(method, path, **kwargs)
                results.append((path, r.status_code, time.perf_counter() - start, "retry-after" in r.headers))
            except httpx.HTTPError as exc:
                results.append((path, type(exc).__name__, time.perf_counter() - start, False))


async def run_clients(url: str, clients: int, seconds: float, only_vqa: bool = False) -> list:
    results: list = []
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(client_loop(url, deadline, i, results, only_vqa) for i in range(clients)))
    return results


async def sample_memory(pid: int, seconds: float, every: float = 2.0) -> list[float]:
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        samples.append(rss_mb(pid))
        await asyncio.sleep(every)
    return samples


def mixed_load(clients: int, seconds: int) -> dict:
    with server("app.main:app", {}) as (url, _, pid):

        async def both():
            return await asyncio.gather(run_clients(url, clients, seconds), sample_memory(pid, seconds))

        results, memory = asyncio.run(both())
    statuses = Counter(status for _, status, _, _ in results)
    failed = sum(n for status, n in statuses.items() if not isinstance(status, int) or status >= 500)
    latencies = sorted(t for _, status, t, _ in results if isinstance(status, int))
    warm = memory[max(1, len(memory) // 10) :] or memory
    return {
        "requests": len(results),
        "per_second": len(results) / seconds,
        "statuses": dict(statuses),
        "failed": failed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "rss_start_mb": warm[0],
        "rss_end_mb": warm[-1],
        "rss_growth": warm[-1] / warm[0] - 1,
        "rss_quarters_mb": [warm[min(len(warm) - 1, len(warm) * q // 4)] for q in (1, 2, 3, 4)],
    }


def overload(clients: int, seconds: int) -> dict:
    with server("app.main:app", {"VQADEMO_MAX_QUEUE_DEPTH": "4"}) as (url, _, _):
        results = asyncio.run(run_clients(url, clients, seconds, only_vqa=True))
        after = [
            httpx.post(
                url + "/api/vqa", files={"image": ("s.png", SCENE, "image/png")}, data={"question": QUESTIONS[0]}
            ).status_code
            for _ in range(20)
        ]
    statuses = Counter(status for _, status, _, _ in results)
    shed = [r for r in results if r[1] == 503]
    return {
        "requests": len(results),
        "statuses": dict(statuses),
        "shed_with_retry_after": sum(r[3] for r in shed),
        "shed": len(shed),
        "timeouts_or_errors": sum(n for status, n in statuses.items() if not isinstance(status, int)),
        "after_the_load": Counter(after),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--overload-seconds", type=int, default=15)
    args = parser.parse_args()

    load = mixed_load(args.clients, args.duration)
    print(f"mixed load: {args.clients} keep-alive clients for {args.duration} s")
    print(f"  requests {load['requests']:,} ({load['per_second']:,.0f}/s), by status {load['statuses']}")
    print(f"  failed (no answer, dropped connection or 5xx): {load['failed']}   (goal 0)")
    print(f"  latency p50 {load['p50_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms")
    print(
        f"  resident memory after warm-up {load['rss_start_mb']:.0f} -> {load['rss_end_mb']:.0f} MB "
        f"({100 * load['rss_growth']:+.1f} %, goal under +10 %); at each quarter of the run "
        + " / ".join(f"{mb:.0f}" for mb in load["rss_quarters_mb"])
        + " MB"
    )
    shed = overload(args.clients, args.overload_seconds)
    print(f"\noverload: {args.clients} clients on /api/vqa for {args.overload_seconds} s, queue depth 4")
    print(f"  requests {shed['requests']:,}, by status {shed['statuses']}")
    print(
        f"  503s with Retry-After {shed['shed_with_retry_after']} of {shed['shed']}; timeouts or errors {shed['timeouts_or_errors']}"
    )
    print(f"  20 requests once the load stopped: {dict(shed['after_the_load'])}")


if __name__ == "__main__":
    main()
