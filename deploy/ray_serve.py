"""Ray Serve: the whole app as one Serve deployment, N replicas behind Ray's HTTP proxy.

    python -m deploy.ray_serve --replicas 2             # a local Ray cluster on loopback
    python -m deploy.ray_serve --min-replicas 1 --max-replicas 4   # autoscaling
    RAY_SERVE_ENABLE_HA_PROXY=1 serve run deploy.ray_serve:service   # Ray's own CLI

Requests come in through Ray's HAProxy ingress (HAProxy forwards to each replica's own
HTTP server) unless `--proxy python` picks Ray's Python proxy, which costs about ten
times the CPU per request here (docs/scaling.md).

Each replica builds the FastAPI app itself (`create_app()`, so nothing large is
pickled), then Ray runs the app's lifespan inside the replica's initialisation: the
models load and warm up there, exactly as under uvicorn, and Ray routes nothing to a
replica before that finishes. (Ray releases before 2.x skipped the lifespan of an
ingress app, ray-project/ray#45395; the pinned release runs it, and the test checks
every replica is ready on its first request.) Inside a replica the app's own
micro-batching and queue limits apply unchanged; `max_ongoing_requests` matches the
app's queue so Ray, not the app, holds whatever is beyond it.

A replica that stops being ready (a model failed, or it is draining) fails Ray's health
check and is replaced. Each response names its replica (`x-replica`), which is how the
test sees that both serve.

GPUs: `--gpus-per-replica 0.5` lets two replicas share one GPU; the app turns on
TensorFlow's memory growth, so neither takes all of its memory.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from ray import serve
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings

# -- the replica --------------------------------------------------------------------------


class ReplicaHeader:
    """Adds `x-replica: <id>` to every response, so clients (and tests) see who served."""

    def __init__(self, app: ASGIApp, replica: str) -> None:
        self.app = app
        self.header = (b"x-replica", replica.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, send_with_header)


def build_app() -> FastAPI:
    """Runs inside each replica: the app as uvicorn serves it, plus the replica header."""
    from app.main import create_app

    app = create_app(get_settings())
    app.add_middleware(ReplicaHeader, replica=serve.get_replica_context().replica_id.unique_id)
    return app


@serve.ingress(build_app)
class Replica:
    """One replica: the ASGI app above; Ray's health check asks the app's own readiness."""

    app: FastAPI  # set by `serve.ingress`, from `build_app()`

    def check_health(self) -> None:
        registry = getattr(self.app.state, "registry", None)
        if registry is None or not registry.ready:
            raise RuntimeError("not ready: " + ("starting" if registry is None else "a model is not serving"))


# Drained like the app under uvicorn (`--timeout-graceful-shutdown 8`, docs/scaling.md).
VQADemo = serve.deployment(name="vqa_demo", health_check_period_s=5, health_check_timeout_s=10, graceful_shutdown_timeout_s=8)(
    Replica
)


# -- options ------------------------------------------------------------------------------


def replica_env(cpus_per_replica: float) -> dict[str, str]:
    """Settings every replica gets: the caller's VQADEMO_* settings, and TensorFlow's
    thread pools sized to the replica's share of the CPUs rather than the whole machine
    (two replicas each using every core would fight over them)."""
    env = {k: v for k, v in os.environ.items() if k.startswith("VQADEMO_")}
    threads = str(max(1, round(cpus_per_replica)))
    env.setdefault("VQADEMO_INTRA_OP_THREADS", threads)
    env.setdefault("VQADEMO_INTER_OP_THREADS", threads)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def ray_env(proxy: str) -> dict[str, str]:
    """Ray's own settings for the ingress. HAProxy costs a fraction of the CPU per request
    of Ray's Python proxy (docs/scaling.md); one HAProxy thread is plenty for a few cores."""
    if proxy == "python":
        return {"RAY_SERVE_ENABLE_HA_PROXY": "0"}
    return {"RAY_SERVE_ENABLE_HA_PROXY": "1", "RAY_SERVE_HAPROXY_NBTHREAD": os.environ.get("RAY_SERVE_HAPROXY_NBTHREAD", "1")}


def application(
    replicas: int = 1,
    min_replicas: int | None = None,
    max_replicas: int | None = None,
    cpus_per_replica: float = 1.0,
    gpus_per_replica: float = 0.0,
):
    """The bound Serve application: fixed `replicas`, or autoscaling between min and max
    on requests in flight per replica (half the queue a replica accepts)."""
    queue = get_settings().max_queue_depth
    options: dict = {
        "max_ongoing_requests": queue,
        # The app logs and counts requests itself (/metrics); Ray's access log per request
        # would cost CPU on every call and say nothing new.
        "logging_config": {"enable_access_log": False, "log_level": "WARNING"},
        "ray_actor_options": {
            "num_cpus": cpus_per_replica,
            "num_gpus": gpus_per_replica,
            "runtime_env": {"env_vars": replica_env(cpus_per_replica)},
        },
    }
    if max_replicas:
        options["autoscaling_config"] = {
            "min_replicas": min_replicas or 1,
            "max_replicas": max_replicas,
            "target_ongoing_requests": max(1, queue // 2),
        }
    else:
        options["num_replicas"] = replicas
    return VQADemo.options(**options).bind()


service = application()  # for `serve run deploy.ray_serve:service`


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def local_cluster(
    proxy: str = "haproxy",
    host: str = "127.0.0.1",
    port: int = 8000,
    env: dict[str, str] | None = None,
    *,
    free_side_ports: bool = False,
    quiet: bool = False,
    num_cpus: int | None = None,
) -> Iterator[str]:
    """A Ray cluster on this machine with Serve's HTTP ingress on host:port; yields its
    URL. Ray's processes read their settings from the environment they start in, so
    `ray_env(proxy)` and `env` are set for the cluster's lifetime, then put back.
    `free_side_ports` moves HAProxy's stats page and exporter off their fixed ports
    (8404, 9101), so two clusters on one machine do not collide."""
    import ray

    saved = dict(os.environ)
    os.environ.update(ray_env(proxy) | (env or {}))
    if free_side_ports:
        os.environ.update(RAY_SERVE_HAPROXY_STATS_PORT=str(_free_port()), RAY_SERVE_HAPROXY_METRICS_PORT=str(_free_port()))
    ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=not quiet, configure_logging=not quiet)
    try:
        serve.start(http_options={"host": host, "port": port})
        yield f"http://{host}:{port}"
    finally:
        serve.shutdown()
        ray.shutdown()
        os.environ.clear()
        os.environ.update(saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--min-replicas", type=int)
    parser.add_argument("--max-replicas", type=int, help="autoscale between --min-replicas and this")
    parser.add_argument("--cpus-per-replica", type=float, default=1.0)
    parser.add_argument("--gpus-per-replica", type=float, default=0.0)
    parser.add_argument(
        "--proxy",
        choices=("haproxy", "python"),
        default="haproxy",
        help="Ray's HAProxy ingress (HAProxy forwards to each replica's own HTTP server) or its Python proxy",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()

    with local_cluster(args.proxy, args.host, args.port) as url:
        app = application(args.replicas, args.min_replicas, args.max_replicas, args.cpus_per_replica, args.gpus_per_replica)
        serve.run(app, name="vqa_demo", route_prefix="/")
        print(f"serving on {url} (Ctrl-C stops)", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
