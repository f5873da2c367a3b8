"""`vqa-demo serve`: uvicorn with the project's production defaults, from the settings.

The one place where how the server runs is decided, used by `make run`, the image (and
so the compose file and the manifests, which run the image's command):
- keep-alive 75 s, longer than common balancers' 60 s idle timeout, so the server never
  closes a connection just as a balancer reuses it (uvicorn's own default is 5 s);
- graceful shutdown: SIGTERM turns readiness false and in-flight requests get
  `VQADEMO_GRACEFUL_SHUTDOWN_S` (8 s, inside `docker stop`'s 10 s and Kubernetes' 30 s);
- uvicorn's access log, or none with `VQADEMO_LOG_FORMAT=json`, whose own line per
  request replaces it (`app.observability`).
Every default is a `VQADEMO_*` setting; `--host`, `--port` and `--workers` override
theirs. It prints the settings it runs with, secrets masked. With several workers,
each loads the models once and `/metrics` sums them all (`metrics_directory`).

    vqa-demo serve                          # 127.0.0.1:8000, one worker
    vqa-demo serve --host 0.0.0.0 --port 8080
    python -m app.cli serve                 # the same, without the console script
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from app.config import Settings, get_settings


def uvicorn_options(settings: Settings) -> dict:
    """The keyword arguments of `uvicorn.run` for these settings."""
    return {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "timeout_keep_alive": settings.keep_alive_s,
        "timeout_graceful_shutdown": settings.graceful_shutdown_s,
        "access_log": settings.log_format != "json",
        # The app decides whom to believe about X-Forwarded-For (VQADEMO_TRUSTED_PROXIES,
        # app.fairness); uvicorn's own rewrite would trust 127.0.0.1 behind its back.
        "proxy_headers": False,
    }


def describe(settings: Settings) -> str:
    """The settings as `VQADEMO_NAME=value` lines; secrets (pydantic's SecretStr) print as `**********`."""
    return "\n".join(f"VQADEMO_{name.upper()}={getattr(settings, name)}" for name in type(settings).model_fields)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="vqa-demo", description="The VQA demo service.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the app with the production defaults")
    serve.add_argument("--host", help="address to listen on (VQADEMO_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (VQADEMO_PORT, default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (VQADEMO_WORKERS, default 1)")
    return parser.parse_args(argv)


def settings_for(args: argparse.Namespace) -> Settings:
    overrides = {k: v for k, v in {"host": args.host, "port": args.port, "workers": args.workers}.items() if v is not None}
    return get_settings().model_copy(update=overrides) if overrides else get_settings()


def main(argv: list[str] | None = None) -> None:
    import uvicorn  # here, so `--help` answers without loading the server

    args = parse_args(argv)
    settings = settings_for(args)
    # Each worker reads its settings from the environment: the overrides go there too.
    os.environ.update({f"VQADEMO_{name.upper()}": str(getattr(settings, name)) for name in ("host", "port", "workers")})
    print(describe(settings), file=sys.stderr, flush=True)
    with metrics_directory(settings.workers):
        uvicorn.run("app.main:app", **uvicorn_options(settings))


@contextmanager
def metrics_directory(workers: int) -> Iterator[None]:
    """With several workers, a fresh folder for prometheus_client's multiprocess files
    (app.metrics), so `/metrics` sums every worker; set before the workers import it,
    removed after. One worker keeps its values in memory."""
    if workers == 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    folder = tempfile.mkdtemp(prefix="vqademo-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
