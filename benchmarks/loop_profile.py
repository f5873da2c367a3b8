"""Where the event loop's time goes under V2 load: py-spy on this server at c clients.

The server runs as `benchmarks.peers` runs it (uvicorn, one worker, one model), wrk
sends V2 JSON (or binary) infer requests, and py-spy samples every thread for a few
seconds in the middle of the run. The event loop's thread is the one running uvicorn's
frames; each of its samples is charged to the innermost frame that belongs to a known
part (`PARTS`: the V2 handler, the tensor parsing, FastAPI, Starlette, uvicorn, the
middlewares, ...). Printed: how busy the loop and the model thread were, and the loop's
busy time by part, for the lean infer path and FastAPI's route side by side.

    python -m benchmarks.loop_profile                    # c=32, JSON, both paths, 10 s each
    python -m benchmarks.loop_profile --binary --paths lean
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from benchmarks.peers import DIGITS, sample_inputs, v2_binary, v2_json
from benchmarks.serve import server, wrk

RATE = 200  # samples per second per thread
LOOP_MARK = "(the event loop's thread)"
# (part, path fragments of its files): a sample goes to the innermost frame that matches.
PARTS = (
    ("V2 handler (app/routers/v2.py)", ("app/routers/v2.py",)),
    ("V2 tensors: parse and encode (app/v2_protocol.py)", ("app/v2_protocol.py",)),
    ("JSON and NumPy under them", ("/json/", "numpy/", "orjson")),
    ("batcher, loop side (app/batching.py, registry)", ("app/batching.py", "app/registry.py")),
    (
        "middlewares (request id, metrics, headers, limits)",
        (
            "app/observability.py",
            "app/metrics.py",
            "app/security.py",
            "app/limits.py",
            "app/fairness.py",
            "app/keys.py",
            "prometheus_client",
        ),
    ),
    ("FastAPI: routing and dependencies", ("fastapi/",)),
    ("Starlette: routing", ("starlette/routing.py",)),
    ("Starlette: requests, responses, middleware plumbing", ("starlette/",)),
    ("uvicorn: HTTP parsing and transport", ("uvicorn/", "h11/", "httptools")),
    ("asyncio", ("asyncio/",)),
)


def part_of(stack: list[str]) -> str:
    for frame in reversed(stack):  # innermost first
        for part, fragments in PARTS:
            if any(f in frame for f in fragments):
                return part
    return "other"


def read_raw(path: Path) -> dict[str, Counter]:
    """py-spy's raw output (`thread;frame;...;frame count`) -> samples per part, per thread."""
    threads: dict[str, Counter] = {}
    for line in path.read_text().splitlines():
        stack_text, _, count = line.rpartition(" ")
        if not stack_text:
            continue
        thread, *stack = stack_text.split(";")
        threads.setdefault(thread, Counter())[part_of(stack)] += int(count)
        if any("uvicorn/" in f or "asyncio/" in f for f in stack):  # uvloop's loop itself is C
            threads[thread][LOOP_MARK] += int(count)
    return threads


def profile(lean: bool, binary: bool, clients: int, seconds: int, tmp: Path) -> dict:
    env = {"VQADEMO_MODELS": DIGITS.name, "VQADEMO_V2_LEAN_INFER": "true" if lean else "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    with server("app.main:app", env) as (url, _, pid):
        inputs = sample_inputs(DIGITS)
        if binary:
            body, headers = v2_binary(DIGITS, inputs)
        else:
            body, headers = v2_json(DIGITS, inputs), {"Content-Type": "application/json"}
        infer = f"{url}/v2/models/{DIGITS.name}/infer"
        wrk(infer, body, 8, 2, tmp, headers["Content-Type"], headers)  # warm
        load: dict = {}
        driver = threading.Thread(
            target=lambda: load.update(wrk(infer, body, clients, seconds + 4, tmp, headers["Content-Type"], headers))
        )
        driver.start()
        time.sleep(2)
        raw = tmp / f"profile_{lean}_{binary}.txt"
        record = ["py-spy", "record", "--pid", str(pid), "--rate", str(RATE), "--duration", str(seconds)]
        record += ["--format", "raw", "--threads", "--nonblocking", "--output", str(raw)]
        subprocess.run(record, check=True, capture_output=True)
        driver.join()
    threads = read_raw(raw)
    loop = max(threads, key=lambda t: threads[t][LOOP_MARK])
    loop_samples = threads[loop]
    loop_samples.pop(LOOP_MARK)
    others = {t: c for t, c in threads.items() if t != loop}
    model_thread = max(others, key=lambda t: sum(others[t].values())) if others else None
    possible = RATE * seconds
    return {
        "rps": load.get("rps"),
        "p99": load.get("p99"),
        "loop_busy": sum(loop_samples.values()) / possible,
        "model_thread_busy": sum(others[model_thread].values()) / possible if model_thread else 0.0,
        "parts": {part: n / possible for part, n in loop_samples.most_common()},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--binary", action="store_true", help="V2 binary tensors instead of JSON")
    parser.add_argument("--paths", default="lean,route", help="lean (LeanInfer), route (FastAPI's), or both")
    args = parser.parse_args(argv)
    if shutil.which("py-spy") is None or shutil.which("wrk") is None:
        sys.exit("needs py-spy (pip install py-spy) and wrk (apt-get install wrk)")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.paths.split(","):
            results[path] = profile(path == "lean", args.binary, args.clients, args.seconds, Path(tmp))
    body = "binary" if args.binary else "JSON"
    print(f"\ndigits over V2 {body}, {args.clients} clients, py-spy {RATE} samples/s for {args.seconds} s")
    print("| | " + " | ".join(results) + " |")
    print("| --- |" + " --- |" * len(results))
    print("| requests/s | " + " | ".join(f"{r['rps']:.0f}" for r in results.values()) + " |")
    print("| p99 ms | " + " | ".join(f"{r['p99']:.1f}" for r in results.values()) + " |")
    print("| event loop busy | " + " | ".join(f"{100 * r['loop_busy']:.0f} %" for r in results.values()) + " |")
    print("| model thread busy | " + " | ".join(f"{100 * r['model_thread_busy']:.0f} %" for r in results.values()) + " |")
    parts = sorted(
        {p for r in results.values() for p in r["parts"]}, key=lambda p: -max(r["parts"].get(p, 0) for r in results.values())
    )
    for part in parts:
        print(f"| loop: {part} | " + " | ".join(f"{100 * r['parts'].get(part, 0):.1f} %" for r in results.values()) + " |")
    return results


if __name__ == "__main__":
    main()
