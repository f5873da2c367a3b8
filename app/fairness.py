"""A fair share per client: a token bucket each, so one script cannot take the server.

A client is its API key when keys are checked (`app.keys`, outside this middleware, has
let only valid ones through; hashed here too), otherwise its address; behind a proxy, the address the proxy saw, from
`X-Forwarded-For`, but only when the connection comes from a proxy the settings trust
(`VQADEMO_TRUSTED_PROXIES`): anyone can write that header. Each client may send
`VQADEMO_RATE_BURST` requests at once and `VQADEMO_RATE_PER_S` a second after that;
past it, 429 with `Retry-After` and the `RateLimit-*` headers (IETF draft), which every
limited response carries. Health, readiness, metrics, the page and its files are never
limited. Unset, nothing is limited (as `make run` serves).

Written here rather than taken from a library: slowapi and asgi-ratelimit count fixed
windows in stores that grow with every address seen until a timer sweeps them; a
public demo needs a bound it can state. The buckets live in an LRU of at most
`VQADEMO_RATE_MAX_CLIENTS`: a client pushed out starts again with a full bucket, which
costs at most one burst per address an attacker cycles through.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response
from app.keys import API_PREFIXES, bearer, digest
from app.metrics import Metrics

EXEMPT_PREFIXES = ("/v2/health/",)


@dataclass
class Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Token buckets by client, at most `max_clients` of them (least recently seen go first)."""

    def __init__(self, rate_per_s: float, burst: int, max_clients: int, clock=time.monotonic) -> None:
        self.rate, self.burst, self.max_clients, self.clock = rate_per_s, burst, max_clients, clock
        self.buckets: OrderedDict[str, Bucket] = OrderedDict()

    def take(self, client: str) -> tuple[bool, float, float]:
        """(allowed, tokens left, seconds until the next token) after one request."""
        now = self.clock()
        bucket = self.buckets.pop(client, None) or Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        self.buckets[client] = bucket
        if len(self.buckets) > self.max_clients:
            self.buckets.popitem(last=False)
        wait = 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self.rate
        return allowed, bucket.tokens, wait


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(scope: Scope, trusted) -> str:
    """The connecting address, or, from a trusted proxy, the nearest address in
    X-Forwarded-For that is not itself a trusted proxy."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not trusted or not _trusted(peer, trusted):
        return peer
    forwarded = b",".join(v for k, v in scope["headers"] if k == b"x-forwarded-for").decode("latin-1")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not _trusted(hop, trusted):
            return hop
    return peer


def client_key(scope: Scope, trusted, by_key: bool) -> str:
    """The client's API key (only where keys are checked: an unchecked header would give
    every made-up key a bucket of its own), else its address."""
    key = bearer(dict(scope["headers"])) if by_key else None
    return "key:" + digest(key)[:32] if key is not None else "ip:" + client_address(scope, trusted)


class FairShare:
    """Pure ASGI: a token bucket per client on the API and V2 routes."""

    def __init__(
        self,
        app: ASGIApp,
        rate_per_s: float,
        burst: int,
        max_clients: int,
        trusted_proxies: str,
        metrics: Metrics,
        by_key: bool = False,
    ) -> None:
        self.app = app
        self.by_key = by_key
        self.buckets = TokenBuckets(rate_per_s, burst, max_clients)
        self.trusted = parse_networks(trusted_proxies)
        self.metrics = metrics
        self.burst = burst

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIXES) or path.startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        allowed, left, wait = self.buckets.take(client_key(scope, self.trusted, self.by_key))
        headers = [
            (b"ratelimit-limit", str(self.burst).encode()),
            (b"ratelimit-remaining", str(int(left)).encode()),
            (b"ratelimit-reset", str(math.ceil(wait)).encode()),
        ]
        if not allowed:
            self.metrics.rate_limited.inc()
            retry = str(max(1, math.ceil(wait)))
            response = error_response(429, f"too many requests from this client; retry in {retry} s", {"Retry-After": retry})
            response.raw_headers.extend(headers)
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
