"""Prometheus metrics, one registry per app (so tests can build several apps).

Requests are counted by route template (not raw path, which a client controls) and
status; the model a request used is a label where the handler names it. Queue wait,
compute time and batch sizes come from the batchers. `/metrics` and the health routes
never touch a model queue.

With several worker processes (`vqa-demo serve --workers N`) every worker writes its
values to files in `PROMETHEUS_MULTIPROC_DIR` (prometheus_client's multiprocess mode,
set up by the serve command), and `/metrics`, whichever worker answers, sums them.
There a gauge cannot read a live value when scraped (the scrape may reach another
process), so the batchers and the registry set theirs on every change (`live`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

disable_created_metrics()  # the *_created series only add noise to every scrape

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess = multiprocess_mode()
        r = self.registry
        self.requests = Counter("vqademo_requests", "HTTP requests", ["model", "route", "status"], registry=r)
        self.latency = Histogram(
            "vqademo_request_seconds", "HTTP request latency", ["route"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.queue_wait = Histogram(
            "vqademo_queue_wait_seconds", "Time a request waited for its batch", ["model"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.compute = Histogram(
            "vqademo_compute_seconds", "Model call time per batch", ["model"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.batch_size = Histogram("vqademo_batch_size", "Rows per model call", ["model"], buckets=BATCH_BUCKETS, registry=r)
        self.in_flight = Gauge(
            "vqademo_in_flight_requests", "HTTP requests being served", registry=r, multiprocess_mode="livesum"
        )
        self.queue_depth = Gauge(
            "vqademo_queue_depth", "Requests waiting per model", ["model"], registry=r, multiprocess_mode="livesum"
        )
        self.model_ready = Gauge(
            "vqademo_model_ready",
            "1 when the model serves (in every worker), else 0",
            ["model"],
            registry=r,
            multiprocess_mode="livemin",
        )
        self.shed = Counter("vqademo_shed", "Requests refused because a model queue was full", ["model"], registry=r)
        self.rate_limited = Counter("vqademo_rate_limited", "Requests answered 429: the client was over its rate", registry=r)

    def live(self, gauge, read: Callable[[], float]) -> Callable[[], None] | None:
        """One process: the gauge reads `read()` when scraped, and None comes back.
        Several: an `update()` to call on every change, which writes `read()` down."""
        if not self.multiprocess:
            gauge.set_function(read)
            return None
        gauge.set(read())
        return lambda: gauge.set(read())

    def render(self) -> tuple[bytes, str]:
        if not self.multiprocess:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        summed = CollectorRegistry()
        multiprocess.MultiProcessCollector(summed)
        return generate_latest(summed), CONTENT_TYPE_LATEST

    def process_exited(self) -> None:
        """Drops this worker's live gauges from the sums (its counters stay counted)."""
        if self.multiprocess:
            multiprocess.mark_process_dead(os.getpid())


class MetricsMiddleware:
    """Counts and times every HTTP request (pure ASGI: no body buffering)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, tracking_send)
        finally:
            self.metrics.in_flight.dec()
            route = scope.get("route")
            template = getattr(route, "path", None) or ("/static" if scope["path"].startswith("/static/") else "unmatched")
            model = scope.get("state", {}).get("model", "")
            self.metrics.requests.labels(model, template, str(status)).inc()
            self.metrics.latency.labels(template).observe(time.perf_counter() - start)
