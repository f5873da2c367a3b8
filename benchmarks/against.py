"""Latency against another commit, measured in the same minutes.

This machine's speed moves by a third from minute to minute, so two runs of
`benchmarks/serve.py` cannot say whether a change made a request faster. This script
starts the working tree's server and one serving a git revision (a temporary
worktree, with that revision's models), both at once, and alternates blocks of sequential
requests between them on kept-alive connections, so both see the same machine:
- p50 and p99 of each over all blocks, and the range of the block medians;
- this tree over the revision per block: median and range.

    python -m benchmarks.against HEAD~1                      # POST /api/vqa, 30 blocks of 50
    python -m benchmarks.against 1366011 --route digits --blocks 10
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from benchmarks.serve import ROOT, digits_body, server, vqa_body

SERVED = "digits,vqa,scene_ood"  # the models these routes use: less start-up, less memory


def request_for(route: str) -> tuple[str, bytes, str]:
    """(path, body, content type) of the page's request for `route`."""
    if route == "vqa":
        body, content_type = vqa_body()
        return "/api/vqa", body, content_type
    return "/api/digits", digits_body(), "application/json"


@contextmanager
def checkout(revision: str):
    """The revision, checked out in a temporary git worktree."""
    folder = Path(tempfile.mkdtemp()) / "checkout"
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), revision], cwd=ROOT, check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, check=False, capture_output=True)


def timed_block(client: httpx.Client, url: str, body: bytes, content_type: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.post(url, content=body, headers={"content-type": content_type})
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("revision", help="a git revision to compare the working tree against")
    parser.add_argument("--route", choices=("vqa", "digits"), default="vqa")
    parser.add_argument("--blocks", type=int, default=30)
    parser.add_argument("--block-size", type=int, default=50)
    args = parser.parse_args()

    path, body, content_type = request_for(args.route)
    env = {"VQADEMO_MODELS": SERVED}
    with ExitStack() as stack:
        folder = stack.enter_context(checkout(args.revision))
        sides = {
            "this tree": stack.enter_context(server("app.main:app", env))[0],
            args.revision: stack.enter_context(server("app.main:app", env, cwd=folder))[0],
        }
        clients = {name: stack.enter_context(httpx.Client(timeout=30)) for name in sides}
        for name, base in sides.items():
            timed_block(clients[name], base + path, body, content_type, 30)  # warm-up
        times: dict[str, list[float]] = {name: [] for name in sides}
        ratios = []
        for _ in range(args.blocks):
            medians = {}
            for name, base in sides.items():
                block = timed_block(clients[name], base + path, body, content_type, args.block_size)
                times[name] += block
                medians[name] = statistics.median(block)
            ratios.append(medians["this tree"] / medians[args.revision])

    print(f"POST {path}, {args.blocks} blocks of {args.block_size} sequential requests, alternated")
    print(f"{'server':<16} {'p50 ms':>8} {'p99 ms':>8}   block medians")
    for name, values in times.items():
        blocks = [statistics.median(values[i : i + args.block_size]) for i in range(0, len(values), args.block_size)]
        p50, p99 = statistics.median(values), percentile(values, 0.99)
        print(f"{name:<16} {p50:>8.2f} {p99:>8.2f}   {min(blocks):.2f}-{max(blocks):.2f}")
    print(f"this tree / {args.revision}, per block: {statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})")


if __name__ == "__main__":
    main()
