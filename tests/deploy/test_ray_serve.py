"""The app under Ray Serve: a local Ray cluster on loopback with Ray's HAProxy ingress, two
replicas of the real app (the committed digits model), requests reaching both, and one
replica's actor killed mid-traffic while clients keep sending and retry what failed."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import numpy as np
import pytest

from tests.conftest import import_or_skip

ray = import_or_skip("ray")
from ray import serve  # noqa: E402

from benchmarks.serve import digits_body, free_port  # noqa: E402
from deploy.ray_serve import application, local_cluster  # noqa: E402

CLIENTS = 6


@pytest.fixture(scope="module")
def serve_url():
    # The ingress `python -m deploy.ray_serve` starts by default (HAProxy), on free ports.
    env = {"VQADEMO_MODELS": "digits", "VQADEMO_WARMUP_BATCH_SIZES": "1"}
    with local_cluster("haproxy", port=free_port(), env=env, free_side_ports=True, quiet=True, num_cpus=2) as url:
        serve.run(application(replicas=2), name="vqa_demo", route_prefix="/")
        yield url, first_answers(url, replicas=2)


def first_answers(url: str, replicas: int) -> dict[str, int]:
    """Each replica's status on the first request it got. HAProxy takes a new replica
    into rotation after its own health checks, a moment after Ray reports it running."""
    first: dict[str, int] = {}
    deadline = time.monotonic() + 60
    with httpx.Client(timeout=30) as client:
        while len(first) < replicas and time.monotonic() < deadline:
            r = client.get(url + "/readyz")
            first.setdefault(r.headers["x-replica"], r.status_code)
            time.sleep(0.05)
    return first


def replica_actors() -> dict[str, str]:
    """replica id -> actor name, for the running replicas of the app."""
    names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)]
    return {n.rsplit("#", 1)[1]: n for n in names if n.startswith("SERVE_REPLICA::vqa_demo#")}


def test_both_replicas_serve_and_are_ready_on_first_request(serve_url):
    serve_url, first = serve_url
    body = digits_body()
    answered: Counter = Counter()
    with httpx.Client(timeout=30) as client:
        for _ in range(40):
            r = client.post(serve_url + "/api/digits", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 200, r.text
            assert r.json()["digit"] == int(np.argmax(r.json()["probabilities"]))
            answered[r.headers["x-replica"]] += 1
    assert set(first) == set(replica_actors()) and len(first) == 2, first
    assert set(first.values()) == {200}  # models loaded before Ray routed anything to a replica
    assert set(answered) == set(first), answered


def test_a_killed_replica_costs_at_most_its_requests_in_flight(serve_url):
    serve_url, _ = serve_url
    body = digits_body()
    before = replica_actors()
    victim = sorted(before)[0]
    stop = threading.Event()
    failures: list[str] = []
    retries_failed: list[str] = []
    served: Counter = Counter()
    lock = threading.Lock()

    def client_loop() -> None:
        with httpx.Client(timeout=30) as client:

            def post() -> httpx.Response:
                return client.post(serve_url + "/api/digits", content=body, headers={"content-type": "application/json"})

            while not stop.is_set():
                try:
                    r = post()
                    outcome = "ok" if r.status_code == 200 else f"http {r.status_code}"
                except httpx.TransportError as exc:
                    outcome = type(exc).__name__
                if outcome == "ok":
                    with lock:
                        served[r.headers["x-replica"]] += 1
                    continue
                with lock:
                    failures.append(outcome)
                # The request is idempotent, so a client may simply send it again.
                for attempt in range(5):
                    time.sleep(0.2 * (attempt + 1))
                    try:
                        if post().status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                else:
                    with lock:
                        retries_failed.append(outcome)

    threads = [threading.Thread(target=client_loop) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        ray.kill(ray.get_actor(before[victim], namespace="serve"), no_restart=True)
        killed_at = time.monotonic()
        # Ray's controller notices the dead actor and starts a replacement.
        while time.monotonic() - killed_at < 120:
            now = replica_actors()
            if len(now) == 2 and victim not in now and set(now) - set(before) <= set(served):
                break
            time.sleep(0.5)
        replaced_s = time.monotonic() - killed_at
        time.sleep(1)
    finally:
        stop.set()
        for t in threads:
            t.join()
    after = replica_actors()
    newcomer = set(after) - set(before)
    print(f"replaced in {replaced_s:.1f} s; failed {len(failures)} {Counter(failures)}; served {dict(served)}")
    assert victim not in after and len(newcomer) == 1, (before, after)
    assert served[newcomer.pop()] > 0  # the replacement serves
    assert len(failures) <= CLIENTS  # at most one request per client could be in flight on it
    assert retries_failed == []
