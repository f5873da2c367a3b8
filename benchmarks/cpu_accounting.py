"""Where the CPU goes per request: the server's threads under wrk, route by route.

`benchmarks/serve.py` says how fast; this says why. It starts the server, drives each
route with wrk at one concurrency, and reads every thread's CPU time from /proc before
and after, plus the whole machine's busy time, then prints microseconds of CPU per
request for the event loop (the main thread), the model and TensorFlow threads, and
everything outside the server (wrk, the kernel's loopback). Linux only.

Rows: /healthz (the HTTP ceiling); digits; digits with its forward pass replaced by a
constant (`benchmarks/constant_model_app.py`: the path around the model, the most any
faster model could reach); vqa with batching on and off.

Three more columns say which stage bounds the rate: "loop busy", the event loop's CPU
as a share of one core (1.00: the loop is the bottleneck); and, from the server's own
/metrics, the mean rows per model call and "model busy", the share of the wall time the
model thread spent in model calls (waiting for the GIL to hand back the result
included; near 1.00, the model stage is the bottleneck).

    python -m benchmarks.cpu_accounting              # c=32, 5 s per route
    python -m benchmarks.cpu_accounting --concurrency 64 --seconds 10
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.serve import BATCHING_OFF, digits_body, model_calls, sequential_latency, server, vqa_body, wrk

TICKS = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """{thread id: (name, CPU seconds)} of one process."""
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        threads[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / TICKS)  # utime + stime
    return threads


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot."""
    values = list(map(int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]))
    return (sum(values) - values[3] - values[4]) / TICKS  # all but idle and iowait


def account(pid: int, run, url: str, model: str | None = None) -> dict:
    """Run `run()` (wrk, returning its result), split the CPU it cost by thread group,
    and say how busy the event loop and `model`'s thread were."""

    def calls_so_far() -> tuple[float, float, float]:
        return model_calls(httpx.get(url + "/metrics").text, model) if model else (0.0, 0.0, 0.0)

    calls_before = calls_so_far()
    threads_before, busy_before, start = thread_cpu(pid), machine_busy_seconds(), time.perf_counter()
    result = run()
    threads_after, busy, wall = thread_cpu(pid), machine_busy_seconds() - busy_before, time.perf_counter() - start
    calls, rows, seconds = (after - before for before, after in zip(calls_before, calls_so_far(), strict=False))
    groups = {"event loop": 0.0, "TensorFlow pools": 0.0, "model and other threads": 0.0}
    for tid, (name, cpu) in threads_after.items():
        spent = cpu - threads_before.get(tid, (name, 0.0))[1]
        group = "event loop" if tid == pid else "TensorFlow pools" if name.startswith("tf_") else "model and other threads"
        groups[group] += spent
    groups["outside the server"] = max(busy - sum(groups.values()), 0.0)
    return {
        "rps": result["rps"],
        "busy_cores": busy / wall,
        "loop_busy": groups["event loop"] / wall,
        "batch": rows / calls if calls else None,
        "model_busy": seconds / wall if calls else None,
        "us_per_request": {k: 1e6 * v / result["requests"] for k, v in groups.items()},
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--seconds", type=int, default=5)
    args = p.parse_args(argv)
    body = digits_body()
    vqa, vqa_type = vqa_body()
    scripts = Path(tempfile.mkdtemp())

    def drive(url: str, path: str, payload: bytes | None, content_type: str = "application/json"):
        return lambda: wrk(url + path, payload, args.concurrency, args.seconds, scripts, content_type)

    rows = {}
    with server("app.main:app", {}) as (url, _, pid):
        sequential_latency(url + "/api/digits", "POST", body, 100)  # warm
        sequential_latency(url + "/api/vqa", "POST", vqa, 20, vqa_type)
        rows["GET /healthz"] = account(pid, drive(url, "/healthz", None), url)
        rows["POST /api/digits"] = account(pid, drive(url, "/api/digits", body), url, "digits")
        rows["POST /api/vqa"] = account(pid, drive(url, "/api/vqa", vqa, vqa_type), url, "vqa")
    with server("benchmarks.constant_model_app:app", {"VQADEMO_MODELS": "digits"}) as (url, _, pid):
        sequential_latency(url + "/api/digits", "POST", body, 100)
        rows["digits, constant model"] = account(pid, drive(url, "/api/digits", body), url, "digits")
    with server("app.main:app", BATCHING_OFF) as (url, _, pid):
        sequential_latency(url + "/api/vqa", "POST", vqa, 20, vqa_type)
        rows["vqa, batching off"] = account(pid, drive(url, "/api/vqa", vqa, vqa_type), url, "vqa")
    groups = list(next(iter(rows.values()))["us_per_request"])
    print(f"CPU per request, microseconds (wrk, c={args.concurrency}, {os.cpu_count()} cores)")
    ceiling = rows["GET /healthz"]["rps"]
    print(
        f"{'':24s}{'req/s':>9s}{'/ healthz':>11s}{'busy cores':>12s}"
        + "".join(f"{g:>26s}" for g in groups)
        + f"{'loop busy':>11s}{'batch':>7s}{'model busy':>12s}"
    )
    for route, row in rows.items():
        print(
            f"{route:24s}{row['rps']:>9,.0f}{row['rps'] / ceiling:>11.2f}{row['busy_cores']:>12.2f}"
            + "".join(f"{row['us_per_request'][g]:>26.0f}" for g in groups)
            + f"{row['loop_busy']:>11.2f}"
            + (f"{row['batch']:>7.1f}{row['model_busy']:>12.2f}" if row["batch"] else "")
        )


if __name__ == "__main__":
    main()
