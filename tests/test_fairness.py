"""A fair share per client: token buckets, bounded, keyed by address (through trusted
proxies only) or by a checked API key."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.fairness import TokenBuckets, client_address, parse_networks
from app.main import create_app
from tests.conftest import make_settings

BLANK = {"pixels": [[0.0] * 28] * 28}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_its_rate():
    clock = Clock()
    buckets = TokenBuckets(rate_per_s=2.0, burst=3, max_clients=10, clock=clock)
    assert [buckets.take("a")[0] for _ in range(4)] == [True, True, True, False]
    assert buckets.take("a")[2] == pytest.approx(0.5)  # half a second to the next token
    clock.now = 0.5
    assert buckets.take("a")[0] and not buckets.take("a")[0]
    assert buckets.take("b")[0]  # another client has its own bucket
    clock.now = 100.0
    assert buckets.take("a")[1] == 2.0  # refilled to the burst, never past it


def test_the_buckets_are_bounded():
    buckets = TokenBuckets(rate_per_s=1.0, burst=1, max_clients=100, clock=Clock())
    for i in range(10_000):
        buckets.take(f"10.0.{i // 256}.{i % 256}")
    assert len(buckets.buckets) == 100


def scope(peer: str, forwarded: str | None = None) -> dict:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"client": (peer, 1234), "headers": headers}


def test_forwarded_for_is_believed_only_from_trusted_proxies():
    trusted = parse_networks("10.0.0.0/8, 192.168.1.5")
    assert client_address(scope("203.0.113.9", "1.2.3.4"), trusted) == "203.0.113.9"  # anyone can write the header
    assert client_address(scope("10.1.2.3", "198.51.100.7"), trusted) == "198.51.100.7"
    # the client's own claim stays to the left of the hops the trusted proxies added
    assert client_address(scope("10.1.2.3", "6.6.6.6, 198.51.100.7, 192.168.1.5"), trusted) == "198.51.100.7"
    assert client_address(scope("10.1.2.3", "6.6.6.6"), []) == "10.1.2.3"


@pytest.fixture
def limited(tiny_models_dir):
    settings = make_settings(tiny_models_dir, rate_per_s=1.0, rate_burst=3)
    with TestClient(create_app(settings)) as client:
        yield client


def test_over_its_rate_a_client_gets_429_with_retry_after_and_the_others_do_not(limited):
    answers = [limited.post("/api/digits", json=BLANK) for _ in range(5)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    refused = answers[-1]
    assert int(refused.headers["retry-after"]) >= 1 and refused.json()["error"].startswith("too many requests")
    assert refused.json()["request_id"] == refused.headers["x-request-id"]
    assert answers[0].headers["ratelimit-limit"] == "3" and answers[0].headers["ratelimit-remaining"] == "2"
    other = TestClient(limited.app, client=("198.51.100.20", 5000))
    assert other.post("/api/digits", json=BLANK).status_code == 200
    for path in ("/healthz", "/readyz", "/metrics", "/", "/static/app.js"):
        assert limited.get(path).status_code == 200, path  # never limited
    assert "vqademo_rate_limited_total 2.0" in limited.get("/metrics").text


def test_unset_means_no_limit(tiny_client):
    assert all(tiny_client.post("/api/digits", json=BLANK).status_code == 200 for _ in range(20))
