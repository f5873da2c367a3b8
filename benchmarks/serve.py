"""Serving benchmark: one run, one table, ratios against baselines measured alongside.

For digits and vqa (and the autoencoder's throughput):
- the raw forward pass in this process (compiled call, batch 1 and 32);
- the service (one uvicorn worker, as `make run` starts it): p50/p99 latency at
  concurrency 1 from a sequential client, next to `/healthz`;
- throughput at concurrency 1, 8, 32, 64 from `wrk` (Debian's; a Python client tops
  out first on 2 cores), for `/healthz` (the HTTP ceiling), the model with batching,
  the model with batching off (`VQADEMO_MAX_BATCH_SIZE=1`), and the tutorial baseline
  (`benchmarks/tutorial_app.py`: FastAPI + `model.predict` per request); for vqa, a
  256 x 256 PNG uploaded as multipart with a question (the page's request), with and
  without the heatmap; for photos, a 640 x 480 JPEG through the photo models;
- failed requests, resident memory with all models loaded, and time from start to ready;
- with `--rounds N`, the three ratios against the same server's own rows again, in N
  interleaved rounds (both servers restarted each round) with their median: on a noisy
  machine one round can land either side of a goal.

    python -m benchmarks.serve                # about 3 minutes
    python -m benchmarks.serve --duration 5 --soak 60 --rounds 5
    python -m benchmarks.serve --photos       # benchmarks/photo_speed.py: photo and people questions
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import httpx
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = (1, 8, 32, 64)
BATCHING_OFF = {"VQADEMO_MAX_BATCH_SIZE": "1", "VQADEMO_MODELS": "digits,vqa,scene_ood"}  # the server to compare against


# As `vqa-demo serve` runs the app (app/cli.py), less the access log.
UVICORN_FLAGS = ["--no-access-log", "--no-proxy-headers", "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def server(app: str, env: dict[str, str], ready_path: str = "/readyz", cwd: Path = ROOT):
    """A uvicorn process (serving the checkout at `cwd`); yields (base url, seconds to ready, pid)."""
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--port", str(port), *UVICORN_FLAGS],
        cwd=cwd,
        env=os.environ | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(url + ready_path, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.perf_counter() - start > 180:
                raise RuntimeError(f"{app} did not start")
            time.sleep(0.05)
        yield url, time.perf_counter() - start, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def model_calls(metrics_text: str, model: str) -> tuple[float, float, float]:
    """(model calls, rows, seconds in model calls) so far, from a /metrics page."""
    totals = {"vqademo_batch_size_count": 0.0, "vqademo_batch_size_sum": 0.0, "vqademo_compute_seconds_sum": 0.0}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name in totals and sample.labels.get("model") == model:
                totals[sample.name] = sample.value
    return totals["vqademo_batch_size_count"], totals["vqademo_batch_size_sum"], totals["vqademo_compute_seconds_sum"]


def sequential_latency(
    url: str, method: str, body: bytes | None, n: int, content_type: str = "application/json"
) -> tuple[float, float]:
    """p50 and p99 in ms over n requests, one at a time, on one kept-alive connection."""
    with httpx.Client(timeout=30) as client:
        headers = {"content-type": content_type}
        call = (lambda: client.get(url)) if method == "GET" else (lambda: client.post(url, content=body, headers=headers))
        for _ in range(20):
            call()
        times = []
        for _ in range(n):
            start = time.perf_counter()
            r = call()
            times.append((time.perf_counter() - start) * 1000)
            r.raise_for_status()
    times.sort()
    return statistics.median(times), times[int(0.99 * (len(times) - 1))]


def wrk(
    url: str,
    body: bytes | None,
    concurrency: int,
    seconds: int,
    script_dir: Path,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> dict:
    """Requests/s, p50/p99 (ms) and failures from one wrk run."""
    args = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if body is not None:
        script = script_dir / f"post_{abs(hash((body, content_type, str(headers))))}.lua"
        body_path = script.with_suffix(".body")
        body_path.write_bytes(body)  # binary (a PNG inside multipart): read by Lua, not quoted
        more = "".join(
            f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in (headers or {}).items() if k != "Content-Type"
        )
        script.write_text(
            f'wrk.method = "POST"\nwrk.headers["Content-Type"] = {json.dumps(content_type)}\n{more}'
            f'local f = io.open({json.dumps(str(body_path))}, "rb")\nwrk.body = f:read("*all")\nf:close()\n'
        )
        args += ["-s", str(script)]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}

    def percentile(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * unit[m.group(2)] if m else float("nan")

    failures = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failures += sum(int(g) for g in errors.groups()) if errors else 0
    rps, requests = re.search(r"Requests/sec:\s+([\d.]+)", out), re.search(r"(\d+) requests in", out)
    if rps is None or requests is None:
        raise RuntimeError(f"wrk printed no summary:\n{out[-2000:]}")
    return {
        "rps": float(rps.group(1)),
        "p50": percentile("50"),
        "p99": percentile("99"),
        "failures": failures,
        "requests": int(requests.group(1)),
    }


def raw_forward_ms(model_path: Path) -> dict[int, float]:
    import keras

    from app import runtime
    from app.worlds.shapes import models as vqa_models  # noqa: F401  (registers the VQA layers)

    model = keras.saving.load_model(model_path, compile=False)
    forward = runtime.inference_forward(model)
    result = {}
    for batch in (1, 32):
        x = runtime.zeros_rows(model, batch)
        for _ in range(20):
            forward(x)
        times = []
        for _ in range(200):
            start = time.perf_counter()
            forward(x)
            times.append((time.perf_counter() - start) * 1000)
        result[batch] = statistics.median(times)
    return result


def digits_body() -> bytes:
    rng = np.random.default_rng(0)
    pixels = np.zeros((28, 28))
    pixels[4:24, 12:16] = rng.uniform(0.6, 1.0, (20, 4))
    return json.dumps({"pixels": np.round(pixels, 3).tolist()}).encode()


def vqa_body(explain: bool = False) -> tuple[bytes, str]:
    """A 256 x 256 sample scene as multipart, with a question: what the page sends."""
    image = (ROOT / "static" / "samples" / "scene_00.png").read_bytes()
    request = httpx.Request(
        "POST",
        "http://x/api/vqa",
        files={"image": ("scene.png", image, "image/png")},
        data={"question": "What color is the large circle?", "explain": str(explain).lower()},
    )
    return request.read(), request.headers["content-type"]


def photo_body(photo_name: str = "coffee.jpg", question: str = "How many cups are there?") -> tuple[bytes, str]:
    """A 640 x 480 JPEG photo as multipart, with a question for the photo models."""
    import io

    from PIL import Image

    photo = Image.open(ROOT / "static" / "photos" / photo_name).convert("RGB").resize((640, 480))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90)
    request = httpx.Request(
        "POST",
        "http://x/api/vqa",
        files={"image": ("photo.jpg", buffer.getvalue(), "image/jpeg")},
        data={"question": question},
    )
    return request.read(), request.headers["content-type"]


def ratio_rounds(n: int, seconds: int, digits: bytes, vqa: bytes, vqa_type: str, tmp: Path) -> list[dict[str, float]]:
    """digits / healthz, digits / batching off and vqa / batching off at c=32, `n` times."""
    rounds = []
    for _ in range(n):
        with server("app.main:app", {}) as (url, _, _):
            sequential_latency(url + "/api/digits", "POST", digits, 50)  # warm
            healthz = wrk(url + "/healthz", None, 32, seconds, tmp)["rps"]
            digits_on = wrk(url + "/api/digits", digits, 32, seconds, tmp)["rps"]
            vqa_on = wrk(url + "/api/vqa", vqa, 32, seconds, tmp, vqa_type)["rps"]
        with server("app.main:app", BATCHING_OFF) as (url, _, _):
            sequential_latency(url + "/api/digits", "POST", digits, 50)
            digits_off = wrk(url + "/api/digits", digits, 32, seconds, tmp)["rps"]
            vqa_off = wrk(url + "/api/vqa", vqa, 32, seconds, tmp, vqa_type)["rps"]
        rounds.append(
            {
                "digits / /healthz": digits_on / healthz,
                "digits / batching off": digits_on / digits_off,
                "vqa / batching off": vqa_on / vqa_off,
            }
        )
    return rounds


def print_latency(raw: dict, raw_vqa: dict, latency: dict, memory: float, ready_s: float) -> None:
    (health_p50, health_p99), (digits_p50, digits_p99) = latency["health"], latency["digits"]
    (vqa_p50, vqa_p99), (explain_p50, explain_p99) = latency["vqa"], latency["explain"]
    print(f"raw forward pass, digits (compiled, in process): batch 1 {raw[1]:.2f} ms, batch 32 {raw[32]:.2f} ms")
    print(
        f"service, concurrency 1 (sequential client): /healthz p50 {health_p50:.2f} ms p99 {health_p99:.2f} ms; "
        f"/api/digits p50 {digits_p50:.2f} ms p99 {digits_p99:.2f} ms"
    )
    budget = 1.5 * raw[1] + 1
    print(f"  digits p50 - healthz p50 = {digits_p50 - health_p50:.2f} ms (goal: <= 1.5 x raw + 1 ms = {budget:.2f} ms)")
    print(f"raw forward pass, vqa (image + question): batch 1 {raw_vqa[1]:.2f} ms, batch 32 {raw_vqa[32]:.2f} ms")
    print(
        f"  POST /api/vqa, 256 x 256 PNG: p50 {vqa_p50:.2f} ms p99 {vqa_p99:.2f} ms (goal: p50 < 15 ms); "
        f"with the heatmap: p50 {explain_p50:.2f} ms p99 {explain_p99:.2f} ms"
    )
    photo_p50, photo_p99 = latency["photo"]
    print(f"  POST /api/vqa, 640 x 480 JPEG photo: p50 {photo_p50:.2f} ms p99 {photo_p99:.2f} ms (goal: p50 < 150 ms)")
    print(f"resident memory, all models loaded: {memory:.0f} MB; start to ready: {ready_s:.1f} s\n")


def print_throughput(rows: dict[str, dict[int, dict]]) -> None:
    print(
        f"{'throughput, requests/s (wrk, 1 thread)':<34}"
        + "".join(f"{'c=' + str(c):>10}" for c in CONCURRENCY)
        + f"{'p50 c=32':>10}{'p99 c=32':>10}{'failed':>8}"
    )
    for label, by_c in rows.items():
        line = "".join(f"{by_c[c]['rps']:>10,.0f}" for c in CONCURRENCY)
        failed = sum(r["failures"] for r in by_c.values())
        print(f"{label:<34}{line}{by_c[32]['p50']:>8.1f}ms{by_c[32]['p99']:>8.1f}ms{failed:>8}")


def print_ratios(rows: dict[str, dict[int, dict]], mean_batch: float, rounds: list, soak: dict | None, soak_s: int) -> None:
    at32 = {label: by_c[32]["rps"] for label, by_c in rows.items()}
    print("\nratios at c=32:")
    print(
        f"  digits / tutorial baseline   {at32['digits, batching'] / at32['tutorial baseline (predict)']:>6.1f} x   (goal >= 40)"
    )
    print(f"  digits / /healthz            {at32['digits, batching'] / at32['GET /healthz']:>6.2f}     (goal >= 0.40)")
    print(f"  digits / batching off        {at32['digits, batching'] / at32['digits, batching off']:>6.2f} x   (goal >= 2)")
    print(
        f"  p99 / p50 (digits)           {rows['digits, batching'][32]['p99'] / rows['digits, batching'][32]['p50']:>6.2f}     (goal <= 5)"
    )
    print(f"  vqa / tutorial baseline      {at32['vqa, batching'] / at32['tutorial baseline, vqa']:>6.1f} x   (goal >= 10)")
    print(f"  vqa / batching off           {at32['vqa, batching'] / at32['vqa, batching off']:>6.2f} x   (goal >= 2)")
    print(
        f"  p99 / p50 (vqa)              {rows['vqa, batching'][32]['p99'] / rows['vqa, batching'][32]['p50']:>6.2f}     (goal <= 5)"
    )
    print(f"  mean batch size served       {mean_batch:>6.2f}")
    if rounds:
        goals = {"digits / /healthz": ">= 0.40", "digits / batching off": ">= 2", "vqa / batching off": ">= 2"}
        print(f"\nthe same ratios in {len(rounds)} interleaved rounds (c=32, servers restarted each round):")
        for name, goal in goals.items():
            values = [r[name] for r in rounds]
            print(
                f"  {name:<26} "
                + " ".join(f"{v:5.2f}" for v in values)
                + f"   median {statistics.median(values):.2f}   (goal {goal})"
            )
    if soak:
        print(f"\nsoak: c=64 for {soak_s} s: {soak['requests']:,} requests, {soak['failures']} failed, p99 {soak['p99']:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--soak", type=int, default=0, help="also run c=64 for this many seconds and count failures")
    parser.add_argument("--rounds", type=int, default=0, help="also measure the ratios in this many interleaved rounds")
    parser.add_argument("--photos", action="store_true", help="only the photo questions' latency, start-up and memory")
    args = parser.parse_args()
    if args.photos:
        from benchmarks.photo_speed import photo_latency

        photo_latency()
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    body = digits_body()
    models_dir = ROOT / "models"
    raw = raw_forward_ms(models_dir / "digits" / "model.keras")
    raw_vqa = raw_forward_ms(models_dir / "vqa" / "model.keras")
    vqa, vqa_type = vqa_body()
    vqa_explain, explain_type = vqa_body(explain=True)  # its own multipart boundary
    photo, photo_type = photo_body()
    tmp = Path(tempfile.mkdtemp())
    rows: dict[str, dict[int, dict]] = {}

    with server("app.main:app", {}) as (url, ready_s, pid):
        memory = rss_mb(pid)
        health_p50, health_p99 = sequential_latency(url + "/healthz", "GET", None, 500)
        digits_p50, digits_p99 = sequential_latency(url + "/api/digits", "POST", body, 500)
        rows["GET /healthz"] = {c: wrk(url + "/healthz", None, c, args.duration, tmp) for c in CONCURRENCY}
        rows["digits, batching"] = {c: wrk(url + "/api/digits", body, c, args.duration, tmp) for c in CONCURRENCY}
        vqa_p50, vqa_p99 = sequential_latency(url + "/api/vqa", "POST", vqa, 300, vqa_type)
        explain_p50, explain_p99 = sequential_latency(url + "/api/vqa", "POST", vqa_explain, 100, explain_type)
        rows["vqa, batching"] = {c: wrk(url + "/api/vqa", vqa, c, args.duration, tmp, vqa_type) for c in CONCURRENCY}
        photo_p50, photo_p99 = sequential_latency(url + "/api/vqa", "POST", photo, 100, photo_type)
        rows["photo, batching"] = {c: wrk(url + "/api/vqa", photo, c, args.duration, tmp, photo_type) for c in CONCURRENCY}
        rows["autoencoder, batching"] = {c: wrk(url + "/api/autoencoder", body, c, args.duration, tmp) for c in CONCURRENCY}
        soak = wrk(url + "/api/digits", body, 64, args.soak, tmp) if args.soak else None
        metrics = httpx.get(url + "/metrics").text
    calls, batched_rows, _ = model_calls(metrics, "digits")
    mean_batch = batched_rows / calls if calls else float("nan")

    with server("app.main:app", BATCHING_OFF) as (url, _, _):
        rows["digits, batching off"] = {c: wrk(url + "/api/digits", body, c, args.duration, tmp) for c in CONCURRENCY}
        rows["vqa, batching off"] = {c: wrk(url + "/api/vqa", vqa, c, args.duration, tmp, vqa_type) for c in CONCURRENCY}
    rounds = ratio_rounds(args.rounds, args.duration, body, vqa, vqa_type, tmp)
    with server("benchmarks.tutorial_app:app", {}, ready_path="/healthz") as (url, _, _):
        rows["tutorial baseline (predict)"] = {c: wrk(url + "/predict", body, c, args.duration, tmp) for c in CONCURRENCY}
    with server("benchmarks.tutorial_app:app", {"BASELINE_MODEL": "models/vqa"}, ready_path="/healthz") as (url, _, _):
        rows["tutorial baseline, vqa"] = {c: wrk(url + "/predict_vqa", vqa, c, args.duration, tmp, vqa_type) for c in CONCURRENCY}

    latency = {
        "health": (health_p50, health_p99),
        "digits": (digits_p50, digits_p99),
        "vqa": (vqa_p50, vqa_p99),
        "explain": (explain_p50, explain_p99),
        "photo": (photo_p50, photo_p99),
    }
    print_latency(raw, raw_vqa, latency, memory, ready_s)
    print_throughput(rows)
    print_ratios(rows, mean_batch, rounds, soak, args.soak)


if __name__ == "__main__":
    main()
