"""One greedy client against eight ordinary ones: does the fair share keep the server theirs?

Each client has its own address (127.0.0.x: every loopback address reaches the server,
and the server tells clients apart by address). Eight ordinary clients send the page's
mix of requests at a human pace (one every 0.5-1.5 s each); the greedy client, in a
process of its own, sends VQA questions as fast as 64 connections allow. Three runs of
`--duration` seconds, each against a fresh server:

1. ordinary clients alone, with the public settings (`VQADEMO_RATE_PER_S=5`,
   `VQADEMO_RATE_BURST=20`): their p50 and p99, the baseline;
2. the same plus the greedy client: the ordinary clients' p99 and failures, the greedy
   client's statuses (429s, never 5xx) and the server's resident memory per quarter;
3. the same without a limit: what the ordinary clients get when nobody is limited.

    python -m benchmarks.fair_share                   # 3 x 60 s
    python -m benchmarks.fair_share --duration 300    # the trend over a longer run
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import statistics
import time
from collections import Counter

import httpx

from benchmarks.load import QUESTIONS, SCENE, request_mix, sample_memory
from benchmarks.serve import server

PUBLIC = {"VQADEMO_RATE_PER_S": "5", "VQADEMO_RATE_BURST": "20"}
GREEDY_ADDRESS = "127.0.0.2"


async def ordinary_client(url: str, address: str, deadline: float, seed: int, results: list) -> None:
    rng = random.Random(seed)
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=url, timeout=30, transport=transport) as client:
        while time.perf_counter() < deadline:
            method, path, kwargs = request_mix(rng)
            start = time.perf_counter()
            try:
                r = await client.request(method, path, **kwargs)
                results.append((r.status_code, time.perf_counter() - start))
            except httpx.HTTPError as exc:
                results.append((type(exc).__name__, time.perf_counter() - start))
            await asyncio.sleep(rng.uniform(0.5, 1.5))


async def greedy_connections(url: str, deadline: float, connections: int) -> Counter:
    statuses: Counter = Counter()
    transport = httpx.AsyncHTTPTransport(local_address=GREEDY_ADDRESS, limits=httpx.Limits(max_connections=connections))
    async with httpx.AsyncClient(base_url=url, timeout=30, transport=transport) as client:

        async def one() -> None:
            files = {"image": ("s.png", SCENE, "image/png")}
            while time.perf_counter() < deadline:
                try:
                    r = await client.post("/api/vqa", files=files, data={"question": QUESTIONS[0]})
                    statuses[r.status_code] += 1
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1

        await asyncio.gather(*(one() for _ in range(connections)))
    return statuses


def greedy_process(url: str, seconds: float, connections: int, out) -> None:
    out.put(dict(asyncio.run(greedy_connections(url, time.perf_counter() + seconds, connections))))


def run(env: dict[str, str], seconds: int, ordinary: int, greedy: bool) -> dict:
    with server("app.main:app", env) as (url, _, pid):
        spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no server state copied in
        queue = spawn.Queue()
        process = spawn.Process(target=greedy_process, args=(url, seconds, 64, queue))
        if greedy:
            process.start()

        async def all_clients():
            results: list = []
            deadline = time.perf_counter() + seconds
            clients = [ordinary_client(url, f"127.0.0.{10 + i}", deadline, i, results) for i in range(ordinary)]
            memory = await asyncio.gather(*clients, sample_memory(pid, seconds))
            return results, memory[-1]

        results, memory = asyncio.run(all_clients())
        greedy_statuses = queue.get(timeout=60) if greedy else {}
        if greedy:
            process.join(timeout=30)
    latencies = sorted(t for status, t in results if isinstance(status, int) and status < 500)
    failed = sum(1 for status, _ in results if not isinstance(status, int) or status >= 500 or status == 429)
    quarters = [memory[min(len(memory) - 1, len(memory) * q // 4)] for q in (1, 2, 3, 4)] if memory else []
    return {
        "requests": len(results),
        "failed": failed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "greedy": greedy_statuses,
        "rss_quarters_mb": quarters,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--ordinary", type=int, default=8)
    args = parser.parse_args()
    runs = {
        "ordinary clients alone, limited": run(PUBLIC, args.duration, args.ordinary, greedy=False),
        "with the greedy client, limited": run(PUBLIC, args.duration, args.ordinary, greedy=True),
        "with the greedy client, no limit": run({}, args.duration, args.ordinary, greedy=True),
    }
    base = runs["ordinary clients alone, limited"]["p99_ms"]
    print(f"{args.ordinary} ordinary clients (one request every 0.5-1.5 s each) for {args.duration} s per run")
    print(f"{'run':34} {'requests':>8} {'failed':>6} {'p50 ms':>8} {'p99 ms':>8} {'p99 / alone':>11}  greedy client's statuses")
    for name, r in runs.items():
        greedy = r["greedy"]
        total = sum(greedy.values())
        share = f"{dict(greedy)} ({100 * greedy.get(429, 0) / total:.1f} % 429)" if total else "-"
        print(
            f"{name:34} {r['requests']:8d} {r['failed']:6d} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {r['p99_ms'] / base:11.2f}  {share}"
        )
    quarters = runs["with the greedy client, limited"]["rss_quarters_mb"]
    print("resident memory per quarter, greedy run, limited: " + " / ".join(f"{mb:.0f}" for mb in quarters) + " MB")


if __name__ == "__main__":
    main()
