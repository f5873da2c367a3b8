"""`vqa-demo serve`: the production defaults from the settings, one command."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import subprocess
import sys
import time

import httpx

from app.cli import describe, parse_args, settings_for, uvicorn_options
from app.config import Settings
from tests.conftest import ROOT, _free_port


def test_the_defaults_outlast_balancers_and_drain_on_sigterm():
    options = uvicorn_options(Settings())
    assert options["timeout_keep_alive"] > 60  # common balancers' idle timeout
    assert 0 < options["timeout_graceful_shutdown"] < 10  # inside docker stop's 10 s
    assert options["host"] == "127.0.0.1" and options["workers"] == 1 and options["access_log"]
    assert options["proxy_headers"] is False  # the app decides whom to believe (VQADEMO_TRUSTED_PROXIES)
    assert uvicorn_options(Settings(log_format="json"))["access_log"] is False  # the app's own line replaces it


def test_the_flags_override_the_settings_and_secrets_never_print():
    settings = settings_for(parse_args(["serve", "--host", "0.0.0.0", "--port", "9000", "--workers", "2"]))
    assert (settings.host, settings.port, settings.workers) == ("0.0.0.0", 9000, 2)
    printed = describe(Settings(api_keys="top-secret"))
    assert "VQADEMO_KEEP_ALIVE_S=75" in printed and "top-secret" not in printed and "VQADEMO_API_KEYS=**" in printed


def start(port: int, *flags: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    env = os.environ | {"VQADEMO_MODELS": "digits", "VQADEMO_WARMUP_BATCH_SIZES": "1", "TF_CPP_MIN_LOG_LEVEL": "3"} | (env or {})
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *flags],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, "the server did not become ready"
        time.sleep(0.2)


def stop(server: subprocess.Popen) -> str:
    server.send_signal(signal.SIGTERM)
    output = server.communicate(timeout=60)[0].decode()
    assert server.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once drained
    return output


def test_serve_starts_the_app_and_stops_on_sigterm():
    port = _free_port()
    server = start(port)
    try:
        r = httpx.post(f"http://127.0.0.1:{port}/api/digits", json={"pixels": [[0.0] * 28] * 28})
        assert r.status_code == 200
        output = stop(server)
        assert f"VQADEMO_PORT={port}" in output and "VQADEMO_KEEP_ALIVE_S=75" in output
        assert "SIGTERM: draining" in output  # the app's own log line
    finally:
        if server.poll() is None:
            server.kill()


def digits_requests(metrics_text: str) -> float:
    return sum(
        float(line.split()[-1])
        for line in metrics_text.splitlines()
        if line.startswith("vqademo_requests_total{") and 'route="/api/digits"' in line
    )


def test_with_two_workers_metrics_count_the_requests_of_both(tmp_path):
    port = _free_port()
    # the serve command makes this folder itself; here the test names it, to see who wrote what
    server = start(port, "--workers", "2", env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
    try:
        url = f"http://127.0.0.1:{port}"
        body = {"pixels": [[0.0] * 28] * 28, "mc_samples": 30}  # slow enough to keep both workers busy

        def ask(_: int) -> int:
            return httpx.post(f"{url}/api/digits", json=body, timeout=30).status_code  # a connection each

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert list(pool.map(ask, range(40))) == [200] * 40
        assert len(list(tmp_path.glob("counter_*.db"))) == 2  # both workers answered some
        for _ in range(10):  # whichever worker answers the scrape
            text = httpx.get(f"{url}/metrics").text
            assert digits_requests(text) == 40
        ready = [line for line in text.splitlines() if line.startswith('vqademo_model_ready{model="digits"')]
        assert ready and float(ready[0].split()[-1]) == 1.0
        stop(server)
    finally:
        if server.poll() is None:
            server.kill()
