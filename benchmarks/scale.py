"""Scale-out benchmark: the direct server against the same app under Ray Serve, one run.

Each setup serves the same committed models (digits, vqa and the scene check):
- direct: one uvicorn process, as `make run` starts it;
- ray x2 py: two Ray Serve replicas (one core each) behind Ray's Python HTTP proxy;
- ray x1 ha / ray x2 ha: one replica (both cores) or two behind Ray's HAProxy ingress,
  which forwards to each replica's own HTTP server (`RAY_SERVE_ENABLE_HA_PROXY=1`).

For each: p50 at concurrency 1 (a sequential client), then wrk at concurrency 32 for
`POST /api/digits` (JSON) and `POST /api/vqa` (the page's multipart upload): requests/s,
p50/p99, failures, and the machine's CPU time per request (all processes, from
/proc/stat), which is what says how the setup would scale on a machine with more cores.
The direct server runs first and again last, so drift shows. Ray's proxy overhead is the
difference to the direct server at concurrency 1 (latency) and in CPU per request.

    python -m benchmarks.scale                 # about 6 minutes
    python -m benchmarks.scale --seconds 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import httpx

from benchmarks.serve import digits_body, free_port, sequential_latency, server, vqa_body, wrk

MODELS = {"VQADEMO_MODELS": "digits,vqa,scene_ood"}
CONCURRENCY = 32
# Ray's own Python proxy, and Ray's HAProxy ingress (HAProxy in front, each replica
# serving HTTP itself), the one `deploy/ray_serve.py` starts by default.
SETUPS = (("ray x2 py", 2, "python"), ("ray x1 ha", 1, "haproxy"), ("ray x2 ha", 2, "haproxy"))


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent not idle, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def measure(url: str, seconds: int, tmp: Path) -> dict:
    digits = digits_body()
    vqa, vqa_type = vqa_body()
    row: dict = {"c1_p50": sequential_latency(url + "/api/digits", "POST", digits, 300)[0]}
    for name, body, content_type in (("digits", digits, "application/json"), ("vqa", vqa, vqa_type)):
        wrk(url + f"/api/{name}", body, CONCURRENCY, 2, tmp, content_type)  # warm the connections and batches
        before = busy_seconds()
        result = wrk(url + f"/api/{name}", body, CONCURRENCY, seconds, tmp, content_type)
        result["cpu_ms"] = (busy_seconds() - before) * 1000 / max(result["requests"], 1)
        row[name] = result
    return row


def deploy(replicas: int, url: str) -> set[str]:
    """Deploys the app with `replicas` replicas; returns the replica ids that answered."""
    from ray import serve

    from deploy.ray_serve import application

    cpus = (os.cpu_count() or 2) / replicas
    serve.run(application(replicas=replicas, cpus_per_replica=cpus), name="vqa_demo", route_prefix="/")
    seen = set()
    with httpx.Client(timeout=30) as client:
        for _ in range(50 * replicas):
            seen.add(client.get(url + "/readyz").headers["x-replica"])
    return seen


def print_table(rows: dict[str, dict]) -> None:
    print(
        f"\n{'setup':<10} {'c=1 p50':>8} | {'digits rps':>10} {'p50':>7} {'p99':>7} {'cpu ms':>7} {'fail':>5} |"
        f" {'vqa rps':>8} {'p50':>7} {'p99':>7} {'cpu ms':>7} {'fail':>5}"
    )
    for name, row in rows.items():
        d, v = row["digits"], row["vqa"]
        print(
            f"{name:<10} {row['c1_p50']:>8.2f} | {d['rps']:>10.0f} {d['p50']:>7.1f} {d['p99']:>7.1f} {d['cpu_ms']:>7.2f} "
            f"{d['failures']:>5} | {v['rps']:>8.0f} {v['p50']:>7.1f} {v['p99']:>7.1f} {v['cpu_ms']:>7.2f} {v['failures']:>5}"
        )


def print_summary(rows: dict[str, dict]) -> None:
    both = ("direct", "direct again")
    direct = {k: statistics.mean(rows[r][k]["rps"] for r in both) for k in ("digits", "vqa")}
    direct_cpu = {k: statistics.mean(rows[r][k]["cpu_ms"] for r in both) for k in direct}
    direct_c1 = statistics.mean(rows[r]["c1_p50"] for r in both)
    ray = [name for name, _, _ in SETUPS]
    print(f"\nThroughput as a share of the direct server's (mean of its two runs), c={CONCURRENCY}:")
    for name in ray:
        print(f"  {name}: " + ", ".join(f"{k} {rows[name][k]['rps'] / direct[k]:.0%}" for k in direct))
    print("Ray's overhead per request, against the direct server:")
    for name in ray:
        cpu = ", ".join(f"{k} +{rows[name][k]['cpu_ms'] - direct_cpu[k]:.2f} ms" for k in direct)
        print(f"  {name}: latency at c=1 (digits) +{rows[name]['c1_p50'] - direct_c1:.2f} ms; CPU per request {cpu}")
    print(f"With more cores, each adds about 1000 / (CPU ms per request) requests/s ({os.cpu_count()} cores here):")
    for k in direct:
        per_core = ", ".join(f"{name} {1000 / rows[name][k]['cpu_ms']:.0f}" for name in ray)
        print(f"  {k}: direct {1000 / direct_cpu[k]:.0f} (one process: its event loop caps it at one core), {per_core}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    args = parser.parse_args()
    from deploy.ray_serve import local_cluster

    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        with server("app.main:app", MODELS) as (url, _, _):
            rows["direct"] = measure(url, args.seconds, Path(tmp))
        for name, replicas, proxy in SETUPS:
            with local_cluster(proxy, port=free_port(), env=MODELS, free_side_ports=True, quiet=True) as url:
                seen = deploy(replicas, url)
                print(f"{name}: {len(seen)} replica(s) answered", flush=True)
                rows[name] = measure(url, args.seconds, Path(tmp))
            time.sleep(2)  # let Ray's processes exit before the next setup
        with server("app.main:app", MODELS) as (url, _, _):
            rows["direct again"] = measure(url, args.seconds, Path(tmp))
    print_table(rows)
    print_summary(rows)


if __name__ == "__main__":
    main()
